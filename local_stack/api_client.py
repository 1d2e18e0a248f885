"""A small client for the Platekeeper API, used by the demo and the end-to-end tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

from local_stack.seed import TOTP_SECRETS, code_for, one_time_code


class LoginError(RuntimeError):
    pass


@dataclass(frozen=True)
class FirstSignIn:
    """What an invited person's first sign-in went through, and their authenticator's secret."""

    steps: tuple[str, ...]
    totp_secret: str


@dataclass
class ApiClient:
    base_url: str
    token: str | None = None
    session: requests.Session = field(default_factory=requests.Session)
    timeout: float = 60.0  # seconds to wait for an answer

    def login(self, username: str, password: str, mfa_code: str | None = None) -> ApiClient:
        """Sign in, answering the one-time-code challenge with `mfa_code` or, by default, the
        current code of the user's authenticator as seeded in this process; keep the ID token."""
        answer = self.post("/auth/login", {"username": username, "password": password},
                           auth=False)
        body = answer.json()
        if answer.status_code != 200:
            raise LoginError(f"{username}: {body}")
        if body.get("challenge") == "SOFTWARE_TOKEN_MFA":
            code = mfa_code or code_for(username)
            if code is None:
                raise LoginError(f"{username}: a one-time code is needed and no authenticator "
                                 "secret is known for this user")
            answer = self.post("/auth/mfa", {"username": username, "session": body["session"],
                                             "code": code}, auth=False)
            body = answer.json()
        if not body.get("id_token"):
            raise LoginError(f"{username}: no token in {body}")
        self.token = str(body["id_token"])
        return self

    def first_sign_in(self, username: str, temporary_password: str,
                      new_password: str) -> FirstSignIn:
        """What an invited person does: sign in with the e-mailed temporary password, choose
        their own, and (when their role needs one) enrol an authenticator with the secret the
        API hands out and the app's first code; then sign in with password and code. The
        secret is remembered like a seeded user's, so `login` works afterwards."""
        steps = []
        answer = self.post("/auth/login", {"username": username,
                                           "password": temporary_password}, auth=False)
        body = answer.json()
        if body.get("challenge") != "NEW_PASSWORD_REQUIRED":
            raise LoginError(f"{username}: expected NEW_PASSWORD_REQUIRED, got {body}")
        steps.append("temporary password accepted")
        answer = self.post("/auth/password", {"username": username, "session": body["session"],
                                              "new_password": new_password}, auth=False)
        body = answer.json()
        if answer.status_code != 200:
            raise LoginError(f"{username}: new password refused: {body}")
        steps.append("own password set")
        secret = ""
        if body.get("challenge") == "MFA_SETUP":
            secret = str(body["secret_code"])
            enrolled = self.post("/auth/mfa/setup", {
                "username": username, "session": body["session"],
                "code": one_time_code(secret)}, auth=False)
            if enrolled.status_code != 200:
                raise LoginError(f"{username}: enrolment refused: {enrolled.text}")
            TOTP_SECRETS[username.casefold()] = secret
            steps.append("authenticator enrolled")
            self.login(username, new_password)
        elif body.get("id_token"):
            self.token = str(body["id_token"])
        else:
            raise LoginError(f"{username}: no token after the new password: {body}")
        return FirstSignIn(tuple(steps), secret)

    def headers(self, auth: bool) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if auth and self.token else {}

    def get(self, path: str, params: dict[str, Any] | None = None,
            auth: bool = True) -> requests.Response:
        return self.session.get(self.base_url + path, params=params, headers=self.headers(auth),
                                timeout=self.timeout)

    def post(self, path: str, body: Any = None, auth: bool = True) -> requests.Response:
        return self.session.post(self.base_url + path, json=body, headers=self.headers(auth),
                                 timeout=self.timeout)

    def put(self, path: str, body: Any = None, auth: bool = True) -> requests.Response:
        return self.session.put(self.base_url + path, json=body, headers=self.headers(auth),
                                timeout=self.timeout)

    def search(self, **body: Any) -> requests.Response:
        return self.post("/reads/search", search_body(**body))


def search_body(**fields: Any) -> dict[str, Any]:
    """A search request body with what every search must carry (purpose, case number) filled
    in unless given: the one place tests and benchmarks build search bodies."""
    return {"purpose": "criminal_investigation", "case_number": "2026-000123", **fields}


# A search warrant's number, as an officer states it for a window longer than the extended-
# search limit (policy/long_history.py): the demo's and benchmarks' year-long searches carry it.
WARRANT = {"kind": "warrant", "reference": "SW-2026-0042"}
