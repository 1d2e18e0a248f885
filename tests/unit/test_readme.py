"""The README's lists are the code's: every make target, purpose, role with its permissions,
search field and demo user, and a complete list of local differences."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from chalicelib.domain.access import ROLE_PERMISSIONS, Permission, Purpose, Role, sees_plate_data
from chalicelib.services.search import SEARCH_SCHEMA
from local_stack.seed import demo_users

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def table_after(heading: str) -> list[list[str]]:
    """The rows (cells stripped) of the first table after `heading`, header and rule left out."""
    rest = README[README.index(heading):]
    lines = rest.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip("|"))])
    return rows


def test_every_make_target_is_in_the_readme_table() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.MULTILINE))
    phony = set(" ".join(re.findall(r"^\.PHONY:((?:.*\\\n)*.*)", makefile, re.MULTILINE)[0]
                         .split("\\")).split())
    assert phony == targets  # nothing declared without a recipe, nothing undeclared
    listed = {row[0].strip("`").split()[1] for row in table_after("### Every `make` target")}
    assert listed == targets


def test_the_purposes_table_is_the_fixed_list() -> None:
    listed = [row[0].strip("`") for row in table_after("### Purposes and roles")]
    assert listed == [purpose.value for purpose in Purpose]


def test_the_roles_table_says_what_each_role_may_do() -> None:
    rows = table_after("| role | may | one-time code |")
    assert [row[0].strip("`") for row in rows] == [role.value for role in Role]
    for name, may, code in rows:
        role = Role(name.strip("`"))
        expected = ("every permission" if ROLE_PERMISSIONS[role] == frozenset(Permission)
                    else ", ".join(f"`{permission.value}`" for permission in Permission
                                   if permission in ROLE_PERMISSIONS[role]))
        assert may == expected, role
        assert code == ("yes" if sees_plate_data(frozenset({role})) else "no"), role


def test_the_search_fields_table_lists_every_field() -> None:
    rows = table_after("The search's fields, in full")
    listed = {name.strip("` ") for row in rows for name in row[0].split(",")}
    assert listed == set(SEARCH_SCHEMA)


def test_every_demo_user_is_in_the_readme_with_its_state() -> None:
    rows = table_after("### Demo users (local only)")
    listed = {name.strip("` ") for row in rows for name in row[0].split(",")}
    assert listed == {user.username for user in demo_users(date(2026, 12, 1))}
    states = " ".join(row[2] for row in rows)
    for code in ("CERTIFICATION_EXPIRED", "ACCOUNT_IDLE", "ACCOUNT_NOT_APPROVED",
                 "ACCOUNT_DISABLED", "invited"):
        assert code in states


def test_the_local_differences_list_names_what_the_issue_requires() -> None:
    section = README[README.index("### Local differences"):README.index("## Deploying to AWS")]
    for difference in ("accepts any one-time code", "lockout", "Presigned links do not expire",
                       "Upload conditions and bucket policies are not enforced", "No e-mail",
                       "IAM and KMS key policies", "TTL", "EventBridge", "CloudTrail",
                       "accepts any\n  token"):
        assert difference in section, difference


def test_the_deploy_section_ends_with_bootstrap_admin_and_the_smoke_check() -> None:
    deploy = README[README.index("## Deploying to AWS"):]
    assert deploy.index("make bootstrap-admin") < deploy.index("make smoke")
    assert "## " not in deploy[deploy.index("make bootstrap-admin"):]
