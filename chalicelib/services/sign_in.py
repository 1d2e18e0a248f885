"""Signing in (policy 428.6(a); CJIS Security Policy): every attempt in the access record, the
application's lockout (policy/sign_in.py), and one-time codes for every role that sees plate data.

Each attempt, successful or not, is recorded with the username as typed (or the account it
names), the source address and the request id: unknown user, wrong password, wrong or missing
one-time code, a locked account, an enrolment. The caller only ever learns "wrong username or
password" (the pool does not reveal which usernames exist); the record says which it was.

A user whose roles see plate data and who has no authenticator enrolled gets no ID token from a
password: they are handed an enrolment (`MFA_SETUP`, the secret for their app) and sign in again
with a code once it is confirmed. An invited user's first sign-in starts with the temporary
password Cognito e-mailed: Cognito answers NEW_PASSWORD_REQUIRED, the person sets their own
password (`set_new_password`), and the same enrolment follows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from chalicelib.adapters.identity import (
    AccountNotFound,
    CognitoAccount,
    LoginFailed,
    LoginResult,
    MfaSetupFailed,
    PasswordRejected,
)
from chalicelib.domain.access import Role, sees_plate_data
from chalicelib.domain.audit import ALLOWED, REFUSED, AuditEntry, AuditRecord
from chalicelib.domain.errors import Refused
from chalicelib.domain.reads import format_time
from chalicelib.policy.sign_in import (
    FAILURE_WINDOW,
    LOCK_DURATION,
    MAX_FAILURES,
    AttemptState,
    after_failure,
    after_success,
    attempt_key,
)
from chalicelib.services.auditing import ANONYMOUS

SIGN_IN_ACTION = "sign_in"
LOCK_ACTION = "account_locked"
ENROL_ACTION = "enrol_authenticator"
# The first sign-in replaces the temporary password (an action name, not a password).
PASSWORD_ACTION = "set_password"  # noqa: S105
MFA_SETUP = "MFA_SETUP"
ISSUER = "Platekeeper"
_SAVE_ATTEMPTS = 10


class SignInRefused(Refused):
    """A sign-in that is refused without trying the password (a locked account)."""


class SignInIdentity(Protocol):
    def login(self, username: str, password: str) -> LoginResult: ...

    def answer_mfa(self, username: str, session: str, code: str) -> LoginResult: ...

    def answer_new_password(self, username: str, session: str,
                            password: str) -> LoginResult: ...

    def account(self, username: str) -> CognitoAccount: ...

    def start_mfa_setup(self, access_token: str) -> str: ...

    def finish_mfa_setup(self, access_token: str, code: str) -> None: ...


class AttemptStore(Protocol):
    def get(self, username: str) -> AttemptState: ...

    def save(self, state: AttemptState) -> bool: ...


class AuditWriter(Protocol):
    def append(self, entry: AuditEntry) -> AuditRecord: ...


@dataclass(frozen=True)
class SignInDependencies:
    identity: SignInIdentity
    attempts: AttemptStore
    audit: AuditWriter
    clock: Callable[[], datetime]
    mfa_for_plate_data: bool = True


@dataclass(frozen=True)
class Origin:
    """Where an attempt came from (what its record keeps)."""

    source_ip: str
    request_id: str


@dataclass(frozen=True)
class SignInAnswer:
    """What the caller gets back: a token, a challenge, or an enrolment to complete."""

    id_token: str | None = None
    expires_in: int = 0
    challenge: str | None = None
    session: str | None = None
    secret_code: str | None = None
    otpauth_uri: str | None = None


def sign_in(username: str, password: str, origin: Origin,
            deps: SignInDependencies) -> SignInAnswer:
    """The password step: a token, a one-time-code challenge, or an enrolment."""
    now = deps.clock()
    state = _unlocked_state(username, origin, now, deps)
    try:
        result = deps.identity.login(username, password)
    except LoginFailed:
        account = _account_or_none(username, deps)
        _fail(state, account, username, _failure_code(account), origin, now, deps)
        raise
    return _after_password(state, username, result, origin, now, deps)


def set_new_password(username: str, session: str, password: str, origin: Origin,
                     deps: SignInDependencies) -> SignInAnswer:
    """The first sign-in's second step (challenge NEW_PASSWORD_REQUIRED after the temporary
    password Cognito e-mailed): the person's own password, then, like any sign-in, a token or
    the authenticator enrolment their role needs. Recorded allowed or refused."""
    now = deps.clock()
    state = _unlocked_state(username, origin, now, deps)
    account = _account_or_none(username, deps)
    try:
        if not session.strip() or not password:
            raise LoginFailed("the sign-in session is not valid; sign in again")
        result = deps.identity.answer_new_password(username.strip(), session, password)
    except PasswordRejected:
        deps.audit.append(_entry(account, username, PASSWORD_ACTION, now, False, origin,
                                 code="PASSWORD_REJECTED"))
        raise
    except LoginFailed:
        _fail(state, account, username, "SIGN_IN_SESSION_INVALID", origin, now, deps,
              action=PASSWORD_ACTION)
        raise
    deps.audit.append(_entry(account, username, PASSWORD_ACTION, now, True, origin))
    return _after_password(state, username, result, origin, now, deps)


def _after_password(state: AttemptState, username: str, result: LoginResult, origin: Origin,
                    now: datetime, deps: SignInDependencies) -> SignInAnswer:
    """After a password was accepted: a challenge to answer, an enrolment, or a token."""
    if result.challenge:
        return SignInAnswer(challenge=result.challenge, session=result.session)
    account = _account_or_none(username, deps)
    if account is not None and _needs_enrolment(account, deps) and result.access_token:
        secret = deps.identity.start_mfa_setup(result.access_token)
        deps.audit.append(_entry(account, username, SIGN_IN_ACTION, now, False, origin,
                                 code="MFA_ENROLMENT_REQUIRED"))
        return SignInAnswer(challenge=MFA_SETUP, session=result.access_token,
                            secret_code=secret, otpauth_uri=otpauth_uri(account.username, secret))
    return _signed_in(state, account, username, result, origin, now, deps)


def answer_mfa(username: str, session: str, code: str, origin: Origin,
               deps: SignInDependencies) -> SignInAnswer:
    """The one-time-code step of a sign-in."""
    now = deps.clock()
    state = _unlocked_state(username, origin, now, deps)
    if not code.strip():
        _fail(state, _account_or_none(username, deps), username, "MFA_CODE_MISSING", origin,
              now, deps)
        raise LoginFailed("give the six-digit code from your authenticator app")
    try:
        result = deps.identity.answer_mfa(username, session, code.strip())
    except LoginFailed:
        _fail(state, _account_or_none(username, deps), username, "MFA_CODE_WRONG", origin,
              now, deps)
        raise
    return _signed_in(state, _account_or_none(username, deps), username, result, origin, now,
                      deps)


def finish_enrolment(username: str, session: str, code: str, origin: Origin,
                     deps: SignInDependencies) -> None:
    """Confirm an authenticator with its first code; the user then signs in with codes."""
    now = deps.clock()
    state = _unlocked_state(username, origin, now, deps)
    account = _account_or_none(username, deps)
    try:
        if not code.strip() or not session:
            raise MfaSetupFailed("give the six-digit code from your authenticator app")
        deps.identity.finish_mfa_setup(session, code.strip())
    except MfaSetupFailed:
        _fail(state, account, username, "MFA_CODE_WRONG", origin, now, deps,
              action=ENROL_ACTION)
        raise
    deps.audit.append(_entry(account, username, ENROL_ACTION, now, True, origin))


def otpauth_uri(username: str, secret: str) -> str:
    """The authenticator-app link (what a QR code would carry) for a TOTP secret."""
    return f"otpauth://totp/{ISSUER}:{username}?secret={secret}&issuer={ISSUER}"


# ---------------------------------------------------------------------- helpers
def _unlocked_state(username: str, origin: Origin, now: datetime,
                    deps: SignInDependencies) -> AttemptState:
    """The username's lockout state; a locked username is refused (and recorded) here."""
    key = attempt_key(username)
    if not key:
        return AttemptState(key)  # no username: nothing to count or lock (still recorded)
    state = deps.attempts.get(key)
    if state.locked_at(now):
        until = format_time(datetime.fromtimestamp(state.locked_until, UTC))
        deps.audit.append(_entry(_account_or_none(username, deps), username, SIGN_IN_ACTION, now,
                                 False, origin, code="ACCOUNT_LOCKED",
                                 extra={"locked_until": until}))
        raise SignInRefused("ACCOUNT_LOCKED",
                            f"too many failed sign-ins: this account is locked until {until} "
                            "(UTC); try again then or ask the ALPR administrator", 403)
    return state


def _failure_code(account: CognitoAccount | None) -> str:
    """Why a password step failed, for the record (the caller is told only "wrong username or
    password"): a disabled or retired account is named as such, not as a wrong password."""
    if account is None:
        return "UNKNOWN_USER"
    return "WRONG_PASSWORD" if account.enabled else "ACCOUNT_DISABLED"


def _fail(state: AttemptState, account: CognitoAccount | None, typed: str, code: str,
          origin: Origin, now: datetime, deps: SignInDependencies,
          action: str = SIGN_IN_ACTION) -> None:
    """Record a failed attempt, count it, and lock the username on the MAX_FAILURES-th."""
    deps.audit.append(_entry(account, typed, action, now, False, origin, code=code))
    if not state.username:
        return
    for _ in range(_SAVE_ATTEMPTS):
        outcome = after_failure(state, now)
        if deps.attempts.save(outcome.state):
            break
        state = deps.attempts.get(state.username)  # another attempt was counted first
    else:
        return
    if outcome.newly_locked:
        until = datetime.fromtimestamp(outcome.state.locked_until, UTC)
        deps.audit.append(_entry(account, typed, LOCK_ACTION, now, False, origin,
                                 code="TOO_MANY_FAILED_SIGN_INS", extra={
            "locked_from": format_time(now), "locked_until": format_time(until),
            "failures": str(MAX_FAILURES),
            "window_minutes": str(int(FAILURE_WINDOW.total_seconds() // 60)),
            "lock_minutes": str(int(LOCK_DURATION.total_seconds() // 60))}))


def _signed_in(state: AttemptState, account: CognitoAccount | None, typed: str,
               result: LoginResult, origin: Origin, now: datetime,
               deps: SignInDependencies) -> SignInAnswer:
    deps.audit.append(_entry(account, typed, SIGN_IN_ACTION, now, True, origin))
    if state.username and state.failures:
        for _ in range(_SAVE_ATTEMPTS):
            if deps.attempts.save(after_success(state)):
                break
            state = deps.attempts.get(state.username)
    return SignInAnswer(id_token=result.id_token, expires_in=result.expires_in)


def _needs_enrolment(account: CognitoAccount, deps: SignInDependencies) -> bool:
    needs = Role.ADMINISTRATOR in account.groups or (
        deps.mfa_for_plate_data and sees_plate_data(account.groups))
    return needs and not account.mfa_enabled


def _account_or_none(username: str, deps: SignInDependencies) -> CognitoAccount | None:
    if not username.strip():
        return None
    try:
        return deps.identity.account(username.strip())
    except AccountNotFound:
        return None


def _entry(account: CognitoAccount | None, typed: str, action: str, now: datetime,
           allowed: bool, origin: Origin, code: str = "",
           extra: dict[str, str] | None = None) -> AuditEntry:
    """A sign-in record: the account when the username names one, else the name as typed."""
    query = {"username": typed.strip()[:64], **(extra or {})}
    order = list(Role)
    roles = sorted(account.groups, key=order.index) if account else []
    return AuditEntry(
        at=format_time(now),
        user_id=account.user_id if account else ANONYMOUS,
        username=account.username if account else ANONYMOUS,
        agency=account.attributes.get("custom:agency", "") if account else "",
        role=roles[0].value if roles else "", action=action,
        outcome=ALLOWED if allowed else REFUSED,
        query={name: value for name, value in query.items() if value},
        refusal_code=code, source_ip=origin.source_ip, request_id=origin.request_id)

