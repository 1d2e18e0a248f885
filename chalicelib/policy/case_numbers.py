"""Case numbers (policy 428.6(b): access only for a specific investigation): the agency's format,
and the placeholder values that name no investigation whatever the format allows.

The misuse this answers is a login used with an invented reason: `NONE`, `N/A`, `1234`, `0000`,
`ASDF` typed into the case-number box. The agency's own format is a setting (a regular
expression, `PLATEKEEPER_CASE_NUMBER_PATTERN`); the placeholder rules below apply on top of it,
so no setting can make `TEST` or `000000` a case number. Values are compared upper-cased; the
placeholder rules ignore spaces, dashes, slashes and dots ("N/A" is "NA"). Nothing here does I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The default format: an optional prefix of up to four letters (a unit or agency code), a year
# of two or four digits, and a serial of three to eight digits, each part optionally separated
# by a dash: 2026-001234, 26-12345, SC26-4411, SJ-26-55012.
DEFAULT_CASE_NUMBER_PATTERN = r"^[A-Z]{0,4}-?[0-9]{2,4}-?[0-9]{3,8}$"
DEFAULT_CASE_NUMBER_EXAMPLE = "2026-001234"
MAX_CASE_NUMBER_LENGTH = 32

# Words that are never a case number, alone or with digits after them ("TEST-1", "NONE0").
PLACEHOLDER_WORDS = frozenset({
    "NONE", "NA", "NOTAPPLICABLE", "NOTAVAILABLE", "NULL", "NIL", "NOTHING", "UNKNOWN", "UNK",
    "TEST", "TESTING", "TST", "TBD", "TBA", "PENDING", "NOCASE", "NOCASENUMBER", "NONUMBER",
    "NOREPORT", "DEMO", "SAMPLE", "EXAMPLE", "DUMMY", "FAKE", "TEMP", "TMP", "PLACEHOLDER",
    "BLANK", "EMPTY", "DEFAULT", "WHATEVER", "JUNK", "XX", "XXX", "XXXX", "ASDF", "QWERTY",
})
# Words that name no particular case when they stand alone (or with filler digits only).
GENERIC_WORDS = frozenset({
    "CASE", "CASENUMBER", "CASENO", "INCIDENT", "INVESTIGATION", "REPORT", "REF", "REFERENCE",
    "GENERAL", "MISC", "MISCELLANEOUS", "VARIOUS", "OTHER", "ROUTINE", "PATROL", "TRAINING",
})
# Rows of a keyboard and the alphabet: four or more neighbours typed in a row are filler.
RUNS = ("QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789")
MIN_RUN = 4
_IGNORED = re.compile(r"[\s\-/._]+")
_DIGIT_GROUPS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class CaseNumberRule:
    """The agency's case-number format and an example of it (shown in refusals)."""

    pattern: str = DEFAULT_CASE_NUMBER_PATTERN
    example: str = DEFAULT_CASE_NUMBER_EXAMPLE

    def __post_init__(self) -> None:
        # Validated once, when settings are loaded: an unusable rule must stop the deployment.
        compiled = re.compile(self.pattern)
        if not compiled.match(self.example.upper()):
            raise ValueError(f"the example case number {self.example!r} does not match the "
                             f"case-number pattern {self.pattern!r}")
        reason = placeholder_reason(self.example)
        if reason is not None:
            raise ValueError(f"the example case number {self.example!r} is {reason}")

    def matches(self, case_number: str) -> bool:
        """Whether the (upper-cased, stripped) value is in the agency's format."""
        text = case_number.strip().upper()
        return len(text) <= MAX_CASE_NUMBER_LENGTH and re.match(self.pattern, text) is not None


def placeholder_reason(case_number: str) -> str | None:
    """What makes a value a placeholder rather than a case number (a phrase), or None."""
    core = _IGNORED.sub("", case_number.strip().upper())
    if not core:
        return "empty"
    letters = "".join(char for char in core if not char.isdigit())
    digits = "".join(char for char in core if char.isdigit())
    if letters in PLACEHOLDER_WORDS:
        return "a placeholder word (such as NONE, N/A, UNKNOWN or TEST)"
    if letters in GENERIC_WORDS and (not digits or _filler_digits(digits)):
        return "a generic word (such as CASE or INCIDENT) without a number"
    if len(core) >= 2 and len(set(core)) == 1:
        return "one repeated character"
    if len(core) >= MIN_RUN and any(core in run or core in run[::-1] for run in RUNS):
        return "a run of neighbouring keys, letters or digits (such as 1234 or ASDF)"
    serials = _DIGIT_GROUPS.findall(case_number)
    if serials and set(serials[-1]) == {"0"}:
        return "numbered zero (its last group of digits is all zeros)"
    return None


def _filler_digits(digits: str) -> bool:
    return len(set(digits)) == 1 or any(digits in run or digits in run[::-1] for run in RUNS)


DEFAULT_CASE_NUMBER_RULE = CaseNumberRule()
