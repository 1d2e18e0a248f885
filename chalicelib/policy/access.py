"""Who may access ALPR data, and on what terms: policy 428.3.1, 428.4(d)(e), 428.6(a)(b)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from chalicelib.domain.access import (
    ROLE_PERMISSIONS,
    Permission,
    Purpose,
    Role,
    UserAccount,
    sees_plate_data,
)
from chalicelib.policy.case_numbers import (
    DEFAULT_CASE_NUMBER_RULE,
    CaseNumberRule,
    placeholder_reason,
)

# 428.3.1(b): CLETS access certification every two years.
CERTIFICATION_VALID_DAYS = 2 * 365
# Accounts unused this long are suspended until an administrator re-approves them.
IDLE_LIMIT_DAYS = 90


@dataclass(frozen=True)
class Refusal:
    """Why access is refused: a stable code for programs and a sentence for people."""

    code: str
    message: str
    status: int = 403


def account_refusal(account: UserAccount, today: date, now: datetime,
                    mfa_for_plate_data: bool = True) -> Refusal | None:
    """The first account-state rule the user fails, or None when the account may be used."""
    checks = (
        _disabled, _not_approved, _training_missing, _certification_expired, _idle,
    )
    for check in checks:
        refusal = check(account, today, now)
        if refusal is not None:
            return refusal
    return mfa_refusal(account, mfa_for_plate_data)


def mfa_refusal(account: UserAccount, mfa_for_plate_data: bool = True) -> Refusal | None:
    """CJIS Security Policy: every role that sees plate data or alerts (and every administrator)
    signs in with a one-time code; the account must have an authenticator enrolled."""
    needs = Role.ADMINISTRATOR in account.roles or (
        mfa_for_plate_data and sees_plate_data(account.roles))
    if not needs or account.mfa_enabled:
        return None
    return Refusal("MFA_REQUIRED",
                   "your role sees plate data, so you must sign in with a one-time code: sign "
                   "in again and enrol an authenticator app")


def training_refusal(account: UserAccount, today: date) -> Refusal | None:
    """428.3.1(b), 428.4(d): training on record and a CLETS certification under two years old."""
    now = datetime.combine(today, datetime.min.time())
    return _training_missing(account, today, now) or _certification_expired(account, today, now)


def idle_refusal(account: UserAccount, now: datetime) -> Refusal | None:
    """The account went unused longer than IDLE_LIMIT_DAYS since its last use or approval."""
    return _idle(account, now.date(), now)


def permission_refusal(account: UserAccount, permission: Permission) -> Refusal | None:
    """428.4(e): a role may only do what its job title needs."""
    if any(permission in ROLE_PERMISSIONS[role] for role in account.roles):
        return None
    return Refusal("ROLE_NOT_PERMITTED",
                   f"your role does not permit {permission.value.replace('_', ' ')}")


def purpose_refusal(purpose: str | None, case_number: str | None,
                    rule: CaseNumberRule = DEFAULT_CASE_NUMBER_RULE) -> Refusal | None:
    """428.6(b): every data access states a listed purpose and a real case number."""
    if not purpose:
        return Refusal("PURPOSE_REQUIRED", "state the purpose of this access", 400)
    if purpose not in Purpose.__members__.values():
        allowed = ", ".join(item.value for item in Purpose)
        return Refusal("PURPOSE_INVALID", f"purpose must be one of: {allowed}", 400)
    return case_number_refusal(case_number, rule)


def case_number_refusal(case_number: str | None,
                        rule: CaseNumberRule = DEFAULT_CASE_NUMBER_RULE) -> Refusal | None:
    """A case number is required, is never a placeholder (NONE, 0000, ASDF, ...), and follows
    the agency's format (policy/case_numbers.py)."""
    text = (case_number or "").strip()
    if not text:
        return Refusal("CASE_NUMBER_REQUIRED", "give the case or incident number", 400)
    reason = placeholder_reason(text)
    if reason is not None:
        return Refusal("CASE_NUMBER_PLACEHOLDER",
                       f"the case number is {reason}, not the number of a specific "
                       "investigation (policy 428.6(b)); give the real case or incident number",
                       400)
    if not rule.matches(text):
        return Refusal("CASE_NUMBER_INVALID", "the case number is not in the department's "
                       f"format (for example {rule.example})", 400)
    return None


def _disabled(account: UserAccount, today: date, now: datetime) -> Refusal | None:
    if account.enabled:
        return None
    return Refusal("ACCOUNT_DISABLED", "this account is disabled")


def _not_approved(account: UserAccount, today: date, now: datetime) -> Refusal | None:
    if account.approved_by and account.approved_at:
        return None
    return Refusal("ACCOUNT_NOT_APPROVED",
                   "this account has not been approved by the ALPR administrator (428.3.1(a))")


def _training_missing(account: UserAccount, today: date, now: datetime) -> Refusal | None:
    """428.3.1(b), 428.4(d): the Police Training Unit's and the vendor's training, both."""
    missing = [name for name, day in (
        ("the Police Training Unit's ALPR training", account.training_date),
        ("the vendor's ALPR training", account.vendor_training_date))
        if day is None or day > today]
    if not missing:
        return None
    return Refusal("TRAINING_MISSING", " and ".join(missing) + " is not on record "
                   "(428.3.1(b), 428.4(d)); ask the ALPR administrator to record it")


def _certification_expired(account: UserAccount, today: date, now: datetime) -> Refusal | None:
    certified = account.clets_cert_date
    if certified is None:
        return Refusal("CERTIFICATION_MISSING",
                       "no CLETS access certification is on record (428.3.1(b))")
    if today - certified > timedelta(days=CERTIFICATION_VALID_DAYS):
        return Refusal("CERTIFICATION_EXPIRED",
                       f"CLETS access certification of {certified.isoformat()} is older than "
                       "two years; renew it before using ALPR data (428.3.1(b))")
    return None


def _idle(account: UserAccount, today: date, now: datetime) -> Refusal | None:
    approved = (datetime.combine(account.approved_at, datetime.min.time(), tzinfo=now.tzinfo)
                if account.approved_at else None)
    activity = max((moment for moment in (account.last_access, approved) if moment is not None),
                   default=None)
    if activity is None or now - activity <= timedelta(days=IDLE_LIMIT_DAYS):
        return None
    return Refusal("ACCOUNT_IDLE",
                   f"this account has not been used for more than {IDLE_LIMIT_DAYS} days; "
                   "ask the ALPR administrator to re-approve it")

