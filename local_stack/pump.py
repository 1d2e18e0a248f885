"""The local event pump: does what AWS does around the functions and moto does not.

* SQS event source mappings: receive from each queue an `@app.on_sqs_message` handler names,
  invoke it, delete what succeeded and return the reported failures to the queue, so moto's
  redrive policy moves poison messages to the dead-letter queue after maxReceiveCount.
* DynamoDB stream mappings: read each stream an `@app.on_dynamodb_record` handler names.
* TTL: delete items whose TTL attribute is in the past, as DynamoDB's TTL process would, and
  mark the resulting stream records with the TTL service principal.
* Schedules: in the background pump (`make run`), fire each `@app.schedule` handler when its
  rate or cron expression says, by the stack's clock (the five-minute audit checkpoint, the
  daily retention check, the monthly audit); on request too (the demo, tests).

The handlers are the same Chalice functions Lambda runs; nothing here has a "local" branch
inside the product code.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chalice import Chalice
from chalice.app import DynamoDBEventConfig, ScheduledEventConfig, SQSEventConfig

from chalicelib.domain.streams import TTL_PRINCIPAL
from local_stack.provision import LocalStack, Provisioner
from local_stack.schedules import next_fire

# How soon a failed message is offered again; AWS waits the queue's visibility timeout.
LOCAL_RETRY_DELAY_SECONDS = 1
logger = logging.getLogger("local_stack.pump")


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that handlers and powertools read."""

    function_name: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 2048
    invoked_function_arn: str = ""
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@dataclass
class PumpCounts:
    """What one pass of the pump moved."""

    messages: int = 0
    failed_messages: int = 0
    stream_records: int = 0
    expired_items: int = 0

    def add(self, other: PumpCounts) -> None:
        self.messages += other.messages
        self.failed_messages += other.failed_messages
        self.stream_records += other.stream_records
        self.expired_items += other.expired_items

    @property
    def moved_anything(self) -> bool:
        return bool(self.messages or self.stream_records or self.expired_items)


@dataclass
class _StreamCursor:
    handler_name: str
    stream_arn: str
    iterators: dict[str, str | None] = field(default_factory=dict)


class EventPump:
    """Delivers queue messages, stream records, TTL expiry and schedules to the app's handlers."""

    def __init__(self, app: Chalice, stack: LocalStack,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.app = app
        self.stack = stack
        self.clock = clock
        clients = Provisioner(stack.endpoint_url, stack.region, stack.stack_name)
        self._sqs = clients.client("sqs")
        self._dynamodb = clients.client("dynamodb")
        self._streams = clients.client("dynamodbstreams")
        self._ttl_deleted: set[tuple[str, str]] = set()
        self._queues = self._queue_sources()
        self._cursors = self._stream_sources()
        self._ttl_tables = self._tables_with_ttl()
        self._next_fires = self._schedule_sources()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ wiring from the app
    def _arn_to_resource(self, arn: Any) -> Any:
        resolved = self.stack.resolver.resolve(arn)
        for resource in self.stack.resources.values():
            if resolved in resource.attributes.values():
                return resource, resolved
        raise LookupError(f"no provisioned resource has the ARN {resolved}")

    def _queue_sources(self) -> list[tuple[SQSEventConfig, str, str]]:
        sources = []
        for config in self.app.event_sources:
            if isinstance(config, SQSEventConfig):
                resource, arn = self._arn_to_resource(config.queue_arn)
                sources.append((config, resource.ref, arn))
        return sources

    def _stream_sources(self) -> list[_StreamCursor]:
        return [
            _StreamCursor(config.name, self.stack.resolver.resolve(config.stream_arn))
            for config in self.app.event_sources if isinstance(config, DynamoDBEventConfig)
        ]

    def _schedule_sources(self) -> dict[str, tuple[str, datetime]]:
        """Each schedule's expression and when it first fires, counted from the pump's start
        (as EventBridge counts a rate from the rule's creation)."""
        now = self.clock()
        schedules = {}
        for config in self.app.event_sources:
            if isinstance(config, ScheduledEventConfig):
                expression = (config.schedule_expression
                              if isinstance(config.schedule_expression, str)
                              else config.schedule_expression.to_string())
                schedules[config.name] = (expression, next_fire(expression, now))
        return schedules

    def _tables_with_ttl(self) -> dict[str, tuple[str, list[str]]]:
        tables = {}
        for resource in self.stack.resources.values():
            if ":table/" not in resource.attributes.get("Arn", ""):
                continue
            name = resource.ref
            ttl = self._dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
            if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
                keys = self._dynamodb.describe_table(TableName=name)["Table"]["KeySchema"]
                tables[name] = (ttl["AttributeName"], [key["AttributeName"] for key in keys])
        return tables

    # ------------------------------------------------------------------ one pass
    def run_once(self) -> PumpCounts:
        """Sweep TTL, then deliver stream records and queue messages once."""
        with self._lock:
            counts = PumpCounts()
            counts.expired_items = self.sweep_ttl()
            counts.stream_records = self._pump_streams()
            delivered, failed = self._pump_queues()
            counts.messages, counts.failed_messages = delivered, failed
            counts.stream_records += self._pump_streams()
            return counts

    def drain(self, timeout: float = 60.0, settle_passes: int = 2) -> PumpCounts:
        """Run passes until nothing moves for a few passes in a row (or the timeout)."""
        total = PumpCounts()
        quiet = 0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and quiet < settle_passes:
            counts = self.run_once()
            total.add(counts)
            if counts.moved_anything or counts.failed_messages:
                quiet = 0
                if counts.failed_messages:
                    time.sleep(LOCAL_RETRY_DELAY_SECONDS)
            else:
                quiet += 1
        return total

    def run_forever(self, stop: threading.Event, interval: float = 0.5) -> None:
        while not stop.is_set():
            counts = self.run_once()
            fired = self.fire_due_schedules()
            if not (counts.moved_anything or fired):
                stop.wait(interval)

    # ------------------------------------------------------------------ SQS
    def _pump_queues(self) -> tuple[int, int]:
        delivered = failed = 0
        for config, queue_url, queue_arn in self._queues:
            while True:
                messages = self._sqs.receive_message(
                    QueueUrl=queue_url, MaxNumberOfMessages=min(config.batch_size, 10),
                    AttributeNames=["All"], MessageAttributeNames=["All"],
                    WaitTimeSeconds=0).get("Messages", [])
                if not messages:
                    break
                failures = self._invoke_sqs(config, queue_arn, messages)
                for message in messages:
                    if message["MessageId"] in failures:
                        self._sqs.change_message_visibility(
                            QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"],
                            VisibilityTimeout=LOCAL_RETRY_DELAY_SECONDS)
                    else:
                        self._sqs.delete_message(QueueUrl=queue_url,
                                                 ReceiptHandle=message["ReceiptHandle"])
                delivered += len(messages)
                failed += len(failures)
                if failures:
                    break
        return delivered, failed

    def _invoke_sqs(self, config: SQSEventConfig, queue_arn: str,
                    messages: list[dict[str, Any]]) -> set[str]:
        event = {"Records": [{
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": self.stack.region,
        } for message in messages]}
        try:
            response = self.app.handler_map[config.name](event, LambdaContext(config.name))
        except Exception:  # noqa: BLE001 - Lambda treats any error as a failed batch
            return {message["MessageId"] for message in messages}
        failures = (response or {}).get("batchItemFailures", [])
        return {failure["itemIdentifier"] for failure in failures}

    # ------------------------------------------------------------------ DynamoDB streams
    def _pump_streams(self) -> int:
        delivered = 0
        for cursor in self._cursors:
            records, advanced = self._read_stream(cursor)
            if records:
                event = {"Records": records}
                try:
                    self.app.handler_map[cursor.handler_name](
                        event, LambdaContext(cursor.handler_name))
                except Exception:
                    logger.exception("stream handler %s failed; retrying", cursor.handler_name)
                    continue
                delivered += len(records)
                self._forget_ttl_markers(records, cursor.stream_arn)
            cursor.iterators.update(advanced)
        return delivered

    def _read_stream(self, cursor: _StreamCursor) -> tuple[list[dict[str, Any]],
                                                            dict[str, str | None]]:
        """Records after each shard's cursor, and the cursors to commit once they are handled."""
        shards = self._streams.describe_stream(StreamArn=cursor.stream_arn)[
            "StreamDescription"]["Shards"]
        records: list[dict[str, Any]] = []
        advanced: dict[str, str | None] = {}
        for shard in shards:
            shard_id = shard["ShardId"]
            if shard_id not in cursor.iterators:
                # The local stack is new, so start at the oldest record rather than LATEST.
                cursor.iterators[shard_id] = self._streams.get_shard_iterator(
                    StreamArn=cursor.stream_arn, ShardId=shard_id,
                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            iterator = cursor.iterators[shard_id]
            if iterator is None:
                continue
            response = self._streams.get_records(ShardIterator=iterator, Limit=1000)
            fetched = response.get("Records", [])
            if fetched:
                advanced[shard_id] = response.get("NextShardIterator")
            records.extend(self._as_lambda_record(record, cursor.stream_arn) for record in fetched)
        return records, advanced

    def _as_lambda_record(self, record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
        record = dict(record)
        record["eventSourceARN"] = stream_arn
        record["awsRegion"] = self.stack.region
        table = stream_arn.split(":table/", 1)[1].split("/", 1)[0]
        marker = (table, _key_text(record.get("dynamodb", {}).get("Keys", {})))
        if record.get("eventName") == "REMOVE" and marker in self._ttl_deleted:
            record["userIdentity"] = {"type": "Service", "principalId": TTL_PRINCIPAL}
        return record

    def _forget_ttl_markers(self, records: list[dict[str, Any]], stream_arn: str) -> None:
        table = stream_arn.split(":table/", 1)[1].split("/", 1)[0]
        for record in records:
            if "userIdentity" in record:
                self._ttl_deleted.discard(
                    (table, _key_text(record.get("dynamodb", {}).get("Keys", {}))))

    # ------------------------------------------------------------------ TTL
    def sweep_ttl(self) -> int:
        """Delete every item whose TTL lies in the past (by the pump's clock)."""
        now = int(self.clock().timestamp())
        deleted = 0
        for table, (attribute, key_names) in self._ttl_tables.items():
            paginator = self._dynamodb.get_paginator("scan")
            pages = paginator.paginate(
                TableName=table, FilterExpression="#ttl <= :now",
                ExpressionAttributeNames={"#ttl": attribute},
                ExpressionAttributeValues={":now": {"N": str(now)}})
            for page in pages:
                for item in page.get("Items", []):
                    key = {name: item[name] for name in key_names}
                    # Like DynamoDB TTL: only delete if the item is still expired right now.
                    try:
                        self._dynamodb.delete_item(
                            TableName=table, Key=key,
                            ConditionExpression="#ttl <= :now",
                            ExpressionAttributeNames={"#ttl": attribute},
                            ExpressionAttributeValues={":now": {"N": str(now)}})
                    except self._dynamodb.exceptions.ConditionalCheckFailedException:
                        continue
                    self._ttl_deleted.add((table, _key_text(key)))
                    deleted += 1
        return deleted

    # ------------------------------------------------------------------ schedules
    def fire_due_schedules(self) -> list[str]:
        """Fire every schedule whose time has come (once, however many periods were missed);
        a handler that fails is logged and tried again at its next time, as Lambda would."""
        now = self.clock()
        fired = []
        for name, (expression, due) in self._next_fires.items():
            if due > now:
                continue
            self._next_fires[name] = (expression, next_fire(expression, now))
            try:
                with self._lock:
                    self.fire_schedule(name)
            except Exception:
                logger.exception("scheduled handler %s failed", name)
            fired.append(name)
        return fired

    def next_fire_of(self, name: str) -> datetime:
        """When the schedule `name` fires next (for tests and the welcome text)."""
        return self._next_fires[name][1]

    def fire_schedule(self, name: str | None = None) -> list[Any]:
        """Invoke scheduled handlers (all, or the one named) with an EventBridge event."""
        results = []
        for config in self.app.event_sources:
            if isinstance(config, ScheduledEventConfig) and name in (None, config.name):
                event = {
                    "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
                    "source": "aws.events", "account": "123456789012",
                    "time": self.clock().strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "region": self.stack.region, "resources": [], "detail": {},
                }
                results.append(self.app.handler_map[config.name](event,
                                                                 LambdaContext(config.name)))
        return results


def _key_text(key: dict[str, Any]) -> str:
    return "|".join(f"{name}={sorted(value.items())}" for name, value in sorted(key.items()))
