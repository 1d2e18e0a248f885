"""Whether a directory entry may be released to: confirmed by two people, on the record.

An entry in the table is only a claim; the access record (hash-chained, written before the act)
holds the two acts that make it true: a proposal and a confirmation by two different users,
each naming the entry's id and the digest of its facts. A release is approved only when the
entry, the screen and both records agree, so an entry written or edited around the API (for
example by someone holding the application's database permissions) is refused and named in the
monthly audit.
"""

from __future__ import annotations

from chalicelib.domain.agencies import AgencyEntry, EntryStatus, Jurisdiction, entry_digest
from chalicelib.domain.audit import ALLOWED, AuditRecord
from chalicelib.policy.agency_screen import screen_agency
from chalicelib.policy.separation_of_duties import same_person

PROPOSE_ACTION = "propose_agency"
CONFIRM_ACTION = "confirm_agency"
# An agency confirmed fewer days than this before a release to it is flagged in the monthly
# audit (and shown to the reviewer): new entries are where a bent directory would show first.
NEW_AGENCY_DAYS = 30


def entry_problems(entry: AgencyEntry, proposal: AuditRecord | None,
                   confirmation: AuditRecord | None) -> list[str]:
    """Everything wrong with an entry as a release destination (empty: it may be used)."""
    problems = []
    if entry.status is not EntryStatus.ACTIVE:
        problems.append(f"the entry is {entry.status.value}, not confirmed")
    problems += proposal_problems(entry, proposal)
    if entry.status is EntryStatus.ACTIVE:
        problems += _record_problems(entry, confirmation, CONFIRM_ACTION, entry.confirmed_by,
                                     "confirmation")
        if same_person(entry.proposed_by, entry.confirmed_by) or (
                proposal is not None and confirmation is not None
                and proposal.entry.user_id == confirmation.entry.user_id):
            problems.append("the same person proposed and confirmed it")
    return problems


def proposal_problems(entry: AgencyEntry, proposal: AuditRecord | None) -> list[str]:
    """What is wrong with the entry's facts and its proposal record (before confirmation)."""
    problems = []
    if entry.facts.jurisdiction is not Jurisdiction.CALIFORNIA:
        problems.append(f"the entry's jurisdiction is {entry.facts.jurisdiction.value}")
    screening = screen_agency(entry.facts.name, entry.facts.ori, entry.facts.domains)
    if screening.refused:
        problems.append(f"the agency screen refuses it: {screening.explanation()}")
    if entry_digest(entry.facts) != entry.digest:
        problems.append("the entry's facts changed after they were proposed")
    return problems + _record_problems(entry, proposal, PROPOSE_ACTION, entry.proposed_by,
                                       "proposal")


def _record_problems(entry: AgencyEntry, record: AuditRecord | None, action: str, by: str,
                     what: str) -> list[str]:
    if record is None:
        return [f"its {what} is not in the access record"]
    found = record.entry
    if (found.action != action or found.outcome != ALLOWED
            or found.query.get("agency_id") != entry.agency_id):
        return [f"access record {record.seq} is not this entry's {what}"]
    if found.query.get("digest") != entry.digest:
        return [f"the {what} in access record {record.seq} names other facts"]
    if not same_person(found.username, by):
        return [f"the {what} in access record {record.seq} was made by {found.username}, "
                f"not {by}"]
    return []
