"""The sign-in attempts table: the lockout rule's state per username (key `username`, the
case-folded name as typed), written with an optimistic version check so that concurrent
failures are all counted; DynamoDB TTL removes states nobody needs any more."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.errors import error_code, translate
from chalicelib.policy.sign_in import AttemptState, expires_at


class SignInAttempts:
    """DynamoDB adapter for AttemptState values."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._dynamodb = dynamodb
        self.table = table

    def get(self, username: str) -> AttemptState:
        """The state of a username (an empty one when none is stored)."""
        try:
            item = self._dynamodb.get_item(TableName=self.table,
                                           Key={"username": {"S": username}},
                                           ConsistentRead=True).get("Item")
        except ClientError as error:
            raise translate(error, "read sign-in attempts") from error
        if item is None:
            return AttemptState(username)
        return AttemptState(
            username=username,
            failures=tuple(int(value["N"]) for value in item.get("failures", {}).get("L", [])),
            locked_until=int(item.get("locked_until", {}).get("N", "0")),
            version=int(item.get("version", {}).get("N", "0")))

    def save(self, state: AttemptState) -> bool:
        """Store the next version of a state; False when someone else stored one first."""
        item = {
            "username": {"S": state.username},
            "failures": {"L": [{"N": str(value)} for value in state.failures]},
            "locked_until": {"N": str(state.locked_until)},
            "version": {"N": str(state.version + 1)},
            "expires_at": {"N": str(expires_at(state))},
        }
        condition = ("attribute_not_exists(username)" if state.version == 0
                     else "version = :version")
        request: dict[str, Any] = {"TableName": self.table, "Item": item,
                                   "ConditionExpression": condition}
        if state.version:
            request["ExpressionAttributeValues"] = {":version": {"N": str(state.version)}}
        try:
            self._dynamodb.put_item(**request)
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise translate(error, "write sign-in attempts") from error
        return True
