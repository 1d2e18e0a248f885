"""Every refusal reaches the caller as {"error", "message"} with the status its service chose."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from chalicelib.adapters.identity import AccountNotFound, CognitoAccount
from chalicelib.domain.access import Caller, Role, UserAccount
from chalicelib.domain.audit import AuditEntry, AuditRecord, link
from chalicelib.domain.errors import Refused
from chalicelib.domain.holds import HoldRefused
from chalicelib.domain.releases import ReleaseRefused
from chalicelib.policy.search import SearchRefused
from chalicelib.services.audit_review import AuditQueryInvalid
from chalicelib.services.cameras import CameraRefused
from chalicelib.services.exports import ExportRefused
from chalicelib.services.user_lifecycle import (
    LifecycleDependencies,
    LifecycleRefused,
    set_enabled,
)
from chalicelib.web import BadRequest, error_response

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("kind", [HoldRefused, ReleaseRefused, SearchRefused, LifecycleRefused,
                                  AuditQueryInvalid, CameraRefused, ExportRefused, BadRequest])
@pytest.mark.parametrize("status", [400, 404, 409, 413])
def test_each_refusal_keeps_its_code_message_and_status(kind: type[Refused],
                                                        status: int) -> None:
    response = error_response(kind("SOME_RULE", "a sentence for people", status))
    assert response.status_code == status
    assert response.body == {"error": "SOME_RULE", "message": "a sentence for people"}


class MissingUsers:
    def account(self, username: str) -> CognitoAccount:
        raise AccountNotFound(username)

    def set_enabled(self, username: str, enabled: bool) -> None:
        raise AccountNotFound(username)

    def update_attributes(self, username: str, values: dict[str, str]) -> None:
        raise AccountNotFound(username)

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"unexpected identity call {name}")


class NoRegister:
    def get(self, username: str) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"unexpected register call {name}")


class Audit:
    def append(self, entry: AuditEntry) -> AuditRecord:
        return link(entry, None)

    def record(self, seq: int) -> AuditRecord | None:
        return None

    def last_allowed_access(self, user_id: str) -> str | None:
        return None


def test_an_unknown_username_is_a_404_not_a_400() -> None:
    admin = UserAccount(user_id="sub-admin", username="commander.lee", agency="PD",
                        roles=frozenset({Role.ADMINISTRATOR}), enabled=True, approved_by="chief",
                        approved_at=date(2026, 1, 1), training_date=date(2026, 1, 1),
                        clets_cert_date=date(2026, 1, 1), mfa_enabled=True, last_access=None,
                        vendor_training_date=date(2026, 1, 1))
    deps = LifecycleDependencies(MissingUsers(), NoRegister(), Audit(),  # type: ignore[arg-type]
                                 lambda: NOW, "PD")
    with pytest.raises(LifecycleRefused) as refused:
        set_enabled("ghost", {"enabled": False, "reason": "left"},
                    Caller(admin, "10.0.0.1", "req-1"), deps)
    response = error_response(refused.value)
    assert response.status_code == 404
    assert response.body["error"] == "USER_NOT_FOUND"
