"""The hotlists table: one partition per hotlist (list name), with its settings and its loads.

* `settings`: the list's alert level (high/normal), who set it and when;
* `load#<loaded_at>#<id>`: one item per import (format, source, lines, accepted, filtered
  immigration records, skipped lines by reason, who requested and who approved it).

A small table (tens of lists, a few loads a day each): the lists page scans it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.errors import translate
from chalicelib.domain.hotlist_lists import ListLoad, ListSettings

SETTINGS = "settings"
LOAD_PREFIX = "load#"
_BATCH_GET = 100


class HotlistListsTable:
    """DynamoDB adapter for hotlist settings and load records."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._dynamodb = dynamodb
        self.table = table

    def put_settings(self, settings: ListSettings) -> None:
        try:
            self._dynamodb.put_item(TableName=self.table, Item={
                "list_name": {"S": settings.list_name}, "item": {"S": SETTINGS},
                "level": {"S": settings.level}, "changed_by": {"S": settings.changed_by},
                "changed_at": {"S": settings.changed_at}})
        except ClientError as error:
            raise translate(error, "store hotlist settings") from error

    def levels(self, list_names: Iterable[str]) -> dict[str, str]:
        """The alert level set for each named list (lists without a setting are left out)."""
        names = list(dict.fromkeys(list_names))
        found: dict[str, str] = {}
        for start in range(0, len(names), _BATCH_GET):
            keys = [{"list_name": {"S": name}, "item": {"S": SETTINGS}}
                    for name in names[start:start + _BATCH_GET]]
            request: dict[str, Any] = {self.table: {"Keys": keys}}
            while request:
                try:
                    response = self._dynamodb.batch_get_item(RequestItems=request)
                except ClientError as error:
                    raise translate(error, "read hotlist levels") from error
                for item in response.get("Responses", {}).get(self.table, []):
                    found[str(item["list_name"]["S"])] = str(item["level"]["S"])
                request = response.get("UnprocessedKeys") or {}
        return found

    def record_load(self, load: ListLoad) -> None:
        try:
            self._dynamodb.put_item(TableName=self.table, Item={
                "list_name": {"S": load.list_name},
                "item": {"S": f"{LOAD_PREFIX}{load.loaded_at}#{load.load_id}"},
                "load_id": {"S": load.load_id}, "loaded_at": {"S": load.loaded_at},
                "file_format": {"S": load.file_format}, "source": {"S": load.source},
                "total_lines": {"N": str(load.total_lines)},
                "accepted": {"N": str(load.accepted)},
                "filtered_immigration": {"N": str(load.filtered_immigration)},
                "skipped": {"S": json.dumps(dict(load.skipped), sort_keys=True)},
                "requested_by": {"S": load.requested_by or "-"},
                "approved_by": {"S": load.approved_by}})
        except ClientError as error:
            raise translate(error, "record hotlist load") from error

    def everything(self) -> tuple[list[ListSettings], list[ListLoad]]:
        """Every list's settings and every load on record."""
        settings: list[ListSettings] = []
        loads: list[ListLoad] = []
        request: dict[str, Any] = {"TableName": self.table}
        while True:
            try:
                page = self._dynamodb.scan(**request)
            except ClientError as error:
                raise translate(error, "list hotlists") from error
            for item in page.get("Items", []):
                if item["item"]["S"] == SETTINGS:
                    settings.append(ListSettings(
                        list_name=str(item["list_name"]["S"]), level=str(item["level"]["S"]),
                        changed_by=str(item["changed_by"]["S"]),
                        changed_at=str(item["changed_at"]["S"])))
                elif str(item["item"]["S"]).startswith(LOAD_PREFIX):
                    loads.append(_load(item))
            if "LastEvaluatedKey" not in page:
                return settings, loads
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _load(item: dict[str, Any]) -> ListLoad:
    def number(name: str) -> int:
        return int(item[name]["N"]) if name in item else 0

    skipped: Sequence[tuple[str, int]] = ()
    try:
        parsed = json.loads(item.get("skipped", {}).get("S", "{}"))
        skipped = tuple(sorted((str(key), int(value)) for key, value in parsed.items()))
    except (ValueError, AttributeError, TypeError):
        skipped = ()
    requested = str(item.get("requested_by", {}).get("S", ""))
    return ListLoad(
        list_name=str(item["list_name"]["S"]), load_id=str(item["load_id"]["S"]),
        loaded_at=str(item["loaded_at"]["S"]), file_format=str(item["file_format"]["S"]),
        source=str(item["source"]["S"]), total_lines=number("total_lines"),
        accepted=number("accepted"), filtered_immigration=number("filtered_immigration"),
        skipped=tuple(skipped), requested_by="" if requested == "-" else requested,
        approved_by=str(item["approved_by"]["S"]))


__all__ = ["HotlistListsTable"]
