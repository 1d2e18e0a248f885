"""The agency's posted ALPR policy (428.3.1(g)): a text or Markdown file named by the settings."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

MAX_POLICY_BYTES = 512 * 1024
# Written where the agency's name goes in the shipped sample (and in an agency's own file, if it
# likes): filled from the AgencyName setting, so the posted text names the agency as deployed.
AGENCY_NAME_PLACEHOLDER = "{{AGENCY_NAME}}"


class PolicyDocumentUnavailable(RuntimeError):
    """The configured policy file is missing, unreadable or too large."""


@dataclass(frozen=True)
class PolicyDocument:
    name: str
    text: str
    sha256: str


def load_policy_document(path: str, agency_name: str = "") -> PolicyDocument:
    """Read the file as UTF-8, with the agency's name in place of its placeholder; say which
    file and why when it cannot be used. The SHA-256 is the file's, as adopted."""
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
    if agency_name.strip():
        text = text.replace(AGENCY_NAME_PLACEHOLDER, agency_name.strip())
    return PolicyDocument(location.name, text, hashlib.sha256(raw).hexdigest())
