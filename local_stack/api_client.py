"""A small client for the Platekeeper API, used by the demo and the end-to-end tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

from local_stack.seed import LOCAL_MFA_CODE


class LoginError(RuntimeError):
    pass


@dataclass
class ApiClient:
    base_url: str
    token: str | None = None
    session: requests.Session = field(default_factory=requests.Session)
    timeout: float = 60.0  # seconds to wait for an answer

    def login(self, username: str, password: str, mfa_code: str = LOCAL_MFA_CODE) -> ApiClient:
        """Sign in (answering a TOTP challenge if the account has MFA); keep the ID token."""
        answer = self.post("/auth/login", {"username": username, "password": password},
                           auth=False)
        body = answer.json()
        if answer.status_code != 200:
            raise LoginError(f"{username}: {body}")
        if body.get("challenge") == "SOFTWARE_TOKEN_MFA":
            answer = self.post("/auth/mfa", {"username": username, "session": body["session"],
                                             "code": mfa_code}, auth=False)
            body = answer.json()
        if not body.get("id_token"):
            raise LoginError(f"{username}: no token in {body}")
        self.token = str(body["id_token"])
        return self

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
