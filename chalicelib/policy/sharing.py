"""Who ALPR data may be shared with: a rule in code, applied when a request is filed.

Civil Code 1798.90.55(b): a public agency shall not sell, share or transfer ALPR information
except to another public agency, and the Attorney General's bulletin 2023-DLE-06 reads "public
agency" as a California state or local agency: not federal, not out of state, not private.
Policy 428.7: only law enforcement or prosecutorial agencies, for official purposes; any other
requester goes to the Records Maintenance and Release Policy.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.releases import AgencyType, Jurisdiction, ReleaseStatus

PROHIBITED_JURISDICTIONS = frozenset({Jurisdiction.FEDERAL, Jurisdiction.OTHER_STATE,
                                      Jurisdiction.PRIVATE})
SHAREABLE_AGENCY_TYPES = frozenset({AgencyType.LAW_ENFORCEMENT, AgencyType.PROSECUTORIAL})


@dataclass(frozen=True)
class Triage:
    status: ReleaseStatus
    rule: str


def triage(agency_type: AgencyType, jurisdiction: Jurisdiction) -> Triage:
    """The status a newly filed request gets; only PENDING ones can ever be approved."""
    if jurisdiction in PROHIBITED_JURISDICTIONS:
        return Triage(ReleaseStatus.PROHIBITED,
                      f"Civil Code 1798.90.55(b): ALPR information may be shared only with "
                      f"California state or local public agencies, not a "
                      f"{jurisdiction.value.replace('_', ' ')} body (AG bulletin 2023-DLE-06)")
    if agency_type not in SHAREABLE_AGENCY_TYPES:
        return Triage(ReleaseStatus.ROUTED,
                      "policy 428.7: requests from non-law enforcement, non-prosecutorial "
                      "agencies are processed under the Records Maintenance and Release Policy")
    return Triage(ReleaseStatus.PENDING,
                  "policy 428.7: a California law enforcement or prosecutorial agency; "
                  "the administrator reviews and approves before anything is released")
