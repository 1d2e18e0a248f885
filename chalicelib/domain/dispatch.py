"""What the dispatch (CAD) webhook receives for each alert, and how it knows the post is ours.

Each alert is POSTed as JSON with the headers
  X-Platekeeper-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>
  X-Platekeeper-Alert-Id: <alert id>   (the same on every retry: the receiver drops repeats)
The secret lives in AWS Secrets Manager (the template's DispatchWebhookSecret) and is given to
the CAD vendor out of band. A receiver checks the signature with `verify_signature` (or its own
code: Stripe-style scheme) and refuses posts older than five minutes, so a captured post
cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any
from urllib.parse import urlsplit

from chalicelib.domain.alerts import VERIFY_INSTRUCTION, Alert

SIGNATURE_HEADER = "X-Platekeeper-Signature"
ALERT_ID_HEADER = "X-Platekeeper-Alert-Id"
MAX_AGE_SECONDS = 300
_SIGNATURE = re.compile(r"^t=(\d{1,12}),v1=([0-9a-f]{64})$")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class InvalidWebhookUrl(ValueError):
    """A webhook address the rules refuse."""


def check_webhook_url(url: str) -> str:
    """HTTPS, or plain HTTP only to this machine (a CAD gateway on the same host)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname in _LOOPBACK:
        return url
    raise InvalidWebhookUrl("the dispatch webhook must be an https:// address")


def signature(secret: bytes, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify_signature(secret: bytes, header: str, body: bytes, now: int) -> bool:
    """Whether the header signs this body with the secret, within MAX_AGE_SECONDS."""
    match = _SIGNATURE.match(header.strip())
    if match is None:
        return False
    timestamp = int(match.group(1))
    if abs(now - timestamp) > MAX_AGE_SECONDS:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), header.strip())


def payload(alert: Alert, camera_name: str, position: tuple[float, float] | None) -> bytes:
    """The JSON body posted for one alert: what a dispatcher needs to send a unit."""
    document: dict[str, Any] = {
        "alert_id": alert.alert_id, "priority": alert.effective_level,
        "plate": alert.plate, "read_state": alert.read_state or None,
        "hotlist": {"plate": alert.entry_plate, "state": alert.entry_state or None,
                    "category": alert.category, "case_number": alert.case_number or None},
        "state_mismatch": alert.state_mismatch, "match": alert.match,
        "camera": {"id": alert.camera_id, "name": camera_name,
                   "lat": position[0] if position else None,
                   "lon": position[1] if position else None},
        "captured_at": alert.captured_at, "created_at": alert.created_at,
        "instruction": VERIFY_INSTRUCTION,
    }
    return json.dumps(document, sort_keys=True).encode()
