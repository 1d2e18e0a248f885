"""Anchoring the access record outside the database: take signed checkpoints, verify against them.

`take_checkpoint` is the scheduled `checkpoint` function (every five minutes, under a role that
alone may sign with the checkpoint key): when the chain moved, it checks that the new records
continue the chain the last checkpoint signed, signs the head and writes the checkpoint under
Object Lock. If the records do not continue (an edit, a cut), it still anchors what it found,
says so inside the signed checkpoint and notifies the administrator at once.

`verify_record` is what `python -m chalicelib.audit verify` and the monthly report run.
Checkpoint runs are not written to the access record: each would move the chain and call for
the next checkpoint. They are visible as the checkpoints themselves and in the function's logs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.adapters.errors import AlreadyExists
from chalicelib.domain.audit import AuditRecord
from chalicelib.domain.checkpoints import (
    AnchorProblem,
    CheckpointVersion,
    RecordAnchoring,
    SignedCheckpoint,
    anchor_record,
    authenticate,
    continuation,
    next_checkpoint,
    number_in_key,
    sign_checkpoint,
)
from chalicelib.domain.reads import format_time
from chalicelib.domain.signatures import Signer, fingerprint

SIGNED = "signed"
SKIPPED = "skipped"
NOTICE_KIND = "audit_checkpoint"


class ChainSource(Protocol):
    def head(self) -> AuditRecord | None: ...

    def records(self, after_seq: int = 0) -> Iterator[AuditRecord]: ...


class CheckpointObjects(Protocol):
    def put_new(self, number: int, body: bytes) -> str | None: ...

    def versions(self) -> Iterator[CheckpointVersion]: ...

    def versions_of(self, number: int) -> list[CheckpointVersion]: ...


class Notifier(Protocol):
    def publish(self, subject: str, message: str, kind: str) -> None: ...


class PublicKeySource(Protocol):
    def public_key(self) -> bytes: ...


@dataclass(frozen=True)
class CheckpointDependencies:
    audit: ChainSource
    store: CheckpointObjects
    signer: Signer
    notices: Notifier
    clock: Callable[[], datetime]


@dataclass(frozen=True)
class CheckpointRun:
    """What one scheduled run did (returned by the function, logged)."""

    status: str
    detail: str
    number: int = 0
    seq: int = 0
    continues: bool = True


def take_checkpoint(deps: CheckpointDependencies) -> CheckpointRun:
    """Sign the chain's head if it moved since the newest checkpoint."""
    head = deps.audit.head()
    if head is None:
        return CheckpointRun(SKIPPED, "the access record is empty")
    public_key = deps.signer.public_key()
    latest, read = read_to_newest_valid(deps.store.versions(), public_key)
    passed = read[:-1] if latest else read
    outcomes = [authenticate(version, public_key) for version in passed]
    ignored = [outcome for outcome in outcomes if isinstance(outcome, AnchorProblem)]
    previous = latest.checkpoint if latest else None
    if previous is not None and (previous.seq, previous.hash) == (head.seq, head.hash):
        return CheckpointRun(SKIPPED, f"the chain has not moved since {previous.describe()}",
                             previous.number, previous.seq)
    after = previous.seq if previous is not None and head.seq >= previous.seq else 0
    check, newest = continuation(previous, deps.audit.records(after_seq=after), head)
    # A number taken by an object the key did not sign is skipped, not fought over: the gap
    # and the foreign object both show in verification.
    taken = max((number_in_key(version.key) for version in passed), default=0)
    number = max(previous.number if previous else 0, taken) + 1
    checkpoint = next_checkpoint(previous, newest, check, format_time(deps.clock()), number)
    signed = sign_checkpoint(checkpoint, deps.signer)
    try:
        deps.store.put_new(checkpoint.number, signed.document())
    except AlreadyExists:
        return CheckpointRun(SKIPPED, f"another run wrote checkpoint #{checkpoint.number} first")
    if not checkpoint.continues or ignored:
        deps.notices.publish(*_alarm(signed, ignored, public_key), kind=NOTICE_KIND)
    return CheckpointRun(SIGNED, f"{checkpoint.describe()} written", checkpoint.number,
                         checkpoint.seq, checkpoint.continues)


def read_to_newest_valid(versions: Iterable[CheckpointVersion], public_key: bytes
                         ) -> tuple[SignedCheckpoint | None, list[CheckpointVersion]]:
    """The newest checkpoint the key signed (versions come newest first) and every version
    read to find it, that one last (forged, unreadable or deleted ones come before it)."""
    read: list[CheckpointVersion] = []
    for version in versions:
        read.append(version)
        outcome = authenticate(version, public_key)
        if isinstance(outcome, SignedCheckpoint):
            return outcome, read
    return None, read


def verify_record(audit: ChainSource, store: CheckpointObjects, public_key: bytes, *,
                  complete: bool = True, extra_seqs: Iterable[int] = ()) -> RecordAnchoring:
    """Check the whole chain against the checkpoints.

    complete=True reads every version of every checkpoint (the command line: gaps, links and
    overwrites are checked too); complete=False reads only the newest valid checkpoint and the
    last one that recorded a break (the monthly report: a bounded number of reads however long
    the system has run; the newest checkpoint alone anchors every record before it)."""
    if complete:
        versions: list[CheckpointVersion] = list(store.versions())
    else:
        newest, versions = read_to_newest_valid(store.versions(), public_key)
        if newest is not None and newest.checkpoint.last_break:
            versions += store.versions_of(newest.checkpoint.last_break)
    return anchor_record(audit.records(), versions, public_key, complete=complete,
                         extra_seqs=extra_seqs)


def _alarm(signed: SignedCheckpoint, ignored: list[AnchorProblem],
           public_key: bytes) -> tuple[str, str]:
    """Subject and message for the administrator: what was found, no record contents."""
    checkpoint = signed.checkpoint
    lines = []
    if not checkpoint.continues:
        lines.append(f"The access record does not continue from the previous checkpoint: "
                     f"{checkpoint.problem}.")
        lines.append(f"{checkpoint.describe()} anchors the record as it is now and says so in "
                     "signed form; run `python -m chalicelib.audit verify` to see which "
                     "checkpoints the record no longer reproduces.")
    lines.extend(f"Ignored in the checkpoint bucket: {problem.text}." for problem in ignored)
    lines.append(f"Checkpoint key {signed.key_id}, public key SHA-256 {fingerprint(public_key)}.")
    subject = ("ALERT: the ALPR access record was changed" if not checkpoint.continues
               else "ALERT: unexpected objects in the checkpoint bucket")
    return subject, "\n".join(lines)
