"""The search approvals table: supervisors' approvals of extended searches (key approval_id),
listed per searcher through the by_searcher index. Approvals are never deleted: they are the
authority the access record cites; a revoked one keeps its revocation time."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.errors import error_code, translate
from chalicelib.policy.long_history import SearchApproval

SEARCHER_INDEX = "by_searcher"
_FIELDS = ("approval_id", "searcher", "approver", "plate", "case_number", "reason", "created_at",
           "expires_at", "revoked_at")


class SearchApprovalsTable:
    """DynamoDB adapter for SearchApproval values."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._dynamodb = dynamodb
        self.table = table

    def put(self, approval: SearchApproval) -> None:
        """Write a new approval; AlreadyExists if the id is taken."""
        try:
            self._dynamodb.put_item(TableName=self.table, Item=_to_item(approval),
                                    ConditionExpression="attribute_not_exists(approval_id)")
        except ClientError as error:
            raise translate(error, "write search approval") from error

    def get(self, approval_id: str) -> SearchApproval | None:
        try:
            item = self._dynamodb.get_item(TableName=self.table,
                                           Key={"approval_id": {"S": approval_id}},
                                           ConsistentRead=True).get("Item")
        except ClientError as error:
            raise translate(error, "read search approval") from error
        return None if item is None else _from_item(item)

    def given_to(self, searcher: str, created_since: str) -> list[SearchApproval]:
        """Approvals given to `searcher` since the given time, newest first."""
        request: dict[str, Any] = {
            "TableName": self.table, "IndexName": SEARCHER_INDEX,
            "KeyConditionExpression": "searcher = :searcher AND created_at >= :since",
            "ExpressionAttributeValues": {":searcher": {"S": searcher},
                                          ":since": {"S": created_since}},
            "ScanIndexForward": False,
        }
        found: list[SearchApproval] = []
        while True:
            try:
                page = self._dynamodb.query(**request)
            except ClientError as error:
                raise translate(error, "list search approvals") from error
            found.extend(_from_item(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return found
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def revoke(self, approval_id: str, revoked_at: str) -> bool:
        """Mark an approval revoked; False when it was already revoked or does not exist."""
        try:
            self._dynamodb.update_item(
                TableName=self.table, Key={"approval_id": {"S": approval_id}},
                UpdateExpression="SET revoked_at = :at",
                ConditionExpression="attribute_exists(approval_id) AND "
                                    "attribute_not_exists(revoked_at)",
                ExpressionAttributeValues={":at": {"S": revoked_at}})
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise translate(error, "revoke search approval") from error
        return True


def _to_item(approval: SearchApproval) -> dict[str, Any]:
    return {name: {"S": str(getattr(approval, name))} for name in _FIELDS
            if getattr(approval, name)}


def _from_item(item: dict[str, Any]) -> SearchApproval:
    values = {name: str(item.get(name, {}).get("S", "")) for name in _FIELDS}
    return SearchApproval(**values)
