"""What the invitation e-mail would say, locally.

In AWS, Cognito e-mails an invited user their temporary password (AdminCreateUser). moto sends
no e-mail; it keeps the password it was given. This reads it back from moto's model data (the
moto server's /moto-api/data.json), as the user would read it from their mailbox. Local only:
the demo and the tests use it to sign in as the invited person; nothing in the product does.
"""

from __future__ import annotations

import requests


class NoInvitation(LookupError):
    """moto has no temporary password for this user (not invited, or already signed in)."""


def temporary_password(endpoint_url: str, user_pool_id: str, username: str) -> str:
    """The temporary password Cognito would have e-mailed to `username`."""
    data = requests.get(f"{endpoint_url}/moto-api/data.json", timeout=60).json()
    for user in reversed(data.get("cognitoidp", {}).get("CognitoIdpUser", [])):  # newest first
        if (user.get("user_pool_id") == user_pool_id
                and str(user.get("username", "")).casefold() == username.casefold()
                and user.get("status") == "FORCE_CHANGE_PASSWORD" and user.get("password")):
            return str(user["password"])
    raise NoInvitation(username)
