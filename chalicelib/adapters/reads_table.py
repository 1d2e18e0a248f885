"""The reads table: exact plate = key query; partial/fuzzy = queries over time or camera-day
partitions of the searched window only (see infra/template.yaml for the indexes)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.errors import AlreadyExists, translate
from chalicelib.domain.reads import Candidate, Read

# Newest-first queries fetch in modest pages by default: a page of results is often enough.
_QUERY_PAGE = 200


@dataclass
class QueryStats:
    """Items DynamoDB examined for a search (its cost driver)."""

    examined: int = 0
    requests: int = 0


@dataclass(frozen=True)
class Partition:
    """One key of the table or of an index, e.g. by_day = 2026-11-29."""

    index: str | None
    key_name: str
    key_value: str


class ReadsTable:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self._dynamodb = dynamodb
        self.table = table

    def put_new(self, read: Read) -> bool:
        """Write a read unless it exists (redelivery); True when written."""
        try:
            self._dynamodb.put_item(TableName=self.table, Item=to_item(read),
                                    ConditionExpression="attribute_not_exists(read_key)")
        except ClientError as error:
            mapped = translate(error, "write read")
            if isinstance(mapped, AlreadyExists):
                return False
            raise mapped from error
        return True

    def delete_if_purgeable(self, read: Read, now_epoch: int) -> bool:
        """Delete a read past retention that no hold covers; False if that is no longer so."""
        try:
            self._dynamodb.delete_item(
                TableName=self.table,
                Key={"plate": {"S": read.plate}, "read_key": {"S": read.read_key}},
                ConditionExpression="attribute_not_exists(holds) AND "
                                    "(attribute_not_exists(expires_at) OR expires_at <= :now)",
                ExpressionAttributeValues={":now": {"N": str(now_epoch)}})
        except ClientError as error:
            mapped = translate(error, "delete expired read")
            if isinstance(mapped, AlreadyExists):
                return False
            raise mapped from error
        return True

    def get(self, read_id: str) -> Read | None:
        try:
            items = self._dynamodb.query(
                TableName=self.table, IndexName="by_read_id",
                KeyConditionExpression="read_id = :id",
                ExpressionAttributeValues={":id": {"S": read_id}}, Limit=1)["Items"]
        except ClientError as error:
            raise translate(error, "read a read") from error
        return from_item(items[0]) if items else None

    def newest_first(self, partition: Partition, low: str, high: str, stats: QueryStats,
                     page_items: int | None = _QUERY_PAGE,
                     first_page_items: int | None = None) -> Iterator[Read]:
        """Reads of one partition with low <= read_key <= high, newest first, fetched lazily.

        page_items caps the items DynamoDB evaluates per request; None leaves only its 1 MB
        page limit, for callers that will read most of the partition anyway. first_page_items,
        when given, caps the first request instead (a search merging many plates' reads needs
        only a few of each to start).
        """
        if low > high:
            return  # an empty range (DynamoDB refuses BETWEEN with bounds reversed)
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "#pk = :pk AND read_key BETWEEN :low AND :high",
            "ExpressionAttributeNames": {"#pk": partition.key_name},
            "ExpressionAttributeValues": {":pk": {"S": partition.key_value},
                                          ":low": {"S": low}, ":high": {"S": high}},
            "ScanIndexForward": False,
        }
        if page_items is not None:
            request["Limit"] = page_items
        if first_page_items is not None:
            request["Limit"] = first_page_items
        if partition.index:
            request["IndexName"] = partition.index
        while True:
            try:
                page = self._dynamodb.query(**request)
            except ClientError as error:
                raise translate(error, "search reads") from error
            request.pop("Limit", None)
            if page_items is not None:
                request["Limit"] = page_items
            stats.requests += 1
            stats.examined += int(page.get("ScannedCount", len(page["Items"])))
            for item in page["Items"]:
                yield from_item(item)
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


    def of_plate(self, plate: str, low: str, high: str) -> list[Read]:
        """Every read of `plate` with low <= read_key <= high (a consistent read: the index
        maintenance decides from it what may be deleted)."""
        request: dict[str, Any] = {
            "TableName": self.table, "ConsistentRead": True,
            "KeyConditionExpression": "plate = :plate AND read_key BETWEEN :low AND :high",
            "ExpressionAttributeValues": {":plate": {"S": plate}, ":low": {"S": low},
                                          ":high": {"S": high}},
        }
        reads: list[Read] = []
        while True:
            try:
                page = self._dynamodb.query(**request)
            except ClientError as error:
                raise translate(error, "read a plate's reads") from error
            reads.extend(from_item(item) for item in page["Items"])
            if "LastEvaluatedKey" not in page:
                return reads
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def scan_pages(self, start_key: dict[str, Any] | None = None
                   ) -> Iterator[tuple[list[Read], dict[str, Any] | None]]:
        """Every read, a page at a time with the key to resume after it (None at the end).
        Only the operators' index migration and check scan the reads table."""
        request: dict[str, Any] = {"TableName": self.table}
        if start_key:
            request["ExclusiveStartKey"] = start_key
        while True:
            try:
                page = self._dynamodb.scan(**request)
            except ClientError as error:
                raise translate(error, "scan reads") from error
            last = page.get("LastEvaluatedKey")
            yield [from_item(item) for item in page["Items"]], last
            if last is None:
                return
            request["ExclusiveStartKey"] = last

    def approximate_count(self) -> int:
        """DescribeTable's item count (refreshed about every six hours in AWS)."""
        try:
            return int(self._dynamodb.describe_table(TableName=self.table)["Table"]
                       .get("ItemCount", 0))
        except ClientError as error:
            raise translate(error, "describe the reads table") from error

    def count_captured(self, day: str, low: str, high: str) -> int:
        """How many reads of one day partition have low <= read_key < high (counts only)."""
        request: dict[str, Any] = {
            "TableName": self.table, "IndexName": "by_day", "Select": "COUNT",
            "KeyConditionExpression": "day_bucket = :day AND read_key BETWEEN :low AND :high",
            "ExpressionAttributeValues": {":day": {"S": day}, ":low": {"S": low},
                                          ":high": {"S": high}},
        }
        total = 0
        while True:
            try:
                page = self._dynamodb.query(**request)
            except ClientError as error:
                raise translate(error, "count reads") from error
            total += int(page.get("Count", 0))
            if "LastEvaluatedKey" not in page:
                return total
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def to_item(read: Read) -> dict[str, Any]:
    item: dict[str, Any] = {
        "plate": {"S": read.plate},
        "read_key": {"S": read.read_key},
        "read_id": {"S": read.read_id},
        "day_bucket": {"S": read.day_bucket},
        "camera_day": {"S": read.camera_day},
        "camera_id": {"S": read.camera_id},
        "captured_at": {"S": read.captured_at},
        "confidence": {"N": f"{read.confidence:.4f}"},
        "image_key": {"S": read.image_key},
        "box": {"L": [{"N": str(value)} for value in read.box]},
        "candidates": {"L": [{"M": {"text": {"S": candidate.text},
                                    "confidence": {"N": f"{candidate.confidence:.4f}"}}}
                             for candidate in read.candidates]},
    }
    optional_text = {"image_version": read.image_version, "crop_key": read.crop_key,
                     "image_sha256": read.image_sha256, "crop_version": read.crop_version,
                     "crop_sha256": read.crop_sha256, "state": read.state}
    for name, text in optional_text.items():
        if text:
            item[name] = {"S": text}
    optional_numbers = {"lat": read.lat, "lon": read.lon, "heading": read.heading,
                        "expires_at": read.expires_at,
                        "state_confidence": read.state_confidence or None}
    for name, number in optional_numbers.items():
        if number is not None:
            item[name] = {"N": str(number)}
    if read.holds:
        item["holds"] = {"SS": sorted(read.holds)}
    return item


def from_item(item: dict[str, Any]) -> Read:
    def number(name: str) -> float | None:
        return float(item[name]["N"]) if name in item else None

    expires = item.get("expires_at", {}).get("N")
    return Read(
        read_id=item["read_id"]["S"],
        plate=item["plate"]["S"],
        captured_at=item["captured_at"]["S"],
        camera_id=item["camera_id"]["S"],
        confidence=float(item["confidence"]["N"]),
        image_key=item["image_key"]["S"],
        expires_at=int(expires) if expires is not None else None,
        candidates=tuple(Candidate(entry["M"]["text"]["S"], float(entry["M"]["confidence"]["N"]))
                         for entry in item.get("candidates", {}).get("L", [])),
        box=_box(item),
        image_version=item.get("image_version", {}).get("S"),
        crop_key=item.get("crop_key", {}).get("S"),
        image_sha256=item.get("image_sha256", {}).get("S"),
        crop_version=item.get("crop_version", {}).get("S"),
        crop_sha256=item.get("crop_sha256", {}).get("S"),
        lat=number("lat"), lon=number("lon"), heading=number("heading"),
        holds=tuple(sorted(item.get("holds", {}).get("SS", []))),
        state=item.get("state", {}).get("S"),
        state_confidence=number("state_confidence") or 0.0,
    )


def _box(item: dict[str, Any]) -> tuple[int, int, int, int]:
    values = [int(float(value["N"])) for value in item.get("box", {}).get("L", [])]
    x, y, w, h = [*values, 0, 0, 0, 0][:4]
    return (x, y, w, h)
