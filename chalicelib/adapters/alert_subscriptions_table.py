"""The alert subscriptions table: who subscribed which e-mail address or phone number to the
high-priority alerts topic, keyed by subscription id. A small table (a few per person)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.errors import translate
from chalicelib.domain.subscriptions import Subscription


class AlertSubscriptionsTable:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self._dynamodb = dynamodb
        self.table = table

    def put(self, subscription: Subscription) -> None:
        try:
            self._dynamodb.put_item(TableName=self.table, Item={
                "subscription_id": {"S": subscription.subscription_id},
                "username": {"S": subscription.username},
                "protocol": {"S": subscription.protocol},
                "endpoint": {"S": subscription.endpoint},
                "subscription_arn": {"S": subscription.subscription_arn},
                "created_at": {"S": subscription.created_at}},
                ConditionExpression="attribute_not_exists(subscription_id)")
        except ClientError as error:
            raise translate(error, "store alert subscription") from error

    def get(self, subscription_id: str) -> Subscription | None:
        try:
            item = self._dynamodb.get_item(
                TableName=self.table, Key={"subscription_id": {"S": subscription_id}},
                ConsistentRead=True).get("Item")
        except ClientError as error:
            raise translate(error, "read alert subscription") from error
        return None if item is None else _from_item(item)

    def delete(self, subscription_id: str) -> None:
        try:
            self._dynamodb.delete_item(TableName=self.table,
                                       Key={"subscription_id": {"S": subscription_id}})
        except ClientError as error:
            raise translate(error, "delete alert subscription") from error

    def list_all(self) -> list[Subscription]:
        found: list[Subscription] = []
        request: dict[str, Any] = {"TableName": self.table, "ConsistentRead": True}
        while True:
            try:
                page = self._dynamodb.scan(**request)
            except ClientError as error:
                raise translate(error, "list alert subscriptions") from error
            found.extend(_from_item(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return sorted(found, key=lambda item: (item.username, item.created_at))
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _from_item(item: dict[str, Any]) -> Subscription:
    return Subscription(
        subscription_id=str(item["subscription_id"]["S"]), username=str(item["username"]["S"]),
        protocol=str(item["protocol"]["S"]), endpoint=str(item["endpoint"]["S"]),
        subscription_arn=str(item["subscription_arn"]["S"]),
        created_at=str(item["created_at"]["S"]))


__all__ = ["AlertSubscriptionsTable"]
