"""The account register table: one item per account (key username_key), never deleted.

Every write is conditional: a new entry on the key being free, a change on the version it read,
so two administrators acting on one account at once cannot both win (the loser is told to look
again). The API reads an entry with a consistent read on every request.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.errors import AlreadyExists, translate
from chalicelib.domain.access import Role
from chalicelib.domain.account_register import (
    ChangeKind,
    PendingChange,
    RegisterEntry,
    username_key,
)


class RegisterConflict(Exception):
    """The entry changed (or appeared) since it was read."""


class AccountRegister:
    """DynamoDB adapter for RegisterEntry values."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._dynamodb = dynamodb
        self.table = table

    def get(self, username: str) -> RegisterEntry | None:
        try:
            item = self._dynamodb.get_item(
                TableName=self.table, Key={"username_key": {"S": username_key(username)}},
                ConsistentRead=True).get("Item")
        except ClientError as error:
            raise translate(error, "read account register") from error
        return None if item is None else from_item(item)

    def all_entries(self) -> list[RegisterEntry]:
        """Every entry (one per account the department ever had: a small table)."""
        entries: list[RegisterEntry] = []
        try:
            for page in self._dynamodb.get_paginator("scan").paginate(
                    TableName=self.table, ConsistentRead=True):
                entries.extend(from_item(item) for item in page["Items"])
        except ClientError as error:
            raise translate(error, "list account register") from error
        return sorted(entries, key=lambda entry: entry.key)

    def put_new(self, entry: RegisterEntry) -> None:
        """Store a new account's entry; RegisterConflict when the username is taken."""
        self._put(entry, "attribute_not_exists(username_key)", {})

    def replace(self, entry: RegisterEntry) -> RegisterEntry:
        """Store `entry` over the version it was read at; RegisterConflict when it moved on.
        Returns the stored entry (its version one higher)."""
        stored = replace(entry, version=entry.version + 1)
        self._put(stored, "#version = :read", {":read": {"N": str(entry.version)}})
        return stored

    def _put(self, entry: RegisterEntry, condition: str, values: dict[str, Any]) -> None:
        kwargs: dict[str, Any] = {"TableName": self.table, "Item": to_item(entry),
                                  "ConditionExpression": condition}
        if values:
            kwargs["ExpressionAttributeNames"] = {"#version": "version"}
            kwargs["ExpressionAttributeValues"] = values
        try:
            self._dynamodb.put_item(**kwargs)
        except ClientError as error:
            mapped = translate(error, "write account register")
            if isinstance(mapped, AlreadyExists):
                raise RegisterConflict(entry.username) from error
            raise mapped from error


def to_item(entry: RegisterEntry) -> dict[str, Any]:
    item: dict[str, Any] = {
        "username_key": {"S": entry.key}, "username": {"S": entry.username},
        "supervisor": {"BOOL": entry.supervisor}, "enabled": {"BOOL": entry.enabled},
        "retired": {"BOOL": entry.retired}, "bootstrap": {"BOOL": entry.bootstrap},
        "created_by": {"S": entry.created_by}, "created_at": {"S": entry.created_at},
        "last_seq": {"N": str(entry.last_seq)}, "version": {"N": str(entry.version)},
    }
    if entry.role is not None:
        item["role"] = {"S": entry.role.value}
    if entry.pending is not None:
        change = entry.pending
        pending: dict[str, Any] = {
            "change_id": {"S": change.change_id}, "kind": {"S": change.kind.value},
            "supervisor": {"BOOL": change.supervisor}, "reason": {"S": change.reason},
            "proposed_by": {"S": change.proposed_by}, "proposed_at": {"S": change.proposed_at},
            "proposal_seq": {"N": str(change.proposal_seq)}}
        if change.role is not None:
            pending["role"] = {"S": change.role.value}
        item["pending"] = {"M": pending}
    return item


def from_item(item: dict[str, Any]) -> RegisterEntry:
    pending = None
    if "pending" in item:
        change = item["pending"]["M"]
        pending = PendingChange(
            change_id=change["change_id"]["S"], kind=ChangeKind(change["kind"]["S"]),
            role=_role(change.get("role")), supervisor=bool(change["supervisor"]["BOOL"]),
            reason=change["reason"]["S"], proposed_by=change["proposed_by"]["S"],
            proposed_at=change["proposed_at"]["S"],
            proposal_seq=int(change["proposal_seq"]["N"]))
    return RegisterEntry(
        username=item["username"]["S"], role=_role(item.get("role")),
        supervisor=bool(item.get("supervisor", {}).get("BOOL", False)),
        enabled=bool(item.get("enabled", {}).get("BOOL", False)),
        retired=bool(item.get("retired", {}).get("BOOL", False)),
        created_by=item.get("created_by", {}).get("S", ""),
        created_at=item.get("created_at", {}).get("S", ""),
        bootstrap=bool(item.get("bootstrap", {}).get("BOOL", False)), pending=pending,
        last_seq=int(item.get("last_seq", {}).get("N", "0")),
        version=int(item.get("version", {}).get("N", "0")))


def _role(value: dict[str, Any] | None) -> Role | None:
    text = (value or {}).get("S")
    return Role(text) if text in {role.value for role in Role} else None
