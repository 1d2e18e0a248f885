"""The plate index table (infra/template.yaml, `PlateIndexTable`): key `key`, sort key `entry`.

Entries are written with BatchWriteItem (idempotent puts of items that carry only their keys,
the plate and a TTL); the plate-month's marker only with UpdateItem or a conditional PutItem, so
concurrent writers add to its sets instead of replacing them. See domain/plate_index.py for what
the keys mean.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.errors import TransientStorageError, error_code, translate
from chalicelib.adapters.reads_table import QueryStats
from chalicelib.domain.plate_index import IndexKey, Marker, marker_key

_BATCH = 25  # BatchWriteItem's limit
_BATCH_ATTEMPTS = 8


class PlateIndexTable:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self._dynamodb = dynamodb
        self.table = table

    # ------------------------------------------------------------------ search
    def entries(self, key: str, low: str, high: str, descending: bool, stats: QueryStats,
                page_items: int | None = None) -> Iterator[str]:
        """Sort keys of `key`'s entries with low <= entry <= high, in order, fetched lazily."""
        if low > high:
            return  # an empty range (DynamoDB refuses BETWEEN with bounds reversed)
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "#key = :key AND #entry BETWEEN :low AND :high",
            "ExpressionAttributeNames": {"#key": "key", "#entry": "entry"},
            "ExpressionAttributeValues": {":key": {"S": key}, ":low": {"S": low},
                                          ":high": {"S": high}},
            "ProjectionExpression": "#entry",
            "ScanIndexForward": not descending,
        }
        if page_items is not None:
            request["Limit"] = page_items
        while True:
            try:
                page = self._dynamodb.query(**request)
            except ClientError as error:
                raise translate(error, "search the plate index") from error
            stats.requests += 1
            stats.examined += int(page.get("ScannedCount", len(page["Items"])))
            for item in page["Items"]:
                yield item["entry"]["S"]
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # ------------------------------------------------------------------ markers
    def marker(self, plate: str, month: str) -> Marker | None:
        """The plate-month's marker (a consistent read), None when the month is not indexed."""
        try:
            item = self._dynamodb.get_item(TableName=self.table,
                                           Key=_key_item(marker_key(plate, month)),
                                           ConsistentRead=True).get("Item")
        except ClientError as error:
            raise translate(error, "read a plate index marker") from error
        return None if item is None else _marker(item)

    def create_marker(self, plate: str, month: str, alternatives: Iterable[str],
                      expires_at: int | None) -> bool:
        """Write the marker unless one exists (then False: add to it instead)."""
        item = marker_item(marker_key(plate, month), plate, alternatives, expires_at)
        try:
            self._dynamodb.put_item(TableName=self.table, Item=item,
                                    ConditionExpression="attribute_not_exists(#key)",
                                    ExpressionAttributeNames={"#key": "key"})
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise translate(error, "write a plate index marker") from error
        return True

    def add_to_marker(self, plate: str, month: str, alternatives: Iterable[str] = (),
                      holds: Iterable[str] = ()) -> Marker:
        """Add alternatives and holds to the marker (creating it); a hold removes its TTL."""
        sets = {"alternatives": sorted(set(alternatives)), "holds": sorted(set(holds))}
        names = {"#plate": "plate"}
        values: dict[str, Any] = {":plate": {"S": plate}}
        adds = []
        for name, texts in sets.items():
            if texts:
                names[f"#{name}"] = name
                values[f":{name}"] = {"SS": texts}
                adds.append(f"#{name} :{name}")
        expression = "SET #plate = :plate" + (" ADD " + ", ".join(adds) if adds else "")
        if sets["holds"]:
            names["#expires"] = "expires_at"
            expression += " REMOVE #expires"
        try:
            response = self._dynamodb.update_item(
                TableName=self.table, Key=_key_item(marker_key(plate, month)),
                UpdateExpression=expression, ExpressionAttributeNames=names,
                ExpressionAttributeValues=values, ReturnValues="ALL_NEW")
        except ClientError as error:
            raise translate(error, "update a plate index marker") from error
        return _marker(response["Attributes"])

    def remove_from_marker(self, plate: str, month: str, alternatives: Iterable[str] = (),
                           holds: Iterable[str] = ()) -> Marker | None:
        """Take alternatives and holds off the marker; None when there is no marker."""
        sets = {"alternatives": sorted(set(alternatives)), "holds": sorted(set(holds))}
        names = {"#key": "key"}
        values: dict[str, Any] = {}
        removals = []
        for name, texts in sets.items():
            if texts:
                names[f"#{name}"] = name
                values[f":{name}"] = {"SS": texts}
                removals.append(f"#{name} :{name}")
        if not removals:
            return self.marker(plate, month)
        try:
            response = self._dynamodb.update_item(
                TableName=self.table, Key=_key_item(marker_key(plate, month)),
                UpdateExpression="DELETE " + ", ".join(removals),
                ConditionExpression="attribute_exists(#key)", ExpressionAttributeNames=names,
                ExpressionAttributeValues=values, ReturnValues="ALL_NEW")
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return None
            raise translate(error, "update a plate index marker") from error
        return _marker(response["Attributes"])

    def restore_marker_expiry(self, plate: str, month: str, expires_at: int) -> bool:
        """Give the marker its TTL back unless a hold is on it again (then False)."""
        try:
            self._dynamodb.update_item(
                TableName=self.table, Key=_key_item(marker_key(plate, month)),
                UpdateExpression="SET #expires = :expires",
                ConditionExpression="attribute_exists(#key) AND attribute_not_exists(#holds)",
                ExpressionAttributeNames={"#expires": "expires_at", "#key": "key",
                                          "#holds": "holds"},
                ExpressionAttributeValues={":expires": {"N": str(expires_at)}})
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise translate(error, "restore a plate index marker's expiry") from error
        return True

    # ------------------------------------------------------------------ entries
    def put(self, keys: Sequence[IndexKey], plate: str, expires_at: int | None) -> int:
        """Write entries (never the marker) pointing at `plate`; returns the items written."""
        self._batch([{"PutRequest": {"Item": entry_item(key, plate, expires_at)}}
                     for key in dict.fromkeys(keys)], "write plate index entries")
        return len(set(keys))

    def delete(self, keys: Sequence[IndexKey]) -> int:
        """Delete entries (the marker too, when named); returns the items named."""
        self._batch([{"DeleteRequest": {"Key": _key_item(key)}} for key in dict.fromkeys(keys)],
                    "delete plate index entries")
        return len(set(keys))

    # ------------------------------------------------------------------ migration and check
    def get_many(self, keys: Sequence[IndexKey]) -> dict[IndexKey, StoredEntry]:
        """The stored items among `keys` (consistent reads, 100 keys per request)."""
        found: dict[IndexKey, StoredEntry] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 100):
            pending: dict[str, Any] = {self.table: {
                "Keys": [_key_item(key) for key in unique[start:start + 100]],
                "ConsistentRead": True}}
            for attempt in range(_BATCH_ATTEMPTS):
                try:
                    response = self._dynamodb.batch_get_item(RequestItems=pending)
                except ClientError as error:
                    raise translate(error, "read plate index entries") from error
                for item in response.get("Responses", {}).get(self.table, []):
                    entry = _stored(item)
                    found[entry.index_key] = entry
                pending = response.get("UnprocessedKeys") or {}
                if not pending:
                    break
                time.sleep(min(1.0, 0.05 * 2 ** attempt))
            else:
                raise TransientStorageError("read plate index entries: keys still unprocessed")
        return found

    def scan(self) -> Iterator[StoredEntry]:
        """Every item of the index (the check's reverse direction; an operator's tool)."""
        request: dict[str, Any] = {"TableName": self.table}
        while True:
            try:
                page = self._dynamodb.scan(**request)
            except ClientError as error:
                raise translate(error, "scan the plate index") from error
            for item in page["Items"]:
                yield _stored(item)
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _batch(self, requests: list[dict[str, Any]], what: str) -> None:
        for start in range(0, len(requests), _BATCH):
            pending: dict[str, Any] = {self.table: requests[start:start + _BATCH]}
            for attempt in range(_BATCH_ATTEMPTS):
                try:
                    response = self._dynamodb.batch_write_item(RequestItems=pending)
                except ClientError as error:
                    raise translate(error, what) from error
                pending = response.get("UnprocessedItems") or {}
                if not pending:
                    break
                time.sleep(min(1.0, 0.05 * 2 ** attempt))  # throttled: back off, then retry
            else:
                raise TransientStorageError(f"{what}: items still unprocessed")


def entry_item(key: IndexKey, plate: str, expires_at: int | None) -> dict[str, Any]:
    """An index entry as stored: its keys, the plate it points at, its TTL."""
    item = {**_key_item(key), "plate": {"S": plate}}
    if expires_at is not None:
        item["expires_at"] = {"N": str(expires_at)}
    return item


def marker_item(key: IndexKey, plate: str, alternatives: Iterable[str],
                expires_at: int | None) -> dict[str, Any]:
    """A plate-month's marker as first stored, listing its far alternative readings."""
    item = entry_item(key, plate, expires_at)
    texts = sorted(set(alternatives))
    if texts:
        item["alternatives"] = {"SS": texts}
    return item


@dataclass(frozen=True)
class StoredEntry:
    """One stored index item as the check sees it."""

    index_key: IndexKey
    plate: str
    expires_at: int | None
    marker: Marker


def _stored(item: dict[str, Any]) -> StoredEntry:
    return StoredEntry(IndexKey(item["key"]["S"], item["entry"]["S"]),
                       item.get("plate", {}).get("S", ""), _marker(item).expires_at,
                       _marker(item))


def _key_item(key: IndexKey) -> dict[str, Any]:
    return {"key": {"S": key.key}, "entry": {"S": key.entry}}


def _marker(item: dict[str, Any]) -> Marker:
    expires = item.get("expires_at", {}).get("N")
    return Marker(alternatives=frozenset(item.get("alternatives", {}).get("SS", [])),
                  holds=frozenset(item.get("holds", {}).get("SS", [])),
                  expires_at=int(expires) if expires is not None else None)
