"""Demo step of accounts inside Platekeeper (issue 23): bootstrap-admin refused once an
administrator exists, a person invited, their first sign-in (the e-mailed temporary password,
their own password, an authenticator), a role change to auditor that waits for a second
administrator, retirement confirmed the same way, and every step in the access record.

The step takes the `Demo` (local_stack/demo.py) and returns its summary line; it raises
StepFailed when the system does not do what it should.
"""

from __future__ import annotations

import contextlib
import io
import uuid
from typing import TYPE_CHECKING, Any

from chalicelib.accounts.__main__ import main as accounts_cli
from local_stack.api_client import ApiClient, LoginError
from local_stack.demo_sharing import StepFailed, client, expect
from local_stack.mailbox import temporary_password

if TYPE_CHECKING:
    from local_stack.demo import Demo

NEW_PERSON = "onboard.demo"
TRAINING = {"clets_cert_date": "2026-01-05", "vendor_training_date": "2026-01-06",
            "training_date": "2026-01-07", "reason": "certificates on file"}


def onboarding(demo: Demo) -> str:
    admin, second = client(demo, "admin.demo"), client(demo, "admin2.demo")
    again = _bootstrap_again()
    expect(admin.post("/admin/users", {
        "username": NEW_PERSON, "email": f"{NEW_PERSON}@example.invalid",
        "role": "dispatcher", "reason": "new dispatcher, day shift"}), 201)
    expect(admin.put(f"/admin/users/{NEW_PERSON}/training", TRAINING), 200)
    expect(second.post(f"/admin/users/{NEW_PERSON}/approval", {"reason": "trained"}), 200)

    temporary = temporary_password(demo.stack.endpoint_url,
                                   demo.env["PLATEKEEPER_USER_POOL_ID"], NEW_PERSON)
    password = f"Own-{uuid.uuid4().hex[:12]}!Pk9"
    person = ApiClient(demo.stack.api_url)
    first = person.first_sign_in(NEW_PERSON, temporary, password)
    expect(person.get("/alerts"), 200)  # a dispatcher sees alerts

    proposed = expect(admin.put(f"/admin/users/{NEW_PERSON}/role", {
        "role": "auditor", "reason": "joins the audit unit"}), 202)
    own = expect(admin.post(f"/admin/users/{NEW_PERSON}/pending-change/confirmation"), 403,
                 "SELF_CONFIRMATION")
    expect(second.post(f"/admin/users/{NEW_PERSON}/pending-change/confirmation"), 200)
    expect(person.get("/audit", {"username": NEW_PERSON}), 200)  # an auditor now

    expect(admin.post(f"/admin/users/{NEW_PERSON}/retirement",
                      {"reason": "left the department"}), 202)
    expect(second.post(f"/admin/users/{NEW_PERSON}/pending-change/confirmation"), 200)
    refused = expect(person.get("/audit"), 403, "ACCOUNT_DISABLED")
    try:
        ApiClient(demo.stack.api_url).login(NEW_PERSON, password)
    except LoginError:
        pass
    else:
        raise StepFailed("a retired account could still sign in")

    records = _records_about(demo)
    return (f"bootstrap-admin again refused ({again}); {NEW_PERSON} invited as dispatcher, "
            f"first sign-in: {', '.join(first.steps)}; role auditor proposed by admin.demo "
            f"({proposed['status']}), its own confirmation refused ({own['error']}), confirmed "
            f"by admin2.demo; retired the same way, then refused ({refused['error']}) and "
            f"unable to sign in; {len(records)} records about {NEW_PERSON} in the access "
            f"record: {', '.join(records)}")


def _bootstrap_again() -> str:
    """The command run once more against the running stack: refused, exit status 1."""
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
        status = accounts_cli(["bootstrap-admin", "--username", "another.chief",
                               "--email", "chief@example.invalid",
                               "--clets-cert-date", "2026-01-05",
                               "--vendor-training-date", "2026-01-06",
                               "--training-date", "2026-01-07"])
    if status != 1 or "ADMINISTRATOR_EXISTS" not in errors.getvalue():
        raise StepFailed(f"bootstrap-admin with administrators present exited {status}: "
                         f"{errors.getvalue().strip()}")
    return "ADMINISTRATOR_EXISTS"


def _records_about(demo: Demo) -> list[str]:
    """What the access record says about the new person, as the auditor reads it: the
    administrators' changes to the account and the person's own sign-in steps."""
    auditor = client(demo, "auditor.demo")
    seen = []
    for username in ("admin.demo", "admin2.demo", NEW_PERSON):
        rows: list[dict[str, Any]] = expect(auditor.get("/audit", {"username": username}),
                                            200)["records"]
        for row in rows:
            query: dict[str, Any] = row.get("query") or {}
            if username == NEW_PERSON or query.get("target") == NEW_PERSON:
                seen.append((int(row["seq"]), f"{row['action']} {row['outcome']}"
                             + (f" {row['refusal_code']}" if row.get("refusal_code") else "")))
    wanted = {"invite_user allowed", "set_password allowed", "enrol_authenticator allowed",
              "propose_account_change allowed", "confirm_account_change allowed",
              "confirm_account_change refused SELF_CONFIRMATION"}
    described = [text for _, text in sorted(seen)]
    missing = wanted - set(described)
    if missing:
        raise StepFailed(f"not in the access record: {', '.join(sorted(missing))}")
    return described
