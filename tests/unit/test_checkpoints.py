"""Signed checkpoints of the access record, attacked as an insider with write access to the
audit table (and, for the bucket, as someone who can write objects there) would."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from chalicelib.domain.audit import GENESIS_HASH, AuditEntry, AuditRecord, content_hash, link
from chalicelib.domain.checkpoints import (
    Checkpoint,
    CheckpointMalformed,
    ProblemKind,
    RecordAnchoring,
    checkpoint_key,
    number_in_key,
    parse_document,
    sign_checkpoint,
)
from chalicelib.services.checkpoints import (
    SIGNED,
    SKIPPED,
    CheckpointDependencies,
    take_checkpoint,
    verify_record,
)
from tests.unit.fakes import FakeAuditLog, FakeCheckpointStore, FakeNotices, LocalSigner

NOW = datetime(2026, 12, 3, 10, 5, tzinfo=UTC)


def entry(number: int) -> AuditEntry:
    return AuditEntry(at=f"2026-12-03T10:{number // 60:02d}:{number % 60:02d}Z",
                      user_id=f"u{number % 3}", username=f"officer{number % 3}", agency="PD",
                      role="sworn_officer", action="search_reads", outcome="allowed",
                      query={"plate": f"7ABC{number:03d}"}, purpose="stolen_vehicle",
                      case_number="2026-000123", result_count=1)


class Deployment:
    """The audit table, the checkpoint bucket, the checkpoint key and the notices topic."""

    def __init__(self) -> None:
        self.audit = FakeAuditLog()
        self.store = FakeCheckpointStore()
        self.key = LocalSigner()
        self.notices = FakeNotices()

    def write(self, count: int) -> None:
        for _ in range(count):
            self.audit.append(entry(len(self.audit.chain) + 1))

    def checkpoint(self) -> str:
        run = take_checkpoint(CheckpointDependencies(self.audit, self.store, self.key,
                                                     self.notices, lambda: NOW))
        return run.status

    def verify(self, complete: bool = True) -> RecordAnchoring:
        return verify_record(self.audit, self.store, self.key.public_key(), complete=complete)

    # ---------------------------------------------------------------- the insider's moves
    def alter(self, seq: int) -> None:
        """Change one record's content, leaving its stored hash (a careless edit)."""
        record = self.audit.chain[seq - 1]
        self.audit.chain[seq - 1] = replace(record, entry=replace(record.entry,
                                                                  purpose="criminal_investigation"))

    def alter_and_recompute(self, seq: int) -> None:
        """Change one record and recompute every hash from it to the head (a deliberate edit)."""
        self.alter(seq)
        previous = self.audit.chain[seq - 2] if seq > 1 else None
        for index in range(seq - 1, len(self.audit.chain)):
            record = self.audit.chain[index]
            prev_hash = previous.hash if previous else GENESIS_HASH
            rebuilt = AuditRecord(record.seq, record.entry, prev_hash,
                                  content_hash(record.seq, record.entry, prev_hash))
            self.audit.chain[index] = rebuilt
            previous = rebuilt

    def delete(self, seq: int) -> None:
        del self.audit.chain[seq - 1]

    def cut_tail(self, count: int) -> None:
        del self.audit.chain[-count:]


def kinds(anchoring: RecordAnchoring) -> list[ProblemKind]:
    return [problem.kind for problem in anchoring.problems]


@pytest.fixture
def deployment() -> Deployment:
    """80 records, checkpoints after 40 and after 78, two records not yet anchored."""
    world = Deployment()
    world.write(40)
    assert world.checkpoint() == SIGNED
    world.write(38)
    assert world.checkpoint() == SIGNED
    world.write(2)
    return world


def test_checkpoints_are_signed_only_when_the_chain_moved_and_link_to_each_other(
        deployment: Deployment) -> None:
    deployment.cut_tail(2)
    assert deployment.checkpoint() == SKIPPED  # head is checkpoint #2's record
    first, second = (parse_document(body) for body in (
        deployment.store.stored[checkpoint_key(number)][0][1] or b"" for number in (1, 2)))
    assert (first.checkpoint.number, first.checkpoint.seq) == (1, 40)
    assert first.checkpoint.previous == GENESIS_HASH
    assert (second.checkpoint.seq, second.checkpoint.previous) == (78, first.checkpoint.digest)
    assert second.valid_for(deployment.key.public_key())
    assert second.checkpoint.record_at == deployment.audit.chain[77].entry.at
    assert second.checkpoint.signed_at == "2026-12-03T10:05:00Z"
    assert deployment.notices.sent == []


def test_an_intact_record_names_only_the_records_since_the_newest_checkpoint(
        deployment: Deployment) -> None:
    anchoring = deployment.verify()
    assert anchoring.intact and anchoring.checkpoints_checked == 2
    assert anchoring.newest is not None and anchoring.newest.checkpoint.number == 2
    assert anchoring.unanchored is not None
    assert (anchoring.unanchored.first_seq, anchoring.unanchored.last_seq) == (79, 80)
    assert anchoring.unanchored.first_at == deployment.audit.chain[78].entry.at


def test_an_edited_record_breaks_the_chain(deployment: Deployment) -> None:
    deployment.alter(20)
    anchoring = deployment.verify()
    assert anchoring.chain.first_broken_seq == 20 and "altered" in anchoring.chain.problem
    assert not anchoring.intact


def test_a_record_deleted_in_the_middle_is_missing(deployment: Deployment) -> None:
    deployment.delete(50)
    anchoring = deployment.verify()
    assert anchoring.chain.problem.startswith("record 50 is missing")


def test_an_edit_with_every_later_hash_recomputed_fails_at_the_next_checkpoint(
        deployment: Deployment) -> None:
    deployment.alter_and_recompute(20)
    anchoring = deployment.verify()
    assert anchoring.chain.intact  # the chain alone cannot tell
    assert kinds(anchoring) == [ProblemKind.NOT_REPRODUCED]
    [problem] = anchoring.problems
    assert problem.checkpoint == 1
    assert "checkpoint #1 (record 40" in problem.text
    assert "records 1-40 were changed" in problem.text and "1 later checkpoint(s)" in problem.text


def test_an_edit_after_the_first_checkpoint_is_placed_between_the_two(
        deployment: Deployment) -> None:
    deployment.alter_and_recompute(60)
    [problem] = deployment.verify().problems
    assert problem.checkpoint == 2 and "records 41-78 were changed" in problem.text


def test_a_tail_cut_past_a_checkpoint_no_longer_reaches_it(deployment: Deployment) -> None:
    deployment.cut_tail(5)  # records 76-80: 76-78 were anchored by checkpoint #2
    anchoring = deployment.verify()
    assert anchoring.chain.intact and anchoring.head_seq == 75
    [problem] = anchoring.problems
    assert problem.kind is ProblemKind.CUT_BELOW and problem.checkpoint == 2
    assert "ends at record 75" in problem.text and "3 record(s) were removed" in problem.text


def test_a_tail_cut_inside_the_window_is_not_anchored_yet(deployment: Deployment) -> None:
    """The records since the newest checkpoint are the window: cutting only them is not
    visible to the checkpoints (the threat model says so; CloudTrail and reports cover it)."""
    deployment.cut_tail(2)
    anchoring = deployment.verify()
    assert anchoring.intact and anchoring.unanchored is None


def test_recompute_and_cut_together_are_both_named(deployment: Deployment) -> None:
    deployment.alter_and_recompute(20)
    deployment.cut_tail(5)
    assert sorted(kinds(deployment.verify())) == sorted(
        [ProblemKind.CUT_BELOW, ProblemKind.NOT_REPRODUCED])


def test_fast_verification_reads_only_the_newest_checkpoint_and_still_catches_both(
        deployment: Deployment) -> None:
    deployment.alter_and_recompute(20)
    deployment.cut_tail(5)
    anchoring = deployment.verify(complete=False)
    assert anchoring.checkpoints_checked == 1
    assert kinds(anchoring) == [ProblemKind.CUT_BELOW]
    deployment.write(10)  # the chain grows again past the cut
    assert kinds(deployment.verify(complete=False)) == [ProblemKind.NOT_REPRODUCED]


def test_a_checkpoint_signed_by_another_key_is_rejected_and_ignored(
        deployment: Deployment) -> None:
    deployment.alter_and_recompute(20)
    forged = sign_checkpoint(Checkpoint(3, 80, deployment.audit.chain[-1].hash, "", "",
                                        GENESIS_HASH), LocalSigner("arn:aws:kms:attacker"))
    deployment.store.put_raw(checkpoint_key(3), forged.document())
    anchoring = deployment.verify()
    assert ProblemKind.NOT_SIGNED_BY_KEY in kinds(anchoring)
    assert ProblemKind.NOT_REPRODUCED in kinds(anchoring)
    assert anchoring.newest is not None and anchoring.newest.checkpoint.number == 2
    assert "names key arn:aws:kms:attacker" in anchoring.problems[0].text


def test_a_foreign_object_in_the_next_number_does_not_stop_checkpoints(
        deployment: Deployment) -> None:
    forged = sign_checkpoint(Checkpoint(3, 80, "f" * 64, "", "", GENESIS_HASH), LocalSigner())
    deployment.store.put_raw(checkpoint_key(3), forged.document())
    assert deployment.checkpoint() == SIGNED  # as #4, naming #2 as its predecessor
    newest = deployment.verify().newest
    assert newest is not None and newest.checkpoint.number == 4
    assert kinds(deployment.verify()) == [ProblemKind.NOT_SIGNED_BY_KEY, ProblemKind.MISSING]
    [(subject, message, kind)] = deployment.notices.sent
    assert "unexpected objects" in subject and "not signed by the checkpoint key" in message
    assert kind == "audit_checkpoint"


def test_delete_markers_overwrites_and_unreadable_objects_are_named(
        deployment: Deployment) -> None:
    deployment.store.put_raw(checkpoint_key(1), None)  # DeleteObject without a version
    deployment.store.put_raw(checkpoint_key(2), b"not json")
    assert sorted(kinds(deployment.verify())) == sorted(
        [ProblemKind.DELETE_ATTEMPTED, ProblemKind.OVERWRITTEN, ProblemKind.UNREADABLE])


def test_a_valid_checkpoint_under_another_name_is_ignored(deployment: Deployment) -> None:
    genuine = deployment.store.stored[checkpoint_key(1)][0][1] or b""
    deployment.store.put_raw("checkpoints/anywhere.json", genuine)
    assert ProblemKind.OUT_OF_SEQUENCE in kinds(deployment.verify())


def test_the_signer_records_a_break_in_signed_form_and_alarms_at_once(
        deployment: Deployment) -> None:
    deployment.alter_and_recompute(60)
    deployment.write(3)
    assert deployment.checkpoint() == SIGNED
    third = parse_document(deployment.store.stored[checkpoint_key(3)][0][1] or b"")
    assert not third.checkpoint.continues and third.checkpoint.last_break == 3
    assert "records up to 78 were rewritten" in third.checkpoint.problem
    [(subject, message, _)] = deployment.notices.sent
    assert subject == "ALERT: the ALPR access record was changed"
    assert "7ABC" not in message  # no plates in notices
    deployment.write(1)
    assert deployment.checkpoint() == SIGNED  # continues normally from the break
    fourth = parse_document(deployment.store.stored[checkpoint_key(4)][0][1] or b"")
    assert fourth.checkpoint.continues and fourth.checkpoint.last_break == 3
    fast = deployment.verify(complete=False)  # newest + the recorded break
    assert sorted(kinds(fast)) == sorted([ProblemKind.BREAK_RECORDED])
    assert sorted(kinds(deployment.verify())) == sorted(
        [ProblemKind.BREAK_RECORDED, ProblemKind.NOT_REPRODUCED])


def test_the_signer_notices_a_cut_below_its_last_checkpoint(deployment: Deployment) -> None:
    deployment.cut_tail(10)
    assert deployment.checkpoint() == SIGNED
    third = parse_document(deployment.store.stored[checkpoint_key(3)][0][1] or b"")
    assert (third.checkpoint.seq, third.checkpoint.continues) == (70, False)
    assert "ends at record 70, below record 78" in third.checkpoint.problem
    assert deployment.checkpoint() == SKIPPED  # one alarm, not one every five minutes
    assert len(deployment.notices.sent) == 1


def test_an_empty_record_has_nothing_to_sign() -> None:
    assert Deployment().checkpoint() == SKIPPED


@pytest.mark.parametrize("change", [
    {"number": "1"}, {"continues": 1}, {"extra": "x"}, {"type": "other/1"}])
def test_stored_checkpoints_are_read_strictly(deployment: Deployment,
                                              change: dict[str, object]) -> None:
    document = json.loads(deployment.store.stored[checkpoint_key(1)][0][1] or b"")
    document["checkpoint"].update(change)
    with pytest.raises(CheckpointMalformed):
        parse_document(json.dumps(document).encode())


def test_checkpoint_keys_list_newest_first_and_name_their_number() -> None:
    keys = [checkpoint_key(number) for number in (1, 2, 10, 11)]
    assert sorted(keys) == list(reversed(keys))
    assert [number_in_key(key) for key in keys] == [1, 2, 10, 11]
    assert number_in_key("checkpoints/elsewhere.json") == 0
    assert number_in_key(checkpoint_key(10**11)) == 0  # beyond any real numbering


def test_a_checkpoint_message_fits_what_kms_signs_raw() -> None:
    record = link(entry(1), None)
    checkpoint = Checkpoint(10**9, record.seq, record.hash, record.entry.at,
                            "2026-12-03T10:05:00Z", "a" * 64, False, "x" * 300, 10**9)
    assert len(checkpoint.message()) < 4096
