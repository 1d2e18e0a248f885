"""The releases table: one item per release request (key request_id), never deleted or expired
(policy 428.7(c)); the by_status index lists a status oldest first, which is the review queue,
and the by_decision index (status + decided_at, only decided items) lists approvals by date for
the public page."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.errors import error_code, translate
from chalicelib.domain.access import Purpose
from chalicelib.domain.reads import format_time, parse_time
from chalicelib.domain.releases import (
    AgencyType,
    Jurisdiction,
    ReleaseRequest,
    ReleaseStatus,
    ReleaseWarning,
    RequestedData,
    WrittenRequest,
)

STATUS_INDEX = "by_status"
DECISION_INDEX = "by_decision"
_TEXT_FIELDS = ("request_id", "agency", "requester_name", "requester_contact",
                "purpose_detail", "case_number", "filed_at", "filed_by", "rule", "decided_at",
                "decided_by", "decision_reason", "export_id", "export_key", "export_sha256",
                "export_version", "agency_id", "sent_from")


class ReleasesTable:
    """DynamoDB adapter for ReleaseRequest values."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._dynamodb = dynamodb
        self.table = table

    def put(self, request: ReleaseRequest) -> None:
        """File a new request; AlreadyExists if the id is taken."""
        try:
            self._dynamodb.put_item(TableName=self.table, Item=to_item(request),
                                    ConditionExpression="attribute_not_exists(request_id)")
        except ClientError as error:
            raise translate(error, "write release request") from error

    def get(self, request_id: str) -> ReleaseRequest | None:
        try:
            item = self._dynamodb.get_item(TableName=self.table,
                                           Key={"request_id": {"S": request_id}},
                                           ConsistentRead=True).get("Item")
        except ClientError as error:
            raise translate(error, "read release request") from error
        return None if item is None else from_item(item)

    def record_decision(self, request: ReleaseRequest) -> bool:
        """Store the one decision on an undecided request; False when it was decided meanwhile.
        A prohibited request stays prohibited whatever is written, and an unlisted one can only
        be denied (the condition checks both)."""
        try:
            self._dynamodb.put_item(
                TableName=self.table, Item=to_item(request),
                ConditionExpression=("attribute_exists(request_id) AND "
                                     "attribute_not_exists(decided_at) AND "
                                     "(#status = :pending OR "
                                     "(#status = :prohibited AND :new = :prohibited) OR "
                                     "(#status = :unlisted AND :new = :denied))"),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":pending": {"S": ReleaseStatus.PENDING.value},
                    ":prohibited": {"S": ReleaseStatus.PROHIBITED.value},
                    ":unlisted": {"S": ReleaseStatus.UNLISTED.value},
                    ":denied": {"S": ReleaseStatus.DENIED.value},
                    ":new": {"S": request.status.value}})
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise translate(error, "record release decision") from error
        return True

    def relink(self, request: ReleaseRequest) -> bool:
        """Store an unlisted request linked to its directory entry (and sorted again); False
        when it is no longer an undecided unlisted request."""
        try:
            self._dynamodb.put_item(
                TableName=self.table, Item=to_item(request),
                ConditionExpression=("attribute_exists(request_id) AND "
                                     "attribute_not_exists(decided_at) AND #status = :unlisted"),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":unlisted": {"S": ReleaseStatus.UNLISTED.value}})
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise translate(error, "link release request") from error
        return True

    def approved_between(self, start: str, end: str) -> list[tuple[str, int]]:
        """(agency, reads released) of each request approved in [start, end)."""
        request: dict[str, Any] = {
            "TableName": self.table, "IndexName": DECISION_INDEX,
            "KeyConditionExpression": "#status = :approved AND decided_at BETWEEN :start AND :end",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {":approved": {"S": ReleaseStatus.APPROVED.value},
                                          ":start": {"S": start}, ":end": {"S": end}},
            "ProjectionExpression": "agency, reads_released, decided_at",
        }
        found: list[tuple[str, int]] = []
        while True:
            try:
                page = self._dynamodb.query(**request)
            except ClientError as error:
                raise translate(error, "count approved releases") from error
            found.extend((str(item.get("agency", {}).get("S", "")),
                          int(item.get("reads_released", {}).get("N", "0")))
                         for item in page.get("Items", []) if item["decided_at"]["S"] < end)
            if "LastEvaluatedKey" not in page:
                return found
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def list_by_status(self, status: ReleaseStatus, limit: int = 200) -> list[ReleaseRequest]:
        """Requests with this status, oldest filed first (the order they should be worked)."""
        request: dict[str, Any] = {
            "TableName": self.table, "IndexName": STATUS_INDEX,
            "KeyConditionExpression": "#status = :status",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {":status": {"S": status.value}},
            "ScanIndexForward": True,
        }
        found: list[ReleaseRequest] = []
        while len(found) < limit:
            try:
                page = self._dynamodb.query(**request)
            except ClientError as error:
                raise translate(error, "list release requests") from error
            found.extend(from_item(item) for item in page["Items"])
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found[:limit]


def to_item(request: ReleaseRequest) -> dict[str, Any]:
    item: dict[str, Any] = {name: {"S": getattr(request, name)} for name in _TEXT_FIELDS
                            if getattr(request, name)}
    item.update({
        "agency_type": {"S": request.agency_type.value},
        "jurisdiction": {"S": request.jurisdiction.value},
        "purpose": {"S": request.purpose.value},
        "status": {"S": request.status.value},
        "window_start": {"S": format_time(request.data.start)},
        "window_end": {"S": format_time(request.data.end)},
        "document_key": {"S": request.document.key},
        "document_type": {"S": request.document.content_type},
        "document_sha256": {"S": request.document.sha256},
        "document_size": {"N": str(request.document.size)},
        "document_name": {"S": request.document.filename},
        **({"document_version": {"S": request.document.version_id}}
           if request.document.version_id else {}),
        "reads_released": {"N": str(request.reads_released)},
        "warnings": {"L": [{"M": {"code": {"S": warning.code},
                                  "message": {"S": warning.message}}}
                           for warning in request.warnings]},
        "acknowledged_warnings": {"L": [{"S": code} for code in request.acknowledged_warnings]},
    })
    if request.data.plate:
        item["plate"] = {"S": request.data.plate}
    if request.data.cameras:
        item["cameras"] = {"L": [{"S": camera} for camera in request.data.cameras]}
    return item


def from_item(item: dict[str, Any]) -> ReleaseRequest:
    def text(name: str) -> str:
        return str(item.get(name, {}).get("S", ""))

    data = RequestedData(
        start=parse_time(text("window_start")), end=parse_time(text("window_end")),
        plate=text("plate"),
        cameras=tuple(value["S"] for value in item.get("cameras", {}).get("L", [])))
    document = WrittenRequest(key=text("document_key"), content_type=text("document_type"),
                              sha256=text("document_sha256"),
                              size=int(item["document_size"]["N"]),
                              filename=text("document_name"),
                              version_id=text("document_version"))
    return ReleaseRequest(
        **{name: text(name) for name in _TEXT_FIELDS},
        agency_type=AgencyType(text("agency_type")),
        jurisdiction=Jurisdiction(text("jurisdiction")),
        purpose=Purpose(text("purpose")), status=ReleaseStatus(text("status")),
        data=data, document=document,
        reads_released=int(item.get("reads_released", {}).get("N", "0")),
        warnings=tuple(ReleaseWarning(str(value["M"]["code"]["S"]),
                                      str(value["M"]["message"]["S"]))
                       for value in item.get("warnings", {}).get("L", [])),
        acknowledged_warnings=tuple(str(value["S"]) for value in
                                    item.get("acknowledged_warnings", {}).get("L", [])))
