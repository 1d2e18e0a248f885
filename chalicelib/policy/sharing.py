"""Who ALPR data may be shared with: a rule in code, applied when a request is filed and again
when it is approved.

Civil Code 1798.90.55(b): a public agency shall not sell, share or transfer ALPR information
except to another public agency, and the Attorney General's bulletin 2023-DLE-06 reads "public
agency" as a California state or local agency: not federal, not out of state, not private.
Policy 428.7: only law enforcement or prosecutorial agencies, for official purposes; any other
requester goes to the Records Maintenance and Release Policy.

The facts come from the agency directory (two administrators for each entry), never from the
filing form: a request names a directory entry, and its jurisdiction and type are the entry's.
The agency screen (policy/agency_screen.py) runs on the entry, on an unlisted agency's name and
on the sender's mail domain, so a federal, out-of-state or private body is prohibited however
the request is filed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain.agencies import (
    AgencyEntry,
    AgencyType,
    EntryStatus,
    Jurisdiction,
    domain_matches,
    sender_domain,
)
from chalicelib.domain.reads import parse_time
from chalicelib.domain.releases import ReleaseStatus, ReleaseWarning
from chalicelib.policy.agency_screen import (
    MarkKind,
    Screening,
    screen_agency,
    screen_domain,
    screen_name,
)
from chalicelib.policy.directory import NEW_AGENCY_DAYS

PROHIBITED_JURISDICTIONS = frozenset({Jurisdiction.FEDERAL, Jurisdiction.OTHER_STATE,
                                      Jurisdiction.PRIVATE})
SHAREABLE_AGENCY_TYPES = frozenset({AgencyType.LAW_ENFORCEMENT, AgencyType.PROSECUTORIAL})
UNLISTED_RULE = ("policy 428.7, Civil Code 1798.90.55(b): this agency is not a confirmed entry "
                 "of the agency directory, so nothing can be released to it; an administrator "
                 "proposes it, a second administrator confirms it, and the request is then "
                 "linked to the entry")


@dataclass(frozen=True)
class Triage:
    status: ReleaseStatus
    rule: str
    jurisdiction: Jurisdiction = Jurisdiction.CALIFORNIA  # what the rule found the body to be


def triage(agency_type: AgencyType, jurisdiction: Jurisdiction) -> Triage:
    """The status a request to a body of this type and jurisdiction gets; only PENDING ones can
    ever be approved."""
    if jurisdiction in PROHIBITED_JURISDICTIONS:
        return Triage(ReleaseStatus.PROHIBITED,
                      f"Civil Code 1798.90.55(b): ALPR information may be shared only with "
                      f"California state or local public agencies, not a "
                      f"{jurisdiction.value.replace('_', ' ')} body (AG bulletin 2023-DLE-06)",
                      jurisdiction)
    if agency_type not in SHAREABLE_AGENCY_TYPES:
        return Triage(ReleaseStatus.ROUTED,
                      "policy 428.7: requests from non-law enforcement, non-prosecutorial "
                      "agencies are processed under the Records Maintenance and Release Policy")
    return Triage(ReleaseStatus.PENDING,
                  "policy 428.7: a California law enforcement or prosecutorial agency in the "
                  "directory; a person other than the one who filed it reviews and approves it "
                  "before anything is released")


def triage_entry(entry: AgencyEntry) -> Triage:
    """A request naming a directory entry: the screen, then the entry's type and jurisdiction;
    a proposal not yet confirmed (or a retired entry) cannot be released to."""
    screening = screen_agency(entry.facts.name, entry.facts.ori, entry.facts.domains)
    if screening.refused:
        return _prohibited(screening)
    if entry.status is not EntryStatus.ACTIVE:
        return Triage(ReleaseStatus.UNLISTED,
                      f"{UNLISTED_RULE} (the entry is {entry.status.value})")
    return triage(entry.facts.agency_type, entry.facts.jurisdiction)


def triage_unlisted(name: str) -> Triage:
    """A request from an agency not in the directory: prohibited if its name is marked, kept
    (never approvable) otherwise."""
    screening = Screening(tuple(screen_name(name)))
    if screening.refused:
        return _prohibited(screening)
    return Triage(ReleaseStatus.UNLISTED, UNLISTED_RULE)


def sender_triage(sent_from: str) -> Triage | None:
    """A letter sent from a federal, out-of-state or foreign mail domain is prohibited whatever
    agency it names (a personal mail service is only a warning)."""
    domain = sender_domain(sent_from)
    marks = tuple(mark for mark in screen_domain(domain) if mark.kind is not MarkKind.PRIVATE)
    if not marks:
        return None
    triaged = _prohibited(Screening(marks))
    return Triage(triaged.status, f"the written request came from {domain}: {triaged.rule}",
                  triaged.jurisdiction)


def release_warnings(entry: AgencyEntry | None, sent_from: str,
                     now: datetime) -> tuple[ReleaseWarning, ...]:
    """What the reviewer must see (and acknowledge) before approving: a sender address that is
    missing or not the agency's, and an agency that joined the directory only recently."""
    warnings = []
    domain = sender_domain(sent_from)
    if not domain:
        warnings.append(ReleaseWarning(
            "SENDER_MISSING", "the written request has no sender e-mail address: confirm it "
                              "with the agency (a call to its published number) before "
                              "approving"))
    elif any(mark.kind is MarkKind.PRIVATE for mark in screen_domain(domain)):
        warnings.append(ReleaseWarning(
            "SENDER_NOT_AGENCY", f"the written request came from {domain}, a personal or "
                                 "company mail service, not an agency's domain"))
    if entry is not None and domain:
        if not entry.facts.domains:
            warnings.append(ReleaseWarning(
                "AGENCY_HAS_NO_DOMAINS", f"the directory holds no mail domain for {entry.name}, "
                                         f"so the sender {domain} cannot be checked"))
        elif not domain_matches(domain, entry.facts.domains):
            warnings.append(ReleaseWarning(
                "SENDER_DOMAIN_MISMATCH",
                f"the written request came from {domain}, which is not one of {entry.name}'s "
                f"domains ({', '.join(entry.facts.domains)})"))
    if entry is not None and entry.confirmed_at:
        since = now - parse_time(entry.confirmed_at)
        if since < timedelta(days=NEW_AGENCY_DAYS):
            warnings.append(ReleaseWarning(
                "AGENCY_NEW", f"{entry.name} was confirmed in the directory only "
                              f"{max(since.days, 0)} days ago (by {entry.confirmed_by}, proposed "
                              f"by {entry.proposed_by})"))
    return tuple(warnings)


def _prohibited(screening: Screening) -> Triage:
    return Triage(ReleaseStatus.PROHIBITED,
                  f"Civil Code 1798.90.55(b): ALPR information may be shared only with "
                  f"California state or local public agencies (AG bulletin 2023-DLE-06); "
                  f"{screening.explanation()}", screening.jurisdiction)
