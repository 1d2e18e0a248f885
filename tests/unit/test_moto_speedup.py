"""The local moto server's speed-ups give exactly moto's own answers."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local_stack.moto_server import speedups

KEYS = {"hash": "plate", "range": "read_key", "index_hash": "day_bucket"}


def _create(client: Any) -> None:
    client.create_table(
        TableName="reads", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"}
                              for name in KEYS.values()],
        KeySchema=[{"AttributeName": "plate", "KeyType": "HASH"},
                   {"AttributeName": "read_key", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{
            "IndexName": "by_day", "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [{"AttributeName": "day_bucket", "KeyType": "HASH"},
                          {"AttributeName": "read_key", "KeyType": "RANGE"}]}])


def _item(rng: random.Random) -> dict[str, Any]:
    return {"plate": {"S": rng.choice(["7ABC123", "8XYZ999", "5KLM001", "1AAA111"])},
            "read_key": {"S": f"2026-11-{rng.randint(1, 4):02d}T{rng.randint(0, 99):02d}"},
            "day_bucket": {"S": f"2026-11-0{rng.randint(1, 4)}"},
            "n": {"N": str(rng.randint(0, 9))},
            "blob": {"B": bytes([rng.randint(0, 255)])},
            "tags": {"L": [{"SS": ["a", "b"]}, {"NULL": True}, {"M": {"x": {"BOOL": True}}}]}}


def _answer(response: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in response.items() if name != "ResponseMetadata"}


def _query_all(client: Any, **request: Any) -> list[dict[str, Any]]:
    """Every page, so the paging (counts, start keys, limits) is compared too."""
    pages = []
    while True:
        page = client.query(TableName="reads", Limit=3, **request)
        pages.append(_answer(page))
        if "LastEvaluatedKey" not in page:
            return pages
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _scenario(seed: int) -> list[Any]:
    """Writes, in-place updates, deletes and reads interleaved; every answer is recorded."""
    rng = random.Random(seed)
    answers: list[Any] = []
    written: list[dict[str, Any]] = []
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-west-2")
        _create(client)
        for step in range(120):
            roll = rng.random()
            item = _item(rng)
            key = {"plate": item["plate"], "read_key": item["read_key"]}
            if written and roll >= 0.45 and rng.random() < 0.8:
                key = rng.choice(written)  # most updates and deletes find their item
            if roll < 0.45:
                client.put_item(TableName="reads", Item=item)
                written.append(key)
            elif roll < 0.6:
                client.delete_item(TableName="reads", Key=key)
            elif roll < 0.68:
                client.update_item(
                    TableName="reads", Key=key, UpdateExpression="SET day_bucket = :d, n = :n",
                    ExpressionAttributeValues={":d": item["day_bucket"], ":n": item["n"]})
            elif roll < 0.75:  # an update inside a transaction moves the item between days too
                client.transact_write_items(TransactItems=[{"Update": {
                    "TableName": "reads", "Key": key, "UpdateExpression": "SET day_bucket = :d",
                    "ExpressionAttributeValues": {":d": item["day_bucket"]}}}])
            else:
                answers.append((step, _query_all(
                    client, KeyConditionExpression="plate = :p",
                    ExpressionAttributeValues={":p": item["plate"]},
                    ScanIndexForward=rng.random() < 0.5)))
                answers.append((step, _query_all(
                    client, IndexName="by_day",
                    KeyConditionExpression="day_bucket = :d AND read_key BETWEEN :lo AND :hi",
                    ExpressionAttributeValues={":d": item["day_bucket"],
                                               ":lo": {"S": "2026-11-01"},
                                               ":hi": {"S": "2026-11-03"}},
                    ScanIndexForward=False)))
                answers.append((step, _answer(client.scan(TableName="reads"))))
                answers.append((step, _answer(client.get_item(TableName="reads", Key=key))))
                answers.append((step, client.describe_table(TableName="reads")["Table"][
                    "ItemCount"]))
    return answers


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_speedups_answer_exactly_as_moto_does(seed: int,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    plain = _scenario(seed)
    for owner, name, method in speedups():
        monkeypatch.setattr(owner, name, method)
    assert _scenario(seed) == plain
    assert any(isinstance(pages, list) and pages[0]["Items"] for _, pages in plain)


def _days_after_moves() -> list[list[str]]:
    """Each day's read keys after items move between days by in-place updates (plain and in a
    transaction), queried just before and after each move."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-west-2")
        _create(client)
        for index in range(6):
            client.put_item(TableName="reads", Item={
                "plate": {"S": "7ABC123"}, "read_key": {"S": f"k{index}"},
                "day_bucket": {"S": "2026-11-01"}})

        def days() -> list[str]:
            return [",".join(item["read_key"]["S"] for item in client.query(
                TableName="reads", IndexName="by_day", KeyConditionExpression="day_bucket = :d",
                ExpressionAttributeValues={":d": {"S": day}})["Items"])
                for day in ("2026-11-01", "2026-11-02")]

        seen = [days()]
        client.update_item(TableName="reads", Key={"plate": {"S": "7ABC123"},
                                                   "read_key": {"S": "k1"}},
                           UpdateExpression="SET day_bucket = :d",
                           ExpressionAttributeValues={":d": {"S": "2026-11-02"}})
        seen.append(days())
        client.transact_write_items(TransactItems=[{"Update": {
            "TableName": "reads", "Key": {"plate": {"S": "7ABC123"}, "read_key": {"S": "k4"}},
            "UpdateExpression": "SET day_bucket = :d",
            "ExpressionAttributeValues": {":d": {"S": "2026-11-02"}}}}])
        seen.append(days())
        return seen


def test_an_item_updated_into_another_partition_is_found_there(
        monkeypatch: pytest.MonkeyPatch) -> None:
    plain = _days_after_moves()
    for owner, name, method in speedups():
        monkeypatch.setattr(owner, name, method)
    assert _days_after_moves() == plain
    assert plain[-1] == ["k0,k2,k3,k5", "k1,k4"]


def _received_after_retention(retention_seconds: int) -> list[str]:
    """Bodies received from a queue whose last two of five messages outlived the retention
    period (moto stops at the first such message)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends

    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-west-2")
        url = sqs.create_queue(QueueName="frames", Attributes={
            "MessageRetentionPeriod": str(retention_seconds)})["QueueUrl"]
        for index in range(5):
            sqs.send_message(QueueUrl=url, MessageBody=f"frame-{index}")
        queue = sqs_backends[DEFAULT_ACCOUNT_ID]["us-west-2"].get_queue("frames")
        for message in queue._messages[3:]:
            message.sent_timestamp -= (retention_seconds + 5) * 1000  # type: ignore[operator,assignment]
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        return sorted(message["Body"] for message in received.get("Messages", []))


def test_expired_messages_are_dropped_as_moto_drops_them(
        monkeypatch: pytest.MonkeyPatch) -> None:
    plain = _received_after_retention(60)
    for owner, name, method in speedups():
        monkeypatch.setattr(owner, name, method)
    assert _received_after_retention(60) == plain == ["frame-0", "frame-1", "frame-2"]


def test_an_order_computed_while_a_write_landed_is_not_kept() -> None:
    from local_stack.moto_server import _forgets_sorted_items, _sorted_items_cached

    class Table:
        def __init__(self) -> None:
            self.items: dict[str, str] = {"a": "1"}
            self.sorts = 0

    def slow_sort(table: Table) -> list[str]:
        table.sorts += 1
        ordered = sorted(table.items.values())
        if table.sorts == 1:  # another request's write lands before this sort is stored
            write(table, "b", "2")
        return ordered

    write = _forgets_sorted_items(lambda table, key, value: table.items.__setitem__(key, value))
    all_items: Any = _sorted_items_cached(slow_sort)  # type: ignore[arg-type]
    table = Table()
    assert all_items(table) == ["1"]
    assert all_items(table) == ["1", "2"] and table.sorts == 2
    assert all_items(table) == ["1", "2"] and table.sorts == 2  # now kept


def test_the_local_moto_server_ends_with_the_process_that_started_it(tmp_path: Any) -> None:
    """A parent killed outright (no clean stop) must not leave its moto server running."""
    pid_file = tmp_path / "moto.pid"
    parent = subprocess.Popen([sys.executable, "-c", (  # noqa: S603 - our own fixed script
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-m', 'local_stack.moto_server', "
        "'-H', '127.0.0.1', '-p', '0'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(600)\n")], cwd=Path(__file__).resolve().parents[2])
    deadline = time.monotonic() + 60
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.2)
    child = int(pid_file.read_text())
    time.sleep(2)  # past the server's start-up, into its watch
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 30
    while _alive(child):
        assert time.monotonic() < deadline, "moto outlived its parent"
        time.sleep(0.2)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by init) counts as gone
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False
