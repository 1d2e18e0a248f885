"""Subscriptions of an e-mail address or a phone number to high-priority alerts (SNS).

What reaches a subscriber is a short notice without the plate or the image (see
services/alerts.high_priority_text): e-mail and text messages leave the agency's systems
unencrypted. Each person may hold a few subscriptions; each one is recorded, listed to the
administrators, and can be removed by its owner or an administrator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EMAIL = "email"
SMS = "sms"
PROTOCOLS = (EMAIL, SMS)
MAX_PER_PERSON = 3
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}$")
# E.164: a plus, the country code and the number, 8-15 digits in all.
_PHONE = re.compile(r"^\+[1-9][0-9]{7,14}$")


class InvalidSubscription(ValueError):
    """A subscription the rules refuse; the message says how to fix it."""


@dataclass(frozen=True)
class Subscription:
    subscription_id: str
    username: str
    protocol: str
    endpoint: str
    subscription_arn: str
    created_at: str


def validate_endpoint(protocol: str, endpoint: str) -> tuple[str, str]:
    """(protocol, endpoint) once they are an e-mail address or an E.164 phone number."""
    protocol = protocol.strip().lower()
    endpoint = endpoint.strip()
    if protocol == EMAIL:
        if not _EMAIL.match(endpoint):
            raise InvalidSubscription("endpoint must be an e-mail address")
        return protocol, endpoint.lower()
    if protocol == SMS:
        phone = re.sub(r"[\s().-]", "", endpoint)
        if not _PHONE.match(phone):
            raise InvalidSubscription("endpoint must be a phone number in international form, "
                                      "such as +14085550123")
        return protocol, phone
    raise InvalidSubscription(f"protocol must be one of {', '.join(PROTOCOLS)}")


def masked(endpoint: str) -> str:
    """An endpoint as other people see it in lists: enough to recognise, not to copy."""
    if "@" in endpoint:
        name, _, domain = endpoint.partition("@")
        return f"{name[:2]}***@{domain}"
    return endpoint[:3] + "*" * max(len(endpoint) - 5, 0) + endpoint[-2:]
