"""Sign-in rules (policy 428.6(a); CJIS Security Policy: unsuccessful logon attempts, session
lock, multi-factor authentication): the application's own lockout, the same on AWS and locally.

After MAX_FAILURES failed sign-ins (wrong password, unknown user, wrong or missing one-time code)
within FAILURE_WINDOW, the username is locked for LOCK_DURATION: no password, however right, is
tried against Cognito until the lock ends. Usernames are locked whether or not they exist, so
the answers never tell an outsider which usernames are real. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)
# The console locks itself after this long without activity (CJIS session lock).
SESSION_IDLE_MINUTES = 30
MAX_USERNAME_LENGTH = 128


@dataclass(frozen=True)
class AttemptState:
    """Recent failed sign-ins of one username (epoch seconds) and the end of any lock."""

    username: str
    failures: tuple[int, ...] = ()
    locked_until: int = 0
    version: int = 0

    def locked_at(self, now: datetime) -> bool:
        return now.timestamp() < self.locked_until


@dataclass(frozen=True)
class FailureOutcome:
    state: AttemptState
    newly_locked: bool


def attempt_key(username: str) -> str:
    """The lockout key of a typed username (the pool compares usernames without case)."""
    return username.strip().casefold()[:MAX_USERNAME_LENGTH]


def after_failure(state: AttemptState, now: datetime) -> FailureOutcome:
    """Count one more failure; lock when MAX_FAILURES fall within FAILURE_WINDOW."""
    moment = int(now.timestamp())
    window_start = moment - int(FAILURE_WINDOW.total_seconds())
    failures = (*(when for when in state.failures if when > window_start), moment)
    if len(failures) >= MAX_FAILURES and not state.locked_at(now):
        locked_until = moment + int(LOCK_DURATION.total_seconds())
        return FailureOutcome(replace(state, failures=(), locked_until=locked_until), True)
    return FailureOutcome(replace(state, failures=failures[-MAX_FAILURES:]), False)


def after_success(state: AttemptState) -> AttemptState:
    """A completed sign-in clears the count of failures."""
    return replace(state, failures=())


def expires_at(state: AttemptState) -> int:
    """When the stored state is of no more use (its TTL): after the lock and the window."""
    latest = max((*state.failures, 0))
    return max(state.locked_until, latest + int(FAILURE_WINDOW.total_seconds())) + 86_400
