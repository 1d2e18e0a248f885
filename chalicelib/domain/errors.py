"""The one shape of a refused request, shared by every service's refusal."""

from __future__ import annotations


class Refused(ValueError):
    """A request breaks a rule: a stable code for programs, a sentence for people, a status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
