"""Signed checkpoints of the access record: the chain's head signed outside the database.

The hash chain (domain/audit.py) shows a careless edit, but whoever can write the audit table can
also recompute every hash after an edit, or cut records off the end. A checkpoint is the answer
Certificate Transparency (signed tree heads) and CloudTrail (signed digest files) give: on a
schedule, a key that lives in KMS, usable by one function only, signs the head (sequence number,
hash, time) and the previous checkpoint's digest, and the result is kept where nobody can delete
or overwrite it (S3 Object Lock, COMPLIANCE mode). Then:

* a chain recomputed after an edit no longer reproduces the hash of any checkpoint taken after
  the edited record;
* a chain cut past a checkpoint no longer reaches that checkpoint's sequence number;
* a checkpoint made with any other key fails its signature check and is ignored.

Only the records written since the newest checkpoint are not yet anchored; `RecordAnchoring`
names them. Nothing here does I/O.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from chalicelib.domain.audit import GENESIS_HASH, AuditRecord, ChainCheck, verify_chain
from chalicelib.domain.signatures import (
    SIGNING_ALGORITHM,
    Signer,
    canonical_json,
    sha256_hex,
    signature_valid,
)

CHECKPOINT_TYPE = "platekeeper-audit-checkpoint/1"
DOCUMENT_FORMAT = "platekeeper-signed-checkpoint/1"
KEY_PREFIX = "checkpoints/"
# Keys count down from this, so a listing (ascending key order) shows the newest checkpoint
# first and finding it costs one request however many checkpoints exist.
_KEY_BASE = 10**12
# A billion checkpoints is 9,500 years at one per five minutes; an object claiming a higher
# number is foreign and must not push the signer's numbering off its key scheme.
MAX_NUMBER = 10**9


def checkpoint_key(number: int) -> str:
    """Where checkpoint `number` is stored: newest first in key order, its number readable."""
    return f"{KEY_PREFIX}{_KEY_BASE - number:012d}-n{number}.json"


def number_in_key(key: str) -> int:
    """The checkpoint number a key stands for (0 for a key the signer never writes)."""
    stem = key.removeprefix(KEY_PREFIX).removesuffix(".json")
    countdown, _, number = stem.partition("-n")
    if (countdown.isdigit() and number.isdigit() and int(number) <= MAX_NUMBER
            and checkpoint_key(int(number)) == key):
        return int(number)
    return 0


@dataclass(frozen=True)
class Checkpoint:
    """What is signed: the chain's head at a moment, linked to the checkpoint before it."""

    number: int
    seq: int
    hash: str
    record_at: str
    signed_at: str
    previous: str
    # False when the records did not continue from the previous checkpoint (an edit, a cut):
    # the signer still anchors the head it found, and says so in signed form.
    continues: bool = True
    problem: str = ""
    # The newest checkpoint that recorded a break (0 = none), carried forward so that the
    # newest checkpoint alone tells a reader whether any break was ever seen.
    last_break: int = 0

    def fields(self) -> dict[str, Any]:
        return {"type": CHECKPOINT_TYPE, **asdict(self)}

    def message(self) -> bytes:
        """The exact bytes signed."""
        return canonical_json(self.fields())

    @property
    def digest(self) -> str:
        """SHA-256 of the signed bytes: what the next checkpoint names as `previous`."""
        return sha256_hex(self.message())

    def describe(self) -> str:
        return f"checkpoint #{self.number} (record {self.seq}, signed {self.signed_at})"


@dataclass(frozen=True)
class SignedCheckpoint:
    checkpoint: Checkpoint
    key_id: str
    signature: bytes
    algorithm: str = SIGNING_ALGORITHM

    def document(self) -> bytes:
        """The stored object: the signed fields, the signature and which key made it."""
        return json.dumps({
            "format": DOCUMENT_FORMAT,
            "checkpoint": self.checkpoint.fields(),
            "signature": {"algorithm": self.algorithm, "key_id": self.key_id,
                          "value": base64.b64encode(self.signature).decode("ascii")},
        }, indent=2, sort_keys=True).encode("utf-8")

    def valid_for(self, public_key: bytes) -> bool:
        return (self.algorithm == SIGNING_ALGORITHM
                and signature_valid(public_key, self.checkpoint.message(), self.signature))


class CheckpointMalformed(ValueError):
    """A stored object that is not a signed checkpoint."""


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer) -> SignedCheckpoint:
    return SignedCheckpoint(checkpoint, signer.key_id, signer.sign(checkpoint.message()))


def parse_document(body: bytes) -> SignedCheckpoint:
    """Read a stored checkpoint; every field must have its type (nothing is coerced)."""
    try:
        document = json.loads(body)
        fields = dict(document["checkpoint"])
        signature = document["signature"]
        value = base64.b64decode(signature["value"], validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        raise CheckpointMalformed("not a signed checkpoint document") from error
    if document.get("format") != DOCUMENT_FORMAT or fields.pop("type", None) != CHECKPOINT_TYPE:
        raise CheckpointMalformed("unknown checkpoint format")
    expected = {"number": int, "seq": int, "hash": str, "record_at": str, "signed_at": str,
                "previous": str, "continues": bool, "problem": str, "last_break": int}
    if set(fields) != set(expected) or any(
            type(fields[name]) is not kind for name, kind in expected.items()):
        raise CheckpointMalformed("checkpoint fields are missing or of the wrong type")
    if not isinstance(signature.get("key_id"), str) or not isinstance(
            signature.get("algorithm"), str):
        raise CheckpointMalformed("signature without key id or algorithm")
    return SignedCheckpoint(Checkpoint(**fields), signature["key_id"], value,
                            signature["algorithm"])


# ---------------------------------------------------------------------- signing the next one
def continuation(previous: Checkpoint | None, records_after: Iterable[AuditRecord],
                 head: AuditRecord) -> tuple[ChainCheck, AuditRecord]:
    """Whether the records after `previous` continue the chain it signed, and the newest record.

    `records_after` are the records after previous.seq (all records when there is no previous
    checkpoint); `head` is the newest record the table reported."""
    if previous is not None and head.seq < previous.seq:
        return ChainCheck(0, head.seq + 1,
                          f"the access record ends at record {head.seq}, below record "
                          f"{previous.seq} that checkpoint #{previous.number} anchors: "
                          "records were removed"), head
    walked = _Remembering(records_after)
    if previous is None:
        check = verify_chain(walked)
    else:
        check = verify_chain(walked, previous.seq, previous.hash)
        if check.first_broken_seq == previous.seq + 1 and "does not link" in check.problem:
            check = ChainCheck(0, previous.seq + 1,
                               f"record {previous.seq + 1} does not link to the hash checkpoint "
                               f"#{previous.number} signed for record {previous.seq}: records up "
                               f"to {previous.seq} were rewritten")
    walked.drain()
    newest = walked.last or head
    if previous is not None and walked.last is None and head.hash != previous.hash:
        check = ChainCheck(0, previous.seq, f"record {previous.seq} no longer has the hash "
                                            f"checkpoint #{previous.number} signed")
    return check, newest


def next_checkpoint(previous: Checkpoint | None, newest: AuditRecord, check: ChainCheck,
                    signed_at: str, number: int | None = None) -> Checkpoint:
    """The checkpoint that anchors `newest`, after `previous`; `check` says how it continued.
    Its number follows the previous one's unless a later `number` is given."""
    number = number or (previous.number + 1 if previous else 1)
    last_break = previous.last_break if previous else 0
    return Checkpoint(
        number=number, seq=newest.seq, hash=newest.hash, record_at=newest.entry.at,
        signed_at=signed_at, previous=previous.digest if previous else GENESIS_HASH,
        continues=check.intact, problem=check.problem,
        last_break=last_break if check.intact else number)


# ---------------------------------------------------------------------- verifying against them
@dataclass(frozen=True)
class CheckpointVersion:
    """One stored version of a checkpoint object; `body` None is a delete marker."""

    key: str
    version_id: str
    last_modified: str
    body: bytes | None


class ProblemKind(StrEnum):
    NOT_SIGNED_BY_KEY = "checkpoint_not_signed_by_the_key"
    UNREADABLE = "checkpoint_unreadable"
    OVERWRITTEN = "checkpoint_overwritten"
    DELETE_ATTEMPTED = "checkpoint_delete_attempted"
    MISSING = "checkpoint_missing"
    OUT_OF_SEQUENCE = "checkpoint_out_of_sequence"
    BREAK_RECORDED = "break_recorded_by_checkpoint"
    NOT_REPRODUCED = "chain_does_not_reproduce_checkpoint"
    CUT_BELOW = "chain_cut_below_checkpoint"


@dataclass(frozen=True)
class AnchorProblem:
    kind: ProblemKind
    text: str
    checkpoint: int | None = None


@dataclass(frozen=True)
class Unanchored:
    """Records written after the newest checkpoint: the only part not yet anchored."""

    first_seq: int
    last_seq: int
    first_at: str

    @property
    def count(self) -> int:
        return self.last_seq - self.first_seq + 1


@dataclass(frozen=True)
class RecordAnchoring:
    """The access record checked end to end and against its signed checkpoints."""

    chain: ChainCheck
    head_seq: int
    head_hash: str
    checkpoints_checked: int
    complete: bool
    newest: SignedCheckpoint | None
    problems: tuple[AnchorProblem, ...]
    unanchored: Unanchored | None
    hashes: Mapping[int, str] = field(default_factory=dict)

    @property
    def intact(self) -> bool:
        return self.chain.intact and not self.problems


def authenticate(version: CheckpointVersion,
                 public_key: bytes) -> SignedCheckpoint | AnchorProblem:
    """The version's checkpoint if the checkpoint key signed it and it sits under its own key."""
    if version.body is None:
        return AnchorProblem(ProblemKind.DELETE_ATTEMPTED,
                             f"{version.key} is hidden by a delete marker made "
                             f"{version.last_modified}: someone tried to delete it (the locked "
                             "version is still read)")
    try:
        signed = parse_document(version.body)
    except CheckpointMalformed as error:
        return AnchorProblem(ProblemKind.UNREADABLE,
                             f"{version.key} (version {version.version_id}) is not a signed "
                             f"checkpoint: {error}")
    number = signed.checkpoint.number
    if not signed.valid_for(public_key):
        return AnchorProblem(ProblemKind.NOT_SIGNED_BY_KEY,
                             f"{version.key} claims to be checkpoint #{number} but is not "
                             f"signed by the checkpoint key (it names key {signed.key_id}); "
                             "it is ignored", number)
    if not 1 <= number <= MAX_NUMBER or checkpoint_key(number) != version.key:
        return AnchorProblem(ProblemKind.OUT_OF_SEQUENCE,
                             f"checkpoint #{number} is stored as {version.key}, not where the "
                             "signer writes it; it is ignored", number)
    return signed


def anchor_record(records: Iterable[AuditRecord], versions: Iterable[CheckpointVersion],
                  public_key: bytes, *, complete: bool,
                  extra_seqs: Iterable[int] = ()) -> RecordAnchoring:
    """Check the chain and every given checkpoint version against each other.

    `complete` says the versions are every version of every checkpoint object (then gaps and
    links between checkpoints are checked too); otherwise they are the newest valid checkpoint
    and the last one that recorded a break. `extra_seqs` asks for the stored hashes of more
    records (the heads earlier reports recorded)."""
    valid, problems = _authenticated(versions, public_key, complete)
    newest = max(valid, key=lambda signed: signed.checkpoint.number, default=None)
    first_unanchored = newest.checkpoint.seq + 1 if newest else 1
    wanted = {signed.checkpoint.seq for signed in valid} | set(extra_seqs) | {first_unanchored}
    walk = _Walk(records, wanted)
    problems.extend(_reproduction(valid, walk))
    unanchored = None
    if walk.head_seq >= first_unanchored:
        unanchored = Unanchored(first_unanchored, walk.head_seq,
                                walk.times.get(first_unanchored, ""))
    return RecordAnchoring(walk.check, walk.head_seq, walk.head_hash, len(valid), complete,
                           newest, tuple(problems), unanchored,
                           {seq: walk.hashes[seq] for seq in extra_seqs if seq in walk.hashes})


def _authenticated(versions: Iterable[CheckpointVersion], public_key: bytes,
                   complete: bool) -> tuple[list[SignedCheckpoint], list[AnchorProblem]]:
    problems: list[AnchorProblem] = []
    by_key: dict[str, list[CheckpointVersion]] = {}
    for version in versions:
        by_key.setdefault(version.key, []).append(version)
    valid: list[SignedCheckpoint] = []
    for key, stored in sorted(by_key.items()):
        bodies = [version for version in stored if version.body is not None]
        if len(bodies) > 1:
            problems.append(AnchorProblem(
                ProblemKind.OVERWRITTEN, f"{key} was written {len(bodies)} times; every "
                "version is checked"))
        for version in stored:
            outcome = authenticate(version, public_key)
            if isinstance(outcome, AnchorProblem):
                problems.append(outcome)
            else:
                valid.append(outcome)
    valid.sort(key=lambda signed: (signed.checkpoint.number, signed.checkpoint.signed_at))
    problems.extend(_sequence_problems(valid, complete))
    return valid, problems


def _sequence_problems(valid: Sequence[SignedCheckpoint], complete: bool) -> list[AnchorProblem]:
    problems: list[AnchorProblem] = []
    by_number = {signed.checkpoint.number: signed.checkpoint for signed in valid}
    if complete and by_number:
        absent = [number for number in range(1, max(by_number) + 1) if number not in by_number]
        if absent:
            problems.append(AnchorProblem(
                ProblemKind.MISSING, f"{len(absent)} checkpoint(s) are missing, first #"
                f"{absent[0]}: numbers run 1 to {max(by_number)}", absent[0]))
    for signed in valid:
        checkpoint = signed.checkpoint
        before = by_number.get(checkpoint.number - 1)
        expected = GENESIS_HASH if checkpoint.number == 1 else before.digest if before else None
        if expected is not None and checkpoint.previous != expected:
            problems.append(AnchorProblem(
                ProblemKind.OUT_OF_SEQUENCE, f"checkpoint #{checkpoint.number} does not name "
                f"checkpoint #{checkpoint.number - 1} as its predecessor", checkpoint.number))
        if not checkpoint.continues:
            problems.append(AnchorProblem(
                ProblemKind.BREAK_RECORDED, f"{checkpoint.describe()} recorded that the access "
                f"record did not continue from the checkpoint before it: {checkpoint.problem}",
                checkpoint.number))
    return problems


def _reproduction(valid: Sequence[SignedCheckpoint], walk: _Walk) -> list[AnchorProblem]:
    """Does the chain still reach, and reproduce, every checkpoint?"""
    problems: list[AnchorProblem] = []
    beyond = [signed.checkpoint for signed in valid if signed.checkpoint.seq > walk.head_seq]
    if beyond:
        furthest = max(beyond, key=lambda checkpoint: checkpoint.seq)
        problems.append(AnchorProblem(
            ProblemKind.CUT_BELOW, f"the access record ends at record {walk.head_seq}, but "
            f"{furthest.describe()} anchors record {furthest.seq}: "
            f"{furthest.seq - walk.head_seq} record(s) were removed from the end",
            furthest.number))
    reached = sorted((signed.checkpoint for signed in valid
                      if signed.checkpoint.seq <= walk.head_seq),
                     key=lambda checkpoint: (checkpoint.seq, checkpoint.number))
    matching_below = 0
    failed: list[Checkpoint] = []
    for checkpoint in reached:
        if walk.hashes.get(checkpoint.seq) == checkpoint.hash:
            if not failed:
                matching_below = checkpoint.seq
        else:
            failed.append(checkpoint)
    if failed:
        first = failed[0]
        found = ("is missing" if first.seq not in walk.hashes
                 else f"has hash {walk.hashes[first.seq][:16]}...")
        problems.append(AnchorProblem(
            ProblemKind.NOT_REPRODUCED, f"the chain does not reproduce {first.describe()}: it "
            f"signed hash {first.hash[:16]}... for record {first.seq}, the table's record "
            f"{first.seq} {found}; records {matching_below + 1}-{first.seq} were changed after "
            f"it was signed and the chain recomputed"
            + (f" ({len(failed) - 1} later checkpoint(s) fail too)" if len(failed) > 1 else ""),
            first.number))
    return problems


class _Remembering(Iterator[AuditRecord]):
    """Passes records through, keeping the last one; drain() reads what the consumer left."""

    def __init__(self, records: Iterable[AuditRecord]) -> None:
        self._records = iter(records)
        self.last: AuditRecord | None = None

    def __next__(self) -> AuditRecord:
        record = next(self._records)
        self.last = record
        return record

    def drain(self) -> None:
        for _ in self:
            pass


class _Walk:
    """One pass over the chain: its check, its head, and the hashes and times asked for."""

    def __init__(self, records: Iterable[AuditRecord], wanted: set[int]) -> None:
        self.hashes: dict[int, str] = {}
        self.times: dict[int, str] = {}
        walked = _Remembering(self._capture(records, wanted))
        self.check = verify_chain(walked)
        walked.drain()  # past a break, still learn the head and the anchored hashes
        self.head_seq = walked.last.seq if walked.last else 0
        self.head_hash = walked.last.hash if walked.last else ""

    def _capture(self, records: Iterable[AuditRecord],
                 wanted: set[int]) -> Iterator[AuditRecord]:
        for record in records:
            if record.seq in wanted:
                self.hashes[record.seq] = record.hash
                self.times[record.seq] = record.entry.at
            yield record
