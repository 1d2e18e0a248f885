"""Demo steps of the officers' guardrails (issue 17): a long history refused without authority
and allowed on a supervisor's approval, and failed sign-ins recorded up to the account lock."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import requests

from local_stack.api_client import ApiClient
from local_stack.seed import create_user, one_time_code

if TYPE_CHECKING:
    from local_stack.demo import Demo

EXTENDED_CASE = "2026-017001"


def search_extended(demo: Demo) -> str:
    """90 days of one plate: refused without authority, the sergeant cannot approve his own
    search, approves the officer's, and the officer's search is recorded on that approval."""
    from local_stack.demo import StepFailed

    officer = demo.clients["officer.demo"]
    sergeant = _client(demo, "sergeant.demo")
    plate = sorted(demo.plates_read, key=len, reverse=True)[0]
    window = {"from": (demo.stack.clock() - timedelta(days=90)).isoformat()}
    refused = officer.search(plate=plate, case_number=EXTENDED_CASE, **window)
    if (refused.status_code, refused.json().get("error")) != (403, "AUTHORITY_REQUIRED"):
        raise StepFailed(f"without authority: {refused.status_code} {refused.text[:120]}")
    own = sergeant.post("/search-approvals", {"searcher": "sergeant.demo", "plate": plate,
                                              "case_number": EXTENDED_CASE, "reason": "own"})
    if own.json().get("error") != "APPROVER_IS_SEARCHER":
        raise StepFailed(f"a self-approval answered {own.status_code} {own.text[:120]}")
    approval = sergeant.post("/search-approvals", {
        "searcher": "officer.demo", "plate": plate, "case_number": EXTENDED_CASE, "hours": 8,
        "reason": "Suspect vehicle in a burglary series; pattern over three months"})
    if approval.status_code != 201:
        raise StepFailed(f"approval answered {approval.status_code}: {approval.text[:120]}")
    allowed = officer.search(plate=plate, case_number=EXTENDED_CASE,
                             authority={"kind": "supervisor_approval"}, **window)
    if allowed.status_code != 200:
        raise StepFailed(f"with approval: {allowed.status_code} {allowed.text[:120]}")
    record = _record_of(demo, allowed)
    if record.get("authority") != "supervisor_approval":
        raise StepFailed(f"the search's record names no authority: {record}")
    return (f"90 days of {plate}: refused (AUTHORITY_REQUIRED); sergeant.demo's own approval "
            f"refused (APPROVER_IS_SEARCHER); approved for officer.demo until "
            f"{approval.json()['expires_at']}; search allowed, {len(allowed.json()['results'])} "
            f"reads, recorded as search {allowed.json()['search_id'][:8]} on "
            f"{record['authority_ref']}")


def signin_failures_recorded(demo: Demo) -> str:
    """An unknown user, a wrong one-time code and wrong passwords: each recorded with its reason,
    source address and request id; the fifth failure locks the account for 15 minutes and the
    right password is then refused."""
    from local_stack.demo import StepFailed

    template = demo.users["officer.demo"]
    user = create_user(demo.env["PLATEKEEPER_USER_POOL_ID"],
                       demo.env["PLATEKEEPER_USER_POOL_CLIENT_ID"],
                       replace(template, username="guessed.demo"))
    url = f"{demo.stack.api_url}/auth/login"
    attempts = [requests.post(url, json={"username": "no.such.user", "password": "x" * 14},
                              timeout=30)]
    challenge = requests.post(url, json={"username": user.username, "password": user.password},
                              timeout=30).json()
    attempts.append(requests.post(f"{demo.stack.api_url}/auth/mfa", timeout=30, json={
        "username": user.username, "session": challenge.get("session", ""),
        "code": _not_the_code(user.totp_secret)}))
    attempts += [requests.post(url, json={"username": user.username, "password": "Guess-1!xx"},
                               timeout=30) for _ in range(4)]
    locked = requests.post(url, json={"username": user.username, "password": user.password},
                           timeout=30)
    if (locked.status_code, locked.json().get("error")) != (403, "ACCOUNT_LOCKED"):
        raise StepFailed(f"after five failures the right password answered {locked.status_code}")
    codes = [_record_of(demo, response, "sign_in").get("refusal_code")
             for response in [*attempts, locked]]
    expected = ["UNKNOWN_USER", "MFA_CODE_WRONG", *["WRONG_PASSWORD"] * 4, "ACCOUNT_LOCKED"]
    if codes != expected:
        raise StepFailed(f"recorded {codes}, expected {expected}")
    rows = demo.clients["auditor.demo"].get("/audit", {"username": user.username}).json()
    lock = next((row for row in rows["records"] if row["action"] == "account_locked"), None)
    if lock is None:
        raise StepFailed("the lock is not in the access record")
    return (f"recorded {', '.join(codes)} (each with source address and request id); "
            f"{user.username} locked from {lock['query']['locked_from']} to "
            f"{lock['query']['locked_until']}; the right password was refused meanwhile")


def _not_the_code(secret: str) -> str:
    current = one_time_code(secret)
    return "000000" if current != "000000" else "111111"


def _client(demo: Demo, username: str) -> ApiClient:
    if username not in demo.clients:
        user = demo.users[username]
        demo.clients[username] = ApiClient(demo.stack.api_url).login(user.username,
                                                                      user.password)
    return demo.clients[username]


def _record_of(demo: Demo, response: requests.Response, action: str = "") -> dict[str, Any]:
    """The access record of one response, found by its request id (as an auditor would)."""
    request_id = response.headers.get("x-amzn-RequestId", "")
    rows = demo.clients["auditor.demo"].get("/audit").json()["records"]
    return next((row for row in reversed(rows) if row["request_id"] == request_id
                 and (not action or row["action"] == action)), {})
