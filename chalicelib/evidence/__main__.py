"""python -m chalicelib.evidence verify PACKAGE.zip [--public-key PEM] | public-key

verify: check every hash in the package's manifest, every frame and crop against the hash the
ingest took when it was captured or made, and that this system's evidence signing key signed the
manifest, so a package rebuilt by hand (files changed, manifest recomputed) fails. The public
key comes from --public-key (a PEM file the agency hands out with its packages or publishes;
works offline) or, without it, from the deployment the environment names (or the local stack
`make run` serves). public-key: print that key as PEM.

Exit status 0 = every file matches its manifest entry and its ingest-time hash, and the signature
is the evidence key's; 1 = a file was altered, is missing, was added or differs from its
ingest-time hash (the stored object was replaced after ingest), the signature is missing or not
the key's, or the file is not a package; 2 = no public key could be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from chalicelib import bootstrap
from chalicelib.adapters.errors import StorageError
from chalicelib.domain.signatures import (
    PublicKeyInvalid,
    fingerprint,
    public_key_from_pem,
    public_key_pem,
)
from chalicelib.evidence.package import PackageInvalid, VerifyReport, verify_package
from chalicelib.settings import SettingsError, adopt_local_stack_environment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.evidence")
    parser.add_argument("command", choices=["verify", "public-key"])
    parser.add_argument("package", type=Path, nargs="?", help="the evidence package (.zip)")
    parser.add_argument("--public-key", type=Path, default=None,
                        help="PEM public key of the agency's evidence signing key")
    args = parser.parse_args(argv)
    if args.command == "verify" and args.package is None:
        parser.error("verify needs the package file")
    try:
        public_key = _public_key(args.public_key)
    except (OSError, PublicKeyInvalid, SettingsError, StorageError) as error:
        print(f"evidence {args.command}: no public key to check against: {error}",
              file=sys.stderr)
        return 2
    if args.command == "public-key":
        print(public_key_pem(public_key), end="")
        print(f"evidence signing key SHA-256 {fingerprint(public_key)}", file=sys.stderr)
        return 0
    try:
        report = verify_package(args.package.read_bytes(), public_key)
    except OSError as error:
        print(f"evidence verify: cannot read {args.package}: {error.strerror}", file=sys.stderr)
        return 1
    except PackageInvalid as error:
        print(f"evidence verify: NOT A VALID PACKAGE: {error}")
        return 1
    _print(report)
    return 0 if report.genuine else 1


def _public_key(pem_file: Path | None) -> bytes:
    if pem_file is not None:
        return public_key_from_pem(pem_file.read_bytes())
    adopt_local_stack_environment()
    return bootstrap.container().evidence_signing_key.public_key()


def _print(report: VerifyReport) -> None:
    label = f"case {report.case_number}, export {report.export_id}"
    if report.genuine:
        print(f"evidence verify: intact ({label}), {report.checked} files match the manifest"
              + (" and their ingest-time hashes" if not report.unpinned else "")
              + f"; {report.signature.detail}")
    else:
        print(f"evidence verify: FAILED ({label})")
    for title, names in (("altered", report.altered), ("missing", report.missing),
                         ("extra", report.extra),
                         ("replaced after ingest (differs from the hash taken at capture)",
                          report.replaced),
                         ("note: a later version was written in storage after ingest; the "
                          "package holds the ingest-time version", report.superseded),
                         ("note: no ingest-time hash recorded", report.unpinned)):
        for name in names:
            print(f"  {title}: {name}")
    if not report.signature.valid:
        print(f"  signature: {report.signature.detail}")


if __name__ == "__main__":
    raise SystemExit(main())
