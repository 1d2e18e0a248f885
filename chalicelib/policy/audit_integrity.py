"""Rules about the access record itself (policy 428.6(a), Civil Code 1798.90.52): it must be
complete and unaltered, anchored by signed checkpoints, and never go backwards.

The monthly report turns what `domain/checkpoints.anchor_record` found into findings, and
compares itself with every earlier version of the same month: a head that an earlier version
recorded and that the chain no longer reaches, or no longer hashes to, means records were cut
or rewritten in between. Pure functions over plain values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain.checkpoints import RecordAnchoring
from chalicelib.domain.monthly_audit import Finding, FindingKind
from chalicelib.domain.reads import parse_time

# Checkpoints run every five minutes; records unanchored for longer than this mean the
# checkpoint function stopped (or was stopped).
CHECKPOINT_STALE_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class EarlierHead:
    """What an earlier version of the same month's report recorded about the chain."""

    generated_at: str
    version_id: str
    head_seq: int
    head_hash: str
    checkpoint_number: int = 0


def stale_since(anchoring: RecordAnchoring, now: datetime) -> str | None:
    """When the oldest unanchored record was written, if that is longer ago than allowed."""
    tail = anchoring.unanchored
    if tail is None or not tail.first_at:
        return None
    try:
        written = parse_time(tail.first_at)
    except ValueError:
        return None
    return tail.first_at if now - written > CHECKPOINT_STALE_AFTER else None


def checkpoint_findings(anchoring: RecordAnchoring, now: datetime) -> list[Finding]:
    """Every disagreement between the chain and its signed checkpoints, and a stalled signer."""
    findings = [Finding(FindingKind.AUDIT_CHECKPOINT_FAILED, problem.kind.value, problem.text,
                        {"checkpoint": problem.checkpoint or 0})
                for problem in anchoring.problems]
    since = stale_since(anchoring, now)
    if since is not None and anchoring.unanchored is not None:
        findings.append(Finding(
            FindingKind.AUDIT_CHECKPOINT_FAILED, "checkpoints_stopped",
            f"{anchoring.unanchored.count} records written since {since} are not anchored by "
            f"any signed checkpoint; checkpoints run every five minutes, so the checkpoint "
            f"function has stopped", {"first_unanchored_seq": anchoring.unanchored.first_seq}))
    return findings


def report_history_findings(earlier: Iterable[EarlierHead], anchoring: RecordAnchoring,
                            month: str) -> list[Finding]:
    """Earlier versions of this month's report against the chain as it is now."""
    hashes: Mapping[int, str] = anchoring.hashes
    findings: list[Finding] = []
    for version in earlier:
        facts: dict[str, str | int] = {"earlier_head_seq": version.head_seq,
                                       "head_seq": anchoring.head_seq,
                                       "earlier_version": version.version_id}
        if version.head_seq > anchoring.head_seq:
            findings.append(Finding(
                FindingKind.AUDIT_HEAD_WENT_BACKWARDS, f"report {month} of {version.generated_at}",
                f"the version of this report built {version.generated_at} recorded the chain's "
                f"head at record {version.head_seq}; the chain now ends at record "
                f"{anchoring.head_seq}: records were removed since", facts))
        elif version.head_seq and hashes.get(version.head_seq) != version.head_hash:
            findings.append(Finding(
                FindingKind.AUDIT_HEAD_WENT_BACKWARDS, f"report {month} of {version.generated_at}",
                f"the version of this report built {version.generated_at} recorded hash "
                f"{version.head_hash[:16]}... for record {version.head_seq}; that record now "
                f"hashes to {hashes.get(version.head_seq, 'nothing (missing)')[:16]}: records up "
                "to it were rewritten since", facts))
        elif version.checkpoint_number and anchoring.newest is not None and (
                anchoring.newest.checkpoint.number < version.checkpoint_number):
            findings.append(Finding(
                FindingKind.AUDIT_HEAD_WENT_BACKWARDS, f"report {month} of {version.generated_at}",
                f"the version of this report built {version.generated_at} was checked against "
                f"checkpoint #{version.checkpoint_number}; the newest valid checkpoint now is #"
                f"{anchoring.newest.checkpoint.number}", facts))
    return findings
