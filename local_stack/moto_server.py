"""The local stack's moto server, with the speed-ups the benchmarks still need.

moto 5.2.5 is slow in four places that `make bench-search`, `make bench-load` and long
`make run` sessions hit. Each speed-up below carries the figure that keeps it (bench-search
figures: 20,000 reads and their 84,000 plate index items, 5 searches of each kind and window,
on this 2-core machine with a model training beside it, load average 5-12, 2026-12-01):
- every Query first sorts the whole table (`Table.all_items`) with DynamoType comparisons in
  Python. Here the sorted list is kept per table and dropped on every put or delete, the calls
  that change which items a table holds (updates change an item in place, and the cached list
  shares the items). Without it, and the next one: exact searches p50 2.5 s, partial 18-25 s,
  fuzzy 34-74 s, every partial and fuzzy request stopped by its 5-second work budget; with
  them exact 124-164 ms, partial 144-264 ms, fuzzy 180-276 ms.
- then every Query walks that whole list to find its partition. Here a Query tells
  `all_items` the partition it filters on, which answers with that partition's items, in the
  same order, from a grouping kept with the sorted list. An update can move an item to another
  index partition, so updates drop the grouping too. Without it (the order kept): no partial
  search came back within its work budget in ten tries.
- its generic, model-driven response serializer spends milliseconds per item. Query, Scan and
  the get-item calls return plain DynamoDB JSON, so their results are written with json.dumps
  (binary values base64, as the serializer does); every other call is untouched. Before that,
  `dynamo_to_dict` turns each answer into plain values with several type checks per value;
  here strings, numbers, lists, maps and non-binary attribute values take a direct path.
  Without both: exact p50 129-232 ms, partial 348-528 ms, fuzzy 444-708 ms.
- SQS ReceiveMessage checks each queued message's retention period by building all of the
  queue's attributes, which counts every message: quadratic in the queue's depth. Here the
  check reads the retention period itself. With 1,000 frames queued (bench-load's backlog),
  in-process: 1,639 ms per ReceiveMessage without it, 51 ms with it.
A speed-up this module carried before the plate index, keeping each Query's partition sorted by
its index keys, went: partition queries of the new design are small, and bench-search without
it measured the same within the noise (exact 140-164 ms, partial 196-288 ms, fuzzy 239-292 ms).
Answers are unchanged: tests/unit/test_moto_speedup.py compares them with and without.

Only the emulator is touched: the product code talks to it, and to AWS, the same way. The
server also ends when the process that started it does (`exit_with_parent`).
"""

from __future__ import annotations

import base64
import inspect
import json
import os
import sys
import threading
import time
import types
from collections.abc import Callable
from functools import wraps
from typing import Any

# Who started this server, read before the slow imports below: on a busy machine they take
# seconds, and a parent killed meanwhile would already have been replaced by init (pid 1).
STARTED_BY = os.getppid()

from moto.core.utils import unix_time  # noqa: E402 - after STARTED_BY, on purpose
from moto.dynamodb import responses as dynamodb_responses  # noqa: E402
from moto.dynamodb.models import DynamoDBBackend  # noqa: E402
from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict  # noqa: E402
from moto.dynamodb.models.table import Table  # noqa: E402
from moto.dynamodb.responses import DynamoResult  # noqa: E402
from moto.sqs.models import Message, SQSBackend  # noqa: E402

_CACHE = "_platekeeper_sorted_items"
_VERSION = "_platekeeper_items_version"
_PLAIN_JSON_OPERATIONS = frozenset({"Query", "Scan", "GetItem", "BatchGetItem"})
# moto's server answers requests on threads: a sort that overlapped a write must not be kept.
_CACHE_LOCK = threading.Lock()


# The partition the current thread's Query filters on: (table, attribute or None for the
# table's own hash key, value). Set by `_query_names_its_partition`, read by `all_items`.
_PARTITION = threading.local()
_QUERY_SIGNATURE = inspect.signature(Table.query)


class _Order:
    """A table's items in moto's order, and their groupings by partition attribute."""

    def __init__(self, items: dict[Any, Any], version: int, ordered: list[Any]) -> None:
        self.items = items
        self.version = version
        self.ordered = ordered
        self.partitions: dict[str | None, dict[DynamoType, list[Any]]] = {}

    def partition(self, attribute: str | None, value: DynamoType) -> list[Any]:
        groups = self.partitions.get(attribute)
        if groups is None:
            groups = {}
            for item in self.ordered:
                key = item.hash_key if attribute is None else item.attrs.get(attribute)
                if key:  # moto's filter skips items without the attribute the same way
                    groups.setdefault(key, []).append(item)
            self.partitions[attribute] = groups
        return list(groups.get(value, ()))


def _sorted_items_cached(original: Callable[[Table], list[Any]]) -> Callable[[Table], list[Any]]:
    @wraps(original)
    def all_items(self: Table) -> list[Any]:
        hint = getattr(_PARTITION, "hint", None)
        with _CACHE_LOCK:
            version = self.__dict__.get(_VERSION, 0)
            cached = _current_order(self)
            if cached is not None:
                if hint is not None and hint[0] is self:
                    return cached.partition(hint[1], hint[2])
                return list(cached.ordered)
        ordered = original(self)
        with _CACHE_LOCK:
            if self.__dict__.get(_VERSION, 0) == version:
                self.__dict__[_CACHE] = _Order(self.items, version, ordered)
        return list(ordered)

    return all_items


def _current_order(table: Table) -> _Order | None:
    """The table's kept order, if no write came since (call under _CACHE_LOCK). A restored or
    copied table gets a new items mapping: the old order is never trusted then."""
    cached = table.__dict__.get(_CACHE)
    if cached is not None and cached.items is table.items and (
            cached.version == table.__dict__.get(_VERSION, 0)):
        return cached
    return None


_PLAIN_VALUES = frozenset({str, int, float, bool, type(None)})


def _direct_to_dict(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """moto's dynamo_to_dict with a direct path for the values answers are made of."""
    @wraps(original)
    def dynamo_to_dict(value: Any) -> Any:
        kind = type(value)
        if kind in _PLAIN_VALUES:
            return value
        if kind is dict or kind is LimitedSizeDict:  # an item's attributes are the latter
            return {key: dynamo_to_dict(inner) for key, inner in value.items()}
        if kind is list:
            return [dynamo_to_dict(inner) for inner in value]
        if kind is DynamoType and value.type not in ("B", "BS"):
            return {value.type: dynamo_to_dict(value.value)}
        return original(value)  # binary values, datetimes, model objects

    return dynamo_to_dict


def _query_names_its_partition(original: Callable[..., Any]) -> Callable[..., Any]:
    """Let `all_items` answer with the one partition the query's key condition names."""
    @wraps(original)
    def query(self: Table, *args: Any, **kwargs: Any) -> Any:
        call = _QUERY_SIGNATURE.bind(self, *args, **kwargs).arguments
        conditions = call.get("hash_key_conditions") or []
        hint: tuple[Table, str | None, DynamoType] | None = None
        if call.get("index_name"):
            if len(conditions) == 1:
                hint = (self, conditions[0][0], conditions[0][1])
        elif call.get("hash_key") is not None:
            hint = (self, None, call["hash_key"])
        _PARTITION.hint = hint
        try:
            return original(self, *args, **kwargs)
        finally:
            _PARTITION.hint = None

    return query


def _forget(table: Table) -> None:
    with _CACHE_LOCK:
        table.__dict__[_VERSION] = table.__dict__.get(_VERSION, 0) + 1
        table.__dict__.pop(_CACHE, None)


def _forgets_sorted_items(original: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(original)
    def changed(self: Table, *args: Any, **kwargs: Any) -> Any:
        _forget(self)
        try:
            return original(self, *args, **kwargs)
        finally:
            _forget(self)

    return changed


def _update_forgets_partitions(original: Callable[..., Any]) -> Callable[..., Any]:
    """An update changes an item in place, possibly its index key: drop the table's grouping."""
    @wraps(original)
    def update_item(self: DynamoDBBackend, table_name: str, *args: Any, **kwargs: Any) -> Any:
        table = self.get_table(table_name)
        _forget(table)
        try:
            return original(self, table_name, *args, **kwargs)
        finally:
            _forget(table)

    return update_item


def _binary_as_base64(value: Any) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} is not DynamoDB JSON")


def _plain_json_result(original: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(original)
    def execute_result(self: DynamoResult, context: Any) -> Any:
        if context.operation_model.name not in _PLAIN_JSON_OPERATIONS:
            return original(self, context)
        try:
            body = json.dumps(self.result, default=_binary_as_base64)
        except (TypeError, ValueError):
            return original(self, context)
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, body

    return execute_result


def _retention_check_without_counting(original: Callable[..., bool]) -> Callable[..., bool]:
    @wraps(original)
    def is_message_valid_based_on_retention_period(self: SQSBackend, queue_name: str,
                                                   message: Message) -> bool:
        retention = int(self.get_queue(queue_name).message_retention_period)  # type: ignore[attr-defined]
        return retention + message.sent_timestamp / 1000 > unix_time()  # type: ignore[operator]

    return is_message_valid_based_on_retention_period


def speedups() -> list[tuple[type | types.ModuleType, str, Callable[..., Any]]]:
    """(class, method name, replacement) for each patched moto method."""
    return [(Table, "all_items", _sorted_items_cached(Table.all_items)),
            (Table, "put_item", _forgets_sorted_items(Table.put_item)),
            (Table, "delete_item", _forgets_sorted_items(Table.delete_item)),
            (Table, "query", _query_names_its_partition(Table.query)),
            (dynamodb_responses, "dynamo_to_dict",
             _direct_to_dict(dynamodb_responses.dynamo_to_dict)),
            (DynamoDBBackend, "update_item",
             _update_forgets_partitions(DynamoDBBackend.update_item)),
            (DynamoResult, "execute_result", _plain_json_result(DynamoResult.execute_result)),
            (SQSBackend, "is_message_valid_based_on_retention_period",
             _retention_check_without_counting(
                 SQSBackend.is_message_valid_based_on_retention_period))]


def install() -> None:
    """Patch moto's DynamoDB in this process (idempotent)."""
    if getattr(Table.all_items, "__wrapped__", None) is not None:
        return
    for owner, name, method in speedups():
        setattr(owner, name, method)


def exit_with_parent(poll_seconds: float = 1.0, parent: int = STARTED_BY) -> None:
    """End this server when the process that started it is gone, however that one ended (a
    SIGTERM or SIGKILL skips the local stack's clean stop and would leave moto running)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_seconds)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def main(argv: list[str] | None = None) -> None:
    install()
    exit_with_parent()
    from moto.server import main as moto_main

    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
