"""The agency's posted ALPR policy (428.3.1(g)): a text or Markdown file named by the settings."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

MAX_POLICY_BYTES = 512 * 1024


class PolicyDocumentUnavailable(RuntimeError):
    """The configured policy file is missing, unreadable or too large."""


@dataclass(frozen=True)
class PolicyDocument:
    name: str
    text: str
    sha256: str


def load_policy_document(path: str) -> PolicyDocument:
    """Read the file as UTF-8; say which file and why when it cannot be used."""
    location = Path(path)
    try:
        raw = location.read_bytes()
    except OSError as error:
        raise PolicyDocumentUnavailable(
            f"the posted policy file {location.name} cannot be read") from error
    if len(raw) > MAX_POLICY_BYTES:
        raise PolicyDocumentUnavailable(f"the posted policy file {location.name} exceeds "
                                        f"{MAX_POLICY_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PolicyDocumentUnavailable(
            f"the posted policy file {location.name} is not UTF-8 text") from error
    return PolicyDocument(location.name, text, hashlib.sha256(raw).hexdigest())
