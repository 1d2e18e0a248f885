"""python -m chalicelib.agency_cli check FILE | import FILE --api URL --username NAME

The agency directory's bulk tool. `check` reads a seed file (chalicelib/static/
california-agencies.csv or an agency's own copy, same columns) offline and says, row by row,
what a proposal would meet: the agency screen's refusals with the clause, invalid fields, and
rows that still need their ORI. `import` signs in to the API as an administrator (password from
PLATEKEEPER_PASSWORD or a prompt, one-time code from --mfa-code or a prompt) and proposes every
complete row through POST /agencies, so each proposal is screened, recorded under that
administrator's name and waits, like one typed into the console, for a second administrator to
confirm it. Nothing is written to the tables directly: the tool has no more power than the
person running it. Operators' tool (it needs requests, which the Lambda package does not carry).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import requests

from chalicelib.adapters.agency_seed_file import SEED_FILE
from chalicelib.domain.agencies import AgencyRefused, parse_facts
from chalicelib.domain.agency_seed import SeedAgency, SeedFileError, parse_seed
from chalicelib.policy.agency_screen import screen_agency

PASSWORD_VARIABLE = "PLATEKEEPER_PASSWORD"  # noqa: S105 - the variable's name, not a value


def check_row(row: SeedAgency) -> tuple[str, str]:
    """(outcome, detail) of one row: ready, needs_ori, invalid or prohibited."""
    screening = screen_agency(row.name, row.ori, row.domains)
    if screening.refused:
        return "prohibited", screening.explanation()
    if not row.ori:
        return "needs_ori", "fill in the agency's ORI (from CLETS/NCIC or its letterhead)"
    try:
        parse_facts(row.name, row.ori, row.agency_type, row.level, row.county, row.city,
                    row.domains)
    except AgencyRefused as refused:
        return "invalid", f"{refused.code}: {refused.message}"
    return "ready", "screen passed; a second administrator confirms it after import"


def check(path: Path) -> int:
    rows = _rows(path)
    outcomes: Counter[str] = Counter()
    for row in rows:
        outcome, detail = check_row(row)
        outcomes[outcome] += 1
        if outcome != "ready":
            print(f"line {row.line}: {row.name}: {outcome}: {detail}")
    print(f"agency check: {len(rows)} rows, " + ", ".join(
        f"{outcomes[name]} {name}" for name in ("ready", "needs_ori", "invalid", "prohibited")))
    return 1 if outcomes["prohibited"] or outcomes["invalid"] else 0


def import_rows(path: Path, api: str, username: str, mfa_code: str | None) -> int:
    rows = _rows(path)
    session = _sign_in(api.rstrip("/"), username, mfa_code)
    outcomes: Counter[str] = Counter()
    for row in rows:
        if not row.ori:
            outcomes["needs_ori"] += 1
            continue
        answer = session.post(f"{api.rstrip('/')}/agencies",
                              json={**row.as_proposal(), "source": "import"}, timeout=30)
        body: dict[str, Any] = answer.json()
        if answer.status_code == 201:
            outcomes["proposed"] += 1
        else:
            outcomes[str(body.get("error", answer.status_code))] += 1
            print(f"line {row.line}: {row.name}: {body.get('error')}: {body.get('message')}")
    print(f"agency import: {len(rows)} rows, {outcomes.pop('proposed', 0)} proposed (each "
          f"waits for a second administrator), {outcomes.pop('needs_ori', 0)} skipped without "
          f"an ORI, refused: {dict(outcomes) or 'none'}")
    return 1 if outcomes else 0


def _rows(path: Path) -> list[SeedAgency]:
    try:
        return parse_seed(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SeedFileError) as error:
        raise SystemExit(f"agency file: {error}") from error


def _sign_in(api: str, username: str, mfa_code: str | None) -> requests.Session:
    password = os.environ.get(PASSWORD_VARIABLE) or getpass.getpass(f"{username}'s password: ")
    session = requests.Session()
    answer = session.post(f"{api}/auth/login", json={"username": username, "password": password},
                          timeout=30).json()
    if answer.get("challenge") == "SOFTWARE_TOKEN_MFA":
        code = mfa_code or input("one-time code: ")
        answer = session.post(f"{api}/auth/mfa", json={"username": username,
                                                       "session": answer["session"],
                                                       "code": code}, timeout=30).json()
    if not answer.get("id_token"):
        raise SystemExit(f"sign-in refused: {answer.get('message', answer)}")
    session.headers["Authorization"] = f"Bearer {answer['id_token']}"
    return session


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.agency_cli")
    commands = parser.add_subparsers(dest="command", required=True)
    checking = commands.add_parser("check", help="screen and validate a seed file offline")
    checking.add_argument("file", type=Path, nargs="?", default=SEED_FILE)
    importing = commands.add_parser("import", help="propose every complete row through the API")
    importing.add_argument("file", type=Path)
    importing.add_argument("--api", required=True, help="the API's base URL")
    importing.add_argument("--username", required=True, help="an administrator")
    importing.add_argument("--mfa-code", default=None)
    args = parser.parse_args(argv)
    if args.command == "check":
        return check(args.file)
    return import_rows(args.file, args.api, args.username, args.mfa_code)


if __name__ == "__main__":
    sys.exit(main())
