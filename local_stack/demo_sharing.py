"""Demo steps of the sharing rules no insider can bend: the agency directory (two
administrators), releases (two people), and every way of filing ICE's request refused.

Each step is a function taking the `Demo` (local_stack/demo.py) and returning its summary line;
it raises StepFailed when the system does not do what it should. The ORIs below are made-up
values of the right shape for the local stack ("CA9DEMO01"), not the agencies' identifiers.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from local_stack.api_client import ApiClient

if TYPE_CHECKING:
    from local_stack.demo import Demo

ICE = "U.S. Immigration and Customs Enforcement (DHS)"
LLC = "Vigilant Repo Recovery LLC"
DEMO_AGENCIES = (
    {"name": "San Jose Police Department", "ori": "CA9DEMO01", "agency_type": "law_enforcement",
     "level": "local", "county": "Santa Clara", "city": "San Jose",
     "domains": ["sjpd.example.gov"]},
    {"name": "Santa Clara County Sheriff's Office", "ori": "CA9DEMO02",
     "agency_type": "law_enforcement", "level": "local", "county": "Santa Clara", "city": "",
     "domains": ["sheriff.example.gov"]},
)


class StepFailed(AssertionError):
    """A demo step did not do what it should."""


def client(demo: Demo, username: str) -> ApiClient:
    """A signed-in client of one demo user (kept on the demo)."""
    if username not in demo.clients:
        user = demo.users[username]
        demo.clients[username] = ApiClient(demo.stack.api_url).login(user.username,
                                                                     user.password)
    return demo.clients[username]


def expect(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    if response.status_code != status or (code is not None and body.get("error") != code):
        raise StepFailed(f"expected {status} {code or ''}, got {response.status_code}: "
                         f"{response.text[:300]}")
    return body


def seed_directory(demo: Demo) -> str:
    """`make run`'s demo data: two agencies proposed by admin.demo, confirmed by admin2.demo."""
    names = [confirmed_agency(demo, agency)["name"] for agency in DEMO_AGENCIES]
    return f"directory entries confirmed by two administrators: {', '.join(names)}"


def confirmed_agency(demo: Demo, agency: dict[str, Any]) -> dict[str, Any]:
    """The entry of `agency`, proposed and confirmed if it is not in the directory yet."""
    existing = [entry for entry in expect(client(demo, "admin.demo").get(
        "/agencies", {"status": "active"}), 200)["agencies"] if entry["name"] == agency["name"]]
    if existing:
        return existing[0]
    proposed = expect(client(demo, "admin.demo").post("/agencies", agency), 201)
    return expect(client(demo, "admin2.demo").post(
        f"/agencies/{proposed['agency_id']}/confirmation"), 200)


def agency_directory(demo: Demo) -> str:
    """One administrator proposes, cannot confirm their own entry, a second confirms; federal
    and private bodies are refused before anything is stored."""
    admin, second = client(demo, "admin.demo"), client(demo, "admin2.demo")
    candidates = expect(admin.get("/agencies/candidates"), 200)["candidates"]
    proposed = expect(admin.post("/agencies", DEMO_AGENCIES[0]), 201)
    if proposed["status"] != "proposed":
        raise StepFailed(f"a proposal took effect at once: {proposed['status']}")
    self_confirm = expect(admin.post(f"/agencies/{proposed['agency_id']}/confirmation"), 403,
                          "SELF_CONFIRMATION")
    confirmed = expect(second.post(f"/agencies/{proposed['agency_id']}/confirmation"), 200)
    refused = []
    for name, domains in ((ICE, ["ice.dhs.gov"]), (LLC, [])):
        body = expect(admin.post("/agencies", {**DEMO_AGENCIES[0], "name": name,
                                               "ori": "CA9DEMO07", "domains": domains}),
                      403, "AGENCY_PROHIBITED")
        refused.append(f"{name} ({body['message'].split(': ', 1)[1][:60]}...)")
    return (f"{confirmed['name']} (ORI {confirmed['ori']}) proposed by admin.demo, "
            f"self-confirmation refused ({self_confirm['error']}), confirmed by "
            f"{confirmed['confirmed_by']}; refused before storing: {'; '.join(refused)}; "
            f"{len(candidates)} California agencies offered from the seed file")


def release_two_person(demo: Demo) -> str:
    """Filed by one person, refused to the same person, approved by a second (who must
    acknowledge the new-agency warning), delivered and verified."""
    admin, second = client(demo, "admin.demo"), client(demo, "admin2.demo")
    entry = confirmed_agency(demo, DEMO_AGENCIES[0])
    plate = demo.plates_read[0]
    filed = expect(admin.post("/releases", letter(demo, plate, agency_id=entry["agency_id"],
                                                  sent_from="okafor@sjpd.example.gov")), 201)
    if filed["status"] != "pending":
        raise StepFailed(f"filed as {filed['status']}: {filed['rule']}")
    request_id = filed["request_id"]
    own = expect(admin.post(f"/releases/{request_id}/approval",
                            {"reason": "I checked it myself"}), 403, "SELF_APPROVAL")
    codes = [warning["code"] for warning in filed["warnings"]]
    blind = second.post(f"/releases/{request_id}/approval", {"reason": "looks fine"})
    if codes:
        expect(blind, 409, "WARNINGS_NOT_ACKNOWLEDGED")
        approved = expect(second.post(f"/releases/{request_id}/approval", {
            "reason": "Written request verified with Sgt. Okafor by phone",
            "acknowledged_warnings": codes}), 200)
    else:
        approved = expect(blind, 200)
    if not approved.get("delivery_url"):
        raise StepFailed(f"no delivery link: {approved}")
    from local_stack.demo import verify_package_at

    verify_package_at(approved["delivery_url"])
    return (f"filed by admin.demo, approval by the filer refused ({own['error']}); "
            f"admin2.demo acknowledged {', '.join(codes) or 'no warnings'} and approved: "
            f"{approved['reads_released']} reads of {plate} to {entry['name']}, package verified")


def release_ice_refused(demo: Demo) -> str:
    """Every way a records clerk could file ICE's (or a repo company's) request ends refused,
    and each attempt is in the access record."""
    admin, second = client(demo, "admin.demo"), client(demo, "admin2.demo")
    entry = confirmed_agency(demo, DEMO_AGENCIES[0])
    plate = demo.plates_read[0]
    outcomes = []
    by_name = expect(admin.post("/releases", letter(demo, plate, agency_name=ICE,
                                                    sent_from="rdoe@ice.dhs.gov")), 201)
    under_sjpd = expect(admin.post("/releases", letter(demo, plate,
                                                       agency_id=entry["agency_id"],
                                                       sent_from="rdoe@ice.dhs.gov")), 201)
    repo = expect(admin.post("/releases", letter(demo, plate, agency_name=LLC)), 201)
    for label, filed in (("named ICE", by_name), ("under SJPD's entry from ice.dhs.gov",
                                                  under_sjpd), ("the LLC", repo)):
        if filed["status"] != "prohibited":
            raise StepFailed(f"{label} was filed as {filed['status']}")
        forced = expect(second.post(f"/releases/{filed['request_id']}/approval",
                                    {"reason": "approve anyway",
                                     "acknowledged_warnings": ["SENDER_DOMAIN_MISMATCH"]}),
                        403, "RELEASE_PROHIBITED")
        outcomes.append(f"{label}: prohibited, approval {forced['error']}")
    legacy = expect(admin.post("/releases", {**letter(demo, plate, agency_name=ICE),
                                             "jurisdiction": "california_state_or_local"}),
                    400, "AGENCY_FROM_DIRECTORY")
    outcomes.append(f"typed in as 'California state or local': {legacy['error']}")
    entry_refused = expect(admin.post("/agencies", {**DEMO_AGENCIES[0], "name": ICE,
                                                    "ori": "CA9DEMO08"}),
                           403, "AGENCY_PROHIBITED")
    outcomes.append(f"as a directory entry: {entry_refused['error']}")
    records = expect(client(demo, "auditor.demo").get("/audit", {"username": "admin2.demo"}),
                     200)["records"]
    recorded = sum(1 for row in records if row["refusal_code"] == "RELEASE_PROHIBITED")
    if recorded < 3:
        raise StepFailed(f"only {recorded} refused approvals are in the access record")
    return "; ".join(outcomes) + f"; {recorded} refused approvals in the access record"


def admin_lockout_refused(demo: Demo) -> str:
    """With two administrators, neither can disable the other (the two-person rules need
    both), and the survivor could not disable themselves."""
    admin = client(demo, "admin.demo")
    other = expect(admin.put("/admin/users/admin2.demo/enabled",
                             {"enabled": False, "reason": "left the unit"}), 409,
                   "SOLE_ADMINISTRATOR")
    users = expect(admin.get("/admin/users"), 200)["users"]
    if not all(user["enabled"] for user in users if user["username"] in {"admin.demo",
                                                                          "admin2.demo"}):
        raise StepFailed("an administrator was disabled")
    return f"admin.demo disabling admin2.demo refused ({other['error']}): {other['message']}"


def letter(demo: Demo, plate: str, **agency: str) -> dict[str, Any]:
    """A written request for one plate's last week, naming the agency as given."""
    now = demo.stack.clock()
    return {
        **agency, "requester_name": "Sgt. M. Okafor", "requester_contact": "+1 408 555 0100",
        "purpose": "criminal_investigation", "purpose_detail": "Locate a vehicle of interest",
        "case_number": "SJ-26-55012", "plate": plate,
        "from": (now - timedelta(days=7)).isoformat(),
        "to": (now + timedelta(hours=1)).isoformat(),
        "document": {"filename": "letter.txt", "content_type": "text/plain",
                     "content_base64": base64.b64encode(
                         f"Request for ALPR data on {plate}".encode()).decode()},
    }
