"""The web console's static files (served by the API itself, same origin) and the catalog of
roles, permissions and purposes the console uses to show each role only its pages."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from chalicelib.domain.access import ROLE_PERMISSIONS, Purpose
from chalicelib.domain.account_register import JOB_ROLES, TWO_PERSON_ROLES, supervisor_allowed
from chalicelib.domain.releases import ReleaseStatus
from chalicelib.policy.long_history import DEFAULT_EXTENDED_SEARCH_DAYS, AuthorityKind
from chalicelib.policy.search import MAX_PATTERN_WINDOW_DAYS
from chalicelib.policy.sign_in import SESSION_IDLE_MINUTES

_HERE = Path(__file__).parent
_SCRIPT = "text/javascript; charset=utf-8"
ASSETS = {"index.html": "text/html; charset=utf-8",
          "app.js": _SCRIPT, "agencies.js": _SCRIPT, "accounts.js": _SCRIPT,
          "live.js": _SCRIPT, "reads.js": _SCRIPT, "cameras.js": _SCRIPT,
          "hotlists.js": _SCRIPT, "exports.js": _SCRIPT,
          "app.css": "text/css; charset=utf-8",
          "favicon.svg": "image/svg+xml"}
# The console only talks to its own origin. Images (frames, crops, map tiles) may also load from
# the image buckets' presigned links and a configured tile server, and only be shown: scripts,
# styles and requests stay on the console's own origin.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; "
                           "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
                           "base-uri 'none'; frame-ancestors 'none'")


def content_security_policy(image_origins: Sequence[str] = ()) -> str:
    """The console's policy, with the origins its <img> elements may load from."""
    extra = "".join(f" {origin}" for origin in sorted(set(image_origins))
                    if _ORIGIN.fullmatch(origin))
    return CONTENT_SECURITY_POLICY.replace("img-src 'self' data:", f"img-src 'self' data:{extra}")


# scheme://host[:port] only: nothing that could smuggle another directive into the header.
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")


@cache
def asset(name: str) -> str:
    """One of the console's files (only the names in ASSETS exist)."""
    if name not in ASSETS:
        raise KeyError(name)
    return (_HERE / name).read_text(encoding="utf-8")


def catalog(extended_search_days: int = DEFAULT_EXTENDED_SEARCH_DAYS) -> dict[str, Any]:
    """What the console needs to lay itself out; the API enforces all of it again."""
    return {
        "roles": {role.value: sorted(permission.value for permission in permissions)
                  for role, permissions in ROLE_PERMISSIONS.items()},
        "purposes": [purpose.value for purpose in Purpose],
        "release_statuses": [status.value for status in ReleaseStatus],
        "pattern_window_days": MAX_PATTERN_WINDOW_DAYS,
        "extended_search_days": extended_search_days,
        "authority_kinds": [kind.value for kind in AuthorityKind],
        "session_idle_minutes": SESSION_IDLE_MINUTES,
        # The users page: one role per user; which need a second administrator; supervisor.
        "job_roles": [role.value for role in JOB_ROLES],
        "two_person_roles": sorted(role.value for role in TWO_PERSON_ROLES),
        "supervisor_roles": [role.value for role in JOB_ROLES if supervisor_allowed(role)],
    }
