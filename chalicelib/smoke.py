"""python -m chalicelib.smoke --url URL --username USER: check a deployment from the outside.

Run after deploying (`make smoke URL=... USER=...`), as one would: the health check, the OpenAPI
document, the public policy page, the console, a search without signing in (which must be
refused), signing in (password, then the one-time code from the user's authenticator app), and
that the refused search is in the access record (the user must be an administrator or an
auditor to read it). One line per check; exit status 0 when all pass, 1 otherwise. It sends no
plate and writes no plate data: the refused search names only a case number made up for it
(SMOKE-...), which is how its record is found again.
"""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

PREFIX = "smoke:"
TIMEOUT = 30.0


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{PREFIX} {self.name}: {'ok' if self.ok else 'FAILED'} ({self.detail})"


@dataclass
class Smoke:
    """The checks against one deployment, in order; each adds one Check."""

    url: str
    username: str
    password: str
    one_time_code: Callable[[], str]
    session: requests.Session = field(default_factory=requests.Session)
    checks: list[Check] = field(default_factory=list)
    token: str | None = None
    case_number: str = field(default_factory=lambda: f"SMOKE-{secrets.token_hex(4).upper()}")
    started: datetime = field(default_factory=lambda: datetime.now(UTC))

    def run(self, report: Callable[[str], None] = print) -> bool:
        for step in (self.health, self.openapi, self.public_page, self.console,
                     self.unauthenticated_search, self.sign_in, self.refusal_recorded):
            name = step.__name__.replace("_", "-")
            try:
                check = step()
            except (requests.RequestException, ValueError, KeyError, TypeError) as error:
                check = Check(_NAMES.get(name, name), False, f"{type(error).__name__}: {error}")
            self.checks.append(check)
            report(check.line())
        passed = sum(1 for check in self.checks if check.ok)
        report(f"{PREFIX} {passed} of {len(self.checks)} checks ok")
        return passed == len(self.checks)

    # ------------------------------------------------------------------ the checks
    def health(self) -> Check:
        started = time.monotonic()
        answer = self._get("/health")
        elapsed = (time.monotonic() - started) * 1000
        ok = answer.status_code == 200 and answer.json().get("status") == "ok"
        return Check("health", ok, f"GET /health {answer.status_code} in {elapsed:.0f} ms")

    def openapi(self) -> Check:
        answer = self._get("/openapi.json")
        document = answer.json() if answer.status_code == 200 else {}
        paths = document.get("paths", {})
        operations = sum(len(item) for item in paths.values())
        ok = str(document.get("openapi", "")).startswith("3.") and "/reads/search" in paths
        return Check("openapi", ok, f"{operations} operations, OpenAPI "
                     f"{document.get('openapi', '?')}, POST /reads/search documented"
                     if ok else f"GET /openapi.json {answer.status_code}")

    def public_page(self) -> Check:
        page = self._get("/transparency")
        figures = self._get("/transparency.json")
        body = figures.json() if figures.status_code == 200 else {}
        ok = (page.status_code == 200 and "text/html" in page.headers.get("Content-Type", "")
              and figures.status_code == 200 and "retention_days" in str(body))
        return Check("public-page", ok, f"GET /transparency {page.status_code}, "
                     f"/transparency.json {figures.status_code}")

    def console(self) -> Check:
        answer = self._get("/console")
        policy = answer.headers.get("Content-Security-Policy", "")
        ok = answer.status_code == 200 and "default-src 'none'" in policy
        return Check("console", ok, f"GET /console {answer.status_code}"
                     + (", strict Content-Security-Policy" if ok else ", no strict CSP"))

    def unauthenticated_search(self) -> Check:
        answer = self.session.post(f"{self.url}/reads/search", timeout=TIMEOUT, json={
            "mode": "exact", "purpose": "criminal_investigation",
            "case_number": self.case_number})
        code = _error_code(answer)
        ok = answer.status_code == 401 and code == "UNAUTHENTICATED"
        return Check("unauthenticated-search-refused", ok,
                     f"POST /reads/search without a token: {answer.status_code} {code}")

    def sign_in(self) -> Check:
        answer = self.session.post(f"{self.url}/auth/login", timeout=TIMEOUT, json={
            "username": self.username, "password": self.password})
        body = answer.json()
        if answer.status_code == 200 and body.get("challenge") == "SOFTWARE_TOKEN_MFA":
            answer = self.session.post(f"{self.url}/auth/mfa", timeout=TIMEOUT, json={
                "username": self.username, "session": body["session"],
                "code": self.one_time_code()})
            body = answer.json()
        self.token = body.get("id_token") if answer.status_code == 200 else None
        if self.token:
            return Check("sign-in", True, f"{self.username} signed in")
        reason = body.get("challenge") or body.get("error") or answer.status_code
        return Check("sign-in", False, f"{self.username}: {reason} (sign in to the console "
                     "once first if the account still has its temporary password)")

    def refusal_recorded(self) -> Check:
        if not self.token:
            return Check("refusal-recorded", False, "not signed in, so the record was not read")
        since = (self.started - timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
        answer = self.session.get(
            f"{self.url}/audit", timeout=TIMEOUT,
            params={"from": since, "case_number": self.case_number},
            headers={"Authorization": f"Bearer {self.token}"})
        if answer.status_code != 200:
            return Check("refusal-recorded", False, f"GET /audit {answer.status_code} "
                         f"{_error_code(answer)} (sign in as an administrator or auditor)")
        found = [record for record in answer.json().get("records", [])
                 if record.get("outcome") == "refused"
                 and record.get("refusal_code") == "UNAUTHENTICATED"]
        if not found:
            return Check("refusal-recorded", False,
                         f"no refused record with case number {self.case_number}")
        record = found[0]
        return Check("refusal-recorded", True, f"record {record.get('seq')}: refused "
                     f"UNAUTHENTICATED at {record.get('at')}, case number {self.case_number}")

    def _get(self, path: str) -> requests.Response:
        return self.session.get(f"{self.url}{path}", timeout=TIMEOUT)


_NAMES = {"unauthenticated-search": "unauthenticated-search-refused"}


def _error_code(answer: requests.Response) -> str:
    try:
        body: Any = answer.json()
    except ValueError:
        return ""
    return str(body.get("error", "")) if isinstance(body, dict) else ""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.smoke")
    parser.add_argument("--url", required=True, help="the API's URL (the stack's EndpointURL)")
    parser.add_argument("--username", required=True,
                        help="an administrator or auditor (they can read the access record)")
    args = parser.parse_args(argv)
    password = getpass.getpass(f"Password for {args.username}: ")
    smoke = Smoke(args.url.rstrip("/"), args.username, password,
                  lambda: input("One-time code from the authenticator app: ").strip())
    return 0 if smoke.run() else 1


if __name__ == "__main__":
    sys.exit(main())
