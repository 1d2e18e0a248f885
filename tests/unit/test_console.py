"""The console's static files and catalog, checked without a browser (the browser tests are in
tests/integration/test_console_browser.py)."""

from __future__ import annotations

import re

import pytest

from chalicelib import console
from chalicelib.domain.access import ROLE_PERMISSIONS, Permission, Role
from chalicelib.views import console_asset


@pytest.mark.parametrize("name", sorted(console.ASSETS))
def test_assets_are_served_with_a_strict_content_security_policy(name: str) -> None:
    response = console_asset(name)
    assert response.status_code == 200 and response.body
    assert response.headers["Content-Type"] == console.ASSETS[name]
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_only_listed_files_exist() -> None:
    with pytest.raises(KeyError):
        console.asset("../__init__.py")


@pytest.mark.parametrize("name", sorted(name for name in console.ASSETS if name.endswith(".js")))
def test_script_never_writes_markup_from_data(name: str) -> None:
    """Plates, agency names and reasons come from users: the script sets text, never HTML."""
    script = console.asset(name)
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(", script)


def test_catalog_mirrors_the_role_grants() -> None:
    catalog = console.catalog()
    assert set(catalog["roles"]) == {role.value for role in Role}
    assert catalog["roles"]["auditor"] == sorted(
        permission.value for permission in ROLE_PERMISSIONS[Role.AUDITOR])
    assert Permission.REVIEW_RELEASES.value not in catalog["roles"]["records_specialist"]
    assert "prohibited" in catalog["release_statuses"]


def test_images_may_come_from_the_buckets_and_nothing_else() -> None:
    policy = console.content_security_policy(["https://raw.s3.us-west-2.amazonaws.com",
                                              "http://127.0.0.1:5000"])
    assert ("img-src 'self' data: http://127.0.0.1:5000 https://raw.s3.us-west-2.amazonaws.com;"
            in policy)
    assert "script-src 'self';" in policy and "connect-src 'self';" in policy


@pytest.mark.parametrize("origin", ["https://a.example; script-src *", "javascript:alert(1)",
                                    "https://tiles.example/{z}", "*"])
def test_an_origin_cannot_smuggle_a_directive(origin: str) -> None:
    assert console.content_security_policy([origin]) == console.CONTENT_SECURITY_POLICY


def test_console_with_a_trailing_slash_goes_to_the_console() -> None:
    from chalicelib.views import console_redirect

    response = console_redirect()
    assert response.status_code == 308 and response.headers["Location"] == "../console"

