"""The agency directory: the agencies this department may share ALPR data with (policy 428.7).

A release request names a directory entry, and the sharing rule reads the agency's jurisdiction
and type from that entry, never from a form field. An entry is proposed by one administrator and
takes effect only when a second administrator confirms it; it is never deleted, only retired (or
declined before it took effect). The facts two people vouched for are fixed by `entry_digest`,
which the access record keeps with both acts, so an entry edited afterwards (in the table, around
the API) no longer matches its record and cannot be released to.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from chalicelib.domain.errors import Refused

# FBI/NCIC Originating Agency Identifier: 9 characters, the first two the state (or territory)
# where the agency sits. The remaining seven are assigned by the FBI; they are not checked here
# beyond their alphabet (policy/agency_screen.py reads what the prefix and letters mark).
ORI = re.compile(r"^[A-Z]{2}[A-Z0-9]{7}$")
# A mail domain: labels of letters, digits and hyphens, at least one dot, no trailing dot.
DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
MAX_NAME = 160
MAX_DOMAINS = 10
MAX_REASON = 1000
MAX_CITY = 80
_Choice = TypeVar("_Choice", bound=StrEnum)

# The 58 counties of California (Government Code 23100 ff.), the only counties a local
# directory entry can name. San Francisco is a city and county.
CALIFORNIA_COUNTIES: tuple[str, ...] = (
    "Alameda", "Alpine", "Amador", "Butte", "Calaveras", "Colusa", "Contra Costa", "Del Norte",
    "El Dorado", "Fresno", "Glenn", "Humboldt", "Imperial", "Inyo", "Kern", "Kings", "Lake",
    "Lassen", "Los Angeles", "Madera", "Marin", "Mariposa", "Mendocino", "Merced", "Modoc",
    "Mono", "Monterey", "Napa", "Nevada", "Orange", "Placer", "Plumas", "Riverside",
    "Sacramento", "San Benito", "San Bernardino", "San Diego", "San Francisco", "San Joaquin",
    "San Luis Obispo", "San Mateo", "Santa Barbara", "Santa Clara", "Santa Cruz", "Shasta",
    "Sierra", "Siskiyou", "Solano", "Sonoma", "Stanislaus", "Sutter", "Tehama", "Trinity",
    "Tulare", "Tuolumne", "Ventura", "Yolo", "Yuba",
)
_COUNTY_BY_FOLD = {county.casefold(): county for county in CALIFORNIA_COUNTIES}


class AgencyType(StrEnum):
    LAW_ENFORCEMENT = "law_enforcement"
    PROSECUTORIAL = "prosecutorial"
    OTHER = "other"


class Jurisdiction(StrEnum):
    """Who the body answers to; 1798.90.55(b) turns on this. Directory entries are always
    CALIFORNIA (the screen refuses the rest); the other values name why a request was refused."""

    CALIFORNIA = "california_state_or_local"
    OTHER_STATE = "other_state"
    FEDERAL = "federal"
    PRIVATE = "private"


class Level(StrEnum):
    """A California state agency (statewide) or a local one (in one county)."""

    STATE = "state"
    LOCAL = "local"


class EntryStatus(StrEnum):
    PROPOSED = "proposed"  # waits for a second administrator; requests to it cannot be approved
    ACTIVE = "active"      # confirmed by a second administrator
    DECLINED = "declined"  # the second administrator said no; kept, never took effect
    RETIRED = "retired"    # no longer used (renamed, merged, wrong facts); kept on file


class AgencyRefused(Refused):
    """A directory proposal or decision breaks a rule: a code, a sentence, a status."""


@dataclass(frozen=True)
class AgencyFacts:
    """What the proposer states and the confirmer vouches for."""

    name: str
    ori: str
    agency_type: AgencyType
    level: Level
    county: str
    city: str
    domains: tuple[str, ...]
    jurisdiction: Jurisdiction = Jurisdiction.CALIFORNIA


@dataclass(frozen=True)
class AgencyEntry:
    agency_id: str
    facts: AgencyFacts
    status: EntryStatus
    proposed_by: str
    proposed_at: str
    digest: str
    source: str = "console"
    proposal_seq: int = 0        # the access record's proposal record
    confirmed_by: str = ""
    confirmed_at: str = ""
    confirmation_seq: int = 0    # the access record's confirmation record
    closed_by: str = ""          # who declined or retired it
    closed_at: str = ""
    close_reason: str = ""
    note: str = ""

    @property
    def name(self) -> str:
        return self.facts.name


def normalize_ori(text: str) -> str:
    return re.sub(r"[\s-]", "", text).upper()


def parse_facts(name: str, ori: str, agency_type: str, level: str, county: str, city: str,
                domains: Iterable[str]) -> AgencyFacts:
    """Validated facts of a proposal, or AgencyRefused naming the first field that is wrong.
    Whether the body may receive data at all is the screen's question, not this one's."""
    clean_name = " ".join(name.split())
    if not clean_name:
        raise AgencyRefused("AGENCY_NAME_REQUIRED", "give the agency's full official name")
    if len(clean_name) > MAX_NAME:
        raise AgencyRefused("AGENCY_NAME_INVALID", f"the name is limited to {MAX_NAME} characters")
    clean_ori = normalize_ori(ori)
    if not clean_ori:
        raise AgencyRefused("ORI_REQUIRED", "give the agency's 9-character ORI (from CLETS/NCIC "
                                            "or the agency's letterhead)")
    if not ORI.match(clean_ori):
        raise AgencyRefused("ORI_INVALID", "an ORI is 9 letters and digits, the first two the "
                                           "state's code (CA for a California agency)")
    kind = _choice(AgencyType, agency_type, "AGENCY_TYPE")
    scope = _choice(Level, level, "LEVEL")
    clean_county = _county(county, scope)
    clean_city = " ".join(city.split())
    if len(clean_city) > MAX_CITY:
        raise AgencyRefused("CITY_INVALID", f"the city is limited to {MAX_CITY} characters")
    return AgencyFacts(clean_name, clean_ori, kind, scope, clean_county, clean_city,
                       parse_domains(domains))


def parse_domains(domains: Iterable[str]) -> tuple[str, ...]:
    """The mail domains the agency's written requests come from, lower case, each once."""
    found: dict[str, None] = {}
    for raw in domains:
        domain = raw.strip().lower().removeprefix("@").rstrip(".")
        if not domain:
            continue
        if not DOMAIN.match(domain):
            raise AgencyRefused("DOMAIN_INVALID", f"{domain[:80]!r} is not a mail domain "
                                                  "(for example sheriff.example.gov)")
        found[domain] = None
    if len(found) > MAX_DOMAINS:
        raise AgencyRefused("DOMAIN_INVALID", f"at most {MAX_DOMAINS} domains per agency")
    return tuple(found)


def california_county(text: str) -> str | None:
    """The county's name as the list spells it, or None when it is not one of the 58."""
    folded = " ".join(text.split()).casefold().removesuffix(" county").strip()
    return _COUNTY_BY_FOLD.get(folded)


def entry_digest(facts: AgencyFacts) -> str:
    """SHA-256 of the facts in a canonical form: what the two administrators' records name."""
    payload = {"name": facts.name, "ori": facts.ori, "agency_type": facts.agency_type.value,
               "level": facts.level.value, "county": facts.county, "city": facts.city,
               "domains": sorted(facts.domains), "jurisdiction": facts.jurisdiction.value}
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def sender_domain(address: str) -> str:
    """The domain of an e-mail address, lower case ('' when it is not an address)."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not DOMAIN.match(domain.lower().rstrip(".")):
        return ""
    return domain.lower().rstrip(".")


def domain_matches(domain: str, allowed: Iterable[str]) -> bool:
    """The domain is one of the agency's, or a subdomain of one (mail.sheriff.example.gov)."""
    return any(domain == item or domain.endswith("." + item) for item in allowed)


def _county(county: str, level: Level) -> str:
    if level is Level.STATE:
        if county.strip():
            raise AgencyRefused("COUNTY_INVALID",
                                "a state agency is statewide: leave the county empty")
        return ""
    found = california_county(county)
    if found is None:
        raise AgencyRefused("COUNTY_INVALID", "a local agency names one of California's 58 "
                                              "counties")
    return found


def _choice(kind: type[_Choice], value: str, name: str) -> _Choice:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise AgencyRefused(f"{name}_INVALID",
                            f"{name.lower().replace('_', ' ')} must be one of: {allowed}"
                            ) from None
