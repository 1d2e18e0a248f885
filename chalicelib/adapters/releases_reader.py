"""Read-only view of the release requests table for the monthly audit (policy 428.7).

Items carry request_id, status (unlisted, pending, approved, denied, prohibited, routed),
filed_at and decided_at (ISO 8601 UTC), the requesting agency, its directory entry and
jurisdiction, who filed and who decided, and the warnings the reviewer acknowledged. Requests
are found through the by_status index (status + filed_at): the audit reads the requests filed
before its month ended, status by status, never the rest of the table.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.errors import translate
from chalicelib.domain.monthly_audit import ReleaseRecord

STATUS_INDEX = "by_status"
STATUSES = ("unlisted", "pending", "approved", "denied", "prohibited", "routed")
DECIDED_BY_RULE = ("prohibited", "routed")


class ReleaseRequestsReader:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self._dynamodb = dynamodb
        self.table = table

    def filed_before(self, end: str) -> list[ReleaseRecord]:
        """Every request filed before `end`, of every status: the audit tells from decided_at
        which were decided in its month and which were still pending at its end."""
        found: list[ReleaseRecord] = []
        for status in STATUSES:
            found += self._with_status(status, end)
        return found

    def _with_status(self, status: str, filed_before: str) -> list[ReleaseRecord]:
        request: dict[str, Any] = {
            "TableName": self.table, "IndexName": STATUS_INDEX,
            "KeyConditionExpression": "#status = :status AND filed_at < :end",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {":status": {"S": status}, ":end": {"S": filed_before}},
        }
        found: list[ReleaseRecord] = []
        while True:
            try:
                page = self._dynamodb.query(**request)
            except ClientError as error:
                raise translate(error, "read release requests") from error
            found.extend(_record(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return found
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _record(item: dict[str, Any]) -> ReleaseRecord:
    def text(name: str) -> str:
        return str(item.get(name, {}).get("S", ""))

    status = text("status")
    # Prohibited and routed requests are decided by rule the moment they are filed; an
    # administrator's later answer (decided_at) does not change when that happened.
    decided_at = text("filed_at") if status in DECIDED_BY_RULE else text("decided_at")
    return ReleaseRecord(request_id=text("request_id"), status=status,
                         filed_at=text("filed_at"), decided_at=decided_at,
                         agency=text("agency"), jurisdiction=text("jurisdiction"),
                         agency_id=text("agency_id"), filed_by=text("filed_by"),
                         decided_by=text("decided_by"),
                         reads_released=int(item.get("reads_released", {}).get("N", "0")),
                         warnings=tuple(sorted(str(value["M"]["code"]["S"]) for value in
                                               item.get("warnings", {}).get("L", []))),
                         acknowledged=tuple(str(value["S"]) for value in item.get(
                             "acknowledged_warnings", {}).get("L", [])))
