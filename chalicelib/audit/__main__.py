"""python -m chalicelib.audit verify: check the hash chain and name the first broken link.

Reads the audit table named by the deployment's environment (PLATEKEEPER_AUDIT_TABLE etc.;
AWS_ENDPOINT_URL for the local stack). Exit status 0 = intact, 1 = broken, 2 = could not check.
"""

from __future__ import annotations

import argparse
import sys

from chalicelib import bootstrap
from chalicelib.adapters.errors import StorageError
from chalicelib.domain.audit import verify_chain
from chalicelib.settings import SettingsError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.audit")
    parser.add_argument("command", choices=["verify"])
    parser.parse_args(argv)
    try:
        check = verify_chain(bootstrap.container().audit_log.records())
    except (SettingsError, StorageError) as error:
        print(f"audit verify: could not read the audit record: {error}", file=sys.stderr)
        return 2
    if check.intact:
        print(f"audit verify: chain intact, {check.records_checked} records checked")
        return 0
    print(f"audit verify: BROKEN at record {check.first_broken_seq}: {check.problem} "
          f"({check.records_checked} records before it are intact)")
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
