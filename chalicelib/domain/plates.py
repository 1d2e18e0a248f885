"""License plate text: normalization, OCR-confusion folding and wildcard patterns.

Shared by search (policy 428.4(c): partial plates from witnesses), hotlist matching and
recognition output. Wildcards are matched by an iterative glob matcher whose cost is at most
len(pattern) x len(plate) steps (both short and bounded), never by a regular expression built
from user input, so no pattern can cause catastrophic backtracking.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PLATE_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
MAX_PLATE_LENGTH = 10
_SEPARATORS = re.compile(r"[\s\-.·]+")

# Characters OCR (and witnesses) confuse; each folds to one representative (O/0, D/0, I/1, ...).
CONFUSABLE = {"O": "0", "D": "0", "I": "1", "B": "8", "Z": "2", "S": "5"}
_FOLD = str.maketrans(CONFUSABLE)
WILDCARD_ANY = "*"
WILDCARD_ONE = "?"
MAX_PATTERN_LENGTH = 12
MAX_STARS = 3


class InvalidPlate(ValueError):
    """Plate text with characters a plate cannot have, or of impossible length."""


def normalize_plate(text: str) -> str:
    """Upper-case A-Z/0-9 plate text without spaces or dashes; raise InvalidPlate otherwise."""
    plate = _SEPARATORS.sub("", text.strip().upper())
    if not plate:
        raise InvalidPlate("plate is empty")
    if len(plate) > MAX_PLATE_LENGTH:
        raise InvalidPlate(f"plate is longer than {MAX_PLATE_LENGTH} characters")
    if not set(plate) <= PLATE_ALPHABET:
        raise InvalidPlate("plate may contain only letters A-Z and digits 0-9")
    return plate


def fold_plate(plate: str) -> str:
    """The plate with every confusable character replaced by its representative."""
    return plate.translate(_FOLD)


def edit_distance_at_most(first: str, second: str, limit: int) -> bool:
    """Whether the Levenshtein distance is <= limit (banded, O(len * limit))."""
    if abs(len(first) - len(second)) > limit:
        return False
    previous = list(range(len(second) + 1))
    for row, char in enumerate(first, start=1):
        current = [row] + [0] * len(second)
        low, high = max(1, row - limit), min(len(second), row + limit)
        if low > 1:
            current[low - 1] = limit + 1
        for column in range(low, high + 1):
            cost = 0 if char == second[column - 1] else 1
            current[column] = min(previous[column] + 1, current[column - 1] + 1,
                                  previous[column - 1] + cost)
        for column in range(high + 1, len(second) + 1):
            current[column] = limit + 1
        if min(current) > limit:
            return False
        previous = current
    return previous[-1] <= limit


@dataclass(frozen=True)
class PlatePattern:
    """A partial plate: `*` matches any run of characters, `?` exactly one."""

    text: str

    @classmethod
    def parse(cls, text: str) -> PlatePattern:
        pattern = _SEPARATORS.sub("", text.strip().upper())
        if not pattern:
            raise InvalidPlate("pattern is empty")
        if len(pattern) > MAX_PATTERN_LENGTH:
            raise InvalidPlate(f"pattern is longer than {MAX_PATTERN_LENGTH} characters")
        if not set(pattern) <= PLATE_ALPHABET | {WILDCARD_ANY, WILDCARD_ONE}:
            raise InvalidPlate("pattern may contain only A-Z, 0-9, * and ?")
        if pattern.count(WILDCARD_ANY) > MAX_STARS:
            raise InvalidPlate(f"pattern may contain at most {MAX_STARS} '*'")
        # How many known characters a use needs (search, hotlist) is that use's policy.
        return cls(re.sub(r"\*+", "*", pattern))

    @property
    def is_exact(self) -> bool:
        return WILDCARD_ANY not in self.text and WILDCARD_ONE not in self.text

    @property
    def known_characters(self) -> int:
        return sum(char in PLATE_ALPHABET for char in self.text)

    def matches(self, plate: str) -> bool:
        """Glob match with two pointers, resuming only after the most recent star."""
        pattern, text = self.text, plate
        p = t = 0
        star = -1
        resume = 0
        while t < len(text):
            if p < len(pattern) and pattern[p] in (text[t], WILDCARD_ONE):
                p += 1
                t += 1
            elif p < len(pattern) and pattern[p] == WILDCARD_ANY:
                star, resume = p, t
                p += 1
            elif star >= 0:
                p = star + 1
                resume += 1
                t = resume
            else:
                return False
        while p < len(pattern) and pattern[p] == WILDCARD_ANY:
            p += 1
        return p == len(pattern)
