"""The access record (Civil Code 1798.90.52, policy 428.6(a)): entries and their hash chain.

Each record stores the SHA-256 of its own content and of its predecessor's hash, so changing or
deleting any record breaks every link after it; `verify_chain` names the first broken link.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

GENESIS_HASH = "0" * 64
ALLOWED = "allowed"
REFUSED = "refused"


@dataclass(frozen=True)
class AuditEntry:
    """One access attempt, allowed or refused, as the caller describes it."""

    at: str
    user_id: str
    username: str
    agency: str
    role: str
    action: str
    outcome: str
    query: Mapping[str, str] = field(default_factory=dict)
    purpose: str = ""
    case_number: str = ""
    result_count: int = 0
    refusal_code: str = ""
    source_ip: str = ""
    request_id: str = ""
    # A search and its pages are one event: every page carries the search's id, its page number
    # (1 for the search itself) and the results returned so far; `next_cursor` is the digest of
    # the cursor this page handed out, so only that cursor can continue it (services/searches).
    search_id: str = ""
    page: int = 0
    cumulative_results: int = 0
    next_cursor: str = ""
    # The legal authority of a search over a long window: warrant, court_order or
    # supervisor_approval, and its number (or the approval's id).
    authority: str = ""
    authority_ref: str = ""

    @property
    def month(self) -> str:
        return self.at[:7]

    @property
    def search_page(self) -> int:
        """The page of its search this record is (records from before paging was linked: 1)."""
        return self.page or 1


@dataclass(frozen=True)
class AuditRecord:
    """An entry placed in the chain."""

    seq: int
    entry: AuditEntry
    prev_hash: str
    hash: str


# Fields added after the first records were written: hashed only when set, so every record
# written before them still verifies unchanged.
LATER_FIELDS = frozenset({"search_id", "page", "cumulative_results", "next_cursor", "authority",
                          "authority_ref"})
_DEFAULTS = {item.name: item.default for item in fields(AuditEntry)}


def content_hash(seq: int, entry: AuditEntry, prev_hash: str) -> str:
    """SHA-256 over a canonical JSON of the sequence number, the entry and the previous hash."""
    values = {name: value for name, value in asdict(entry).items()
              if name not in LATER_FIELDS or value != _DEFAULTS[name]}
    payload = {"seq": seq, "prev_hash": prev_hash, **values}
    payload["query"] = dict(sorted(entry.query.items()))
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def link(entry: AuditEntry, previous: AuditRecord | None) -> AuditRecord:
    """The record that follows `previous` (or starts the chain)."""
    seq = 1 if previous is None else previous.seq + 1
    prev_hash = GENESIS_HASH if previous is None else previous.hash
    return AuditRecord(seq, entry, prev_hash, content_hash(seq, entry, prev_hash))


@dataclass(frozen=True)
class ChainCheck:
    """The result of verifying the chain."""

    records_checked: int
    first_broken_seq: int | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.first_broken_seq is None


def verify_chain(records: Iterable[AuditRecord], after_seq: int = 0,
                 after_hash: str = GENESIS_HASH) -> ChainCheck:
    """Walk the chain in sequence order; report the first record that does not fit.

    By default from the first record; `after_seq`/`after_hash` check only the part after a
    record already known (a signed checkpoint's head)."""
    expected_seq, prev_hash, checked = after_seq + 1, after_hash, 0
    for record in records:
        if record.seq != expected_seq:
            return ChainCheck(checked, expected_seq,
                              f"record {expected_seq} is missing (next present is {record.seq})")
        if record.prev_hash != prev_hash:
            return ChainCheck(checked, record.seq,
                              f"record {record.seq} does not link to record {record.seq - 1}")
        if content_hash(record.seq, record.entry, record.prev_hash) != record.hash:
            return ChainCheck(checked, record.seq, f"record {record.seq} was altered")
        checked += 1
        expected_seq, prev_hash = record.seq + 1, record.hash
    return ChainCheck(checked)


def entry_from_fields(fields: Mapping[str, Any]) -> AuditEntry:
    """Rebuild an entry from stored fields (unknown fields are ignored, missing ones default)."""
    names = AuditEntry.__dataclass_fields__
    values = {name: fields[name] for name in names if name in fields}
    values["query"] = dict(values.get("query", {}))
    for name in ("result_count", "page", "cumulative_results"):
        values[name] = int(values.get(name, 0))
    return AuditEntry(**values)
