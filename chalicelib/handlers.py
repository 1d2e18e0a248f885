"""Glue between Lambda event shapes and the use cases, kept out of app.py to keep it thin."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.adapters.reads_table import Partition, QueryStats, from_item
from chalicelib.bootstrap import Container
from chalicelib.domain.audit import ALLOWED, AuditEntry
from chalicelib.domain.reads import days_between, format_time
from chalicelib.domain.streams import removed_items
from chalicelib.observability import logger, metrics
from chalicelib.services.checkpoints import take_checkpoint
from chalicelib.services.ingest import QueueMessage, ingest_message
from chalicelib.services.monthly_audit import run_scheduled
from chalicelib.services.plate_index import forget_reads
from chalicelib.services.purge import purge_images_of_expired_records
from chalicelib.services.retention import find_overdue, purge_expired_reads, purge_reads
from chalicelib.settings import INGEST_MAX_RECEIVES

_processor = BatchProcessor(event_type=EventType.SQS)
SYSTEM_USER = "system"
# How far behind retention the daily check looks (TTL deletes within about two days).
RETENTION_CHECK_LOOKBACK_DAYS = 14


def ingest_batch(raw_event: dict[str, Any], context: Any, container: Container) -> dict[str, Any]:
    """Ingest each message; failed ones are reported back so only they are retried."""

    def handle(record: SQSRecord) -> None:
        message = QueueMessage(record.message_id, record.body,
                               int(record.attributes.approximate_receive_count or 1))
        result = ingest_message(message, container.ingest, container.dead_letters,
                                INGEST_MAX_RECEIVES)
        if result.dead_letter_reason is not None:
            metrics.add_metric(name="MessagesDeadLettered", unit="Count", value=1)
        for outcome in result.outcomes:
            metrics.add_metric(name=f"Images{outcome.status.title()}", unit="Count", value=1)
            if outcome.reason:
                logger.info("image rejected", extra={"reason": outcome.reason})

    response = process_partial_response(event=raw_event, record_handler=handle,
                                        processor=_processor, context=context)
    return dict(response)


def purge_batch(raw_event: dict[str, Any], container: Container) -> dict[str, int]:
    """Delete the images of image records that TTL removed."""
    summary = purge_images_of_expired_records(raw_event.get("Records", []), container.raw_images)
    logger.info("purge run", extra=vars(summary))
    metrics.add_metric(name="ImagesPurged", unit="Count", value=summary.images_purged)
    if summary.images_purged or summary.kept_under_legal_hold:
        _record_purge_run(container, "purge_images", vars(summary), summary.images_purged)
    return vars(summary)


def purge_reads_batch(raw_event: dict[str, Any], container: Container) -> dict[str, int]:
    """Delete the crops and, when no other read needs them, the images of TTL-expired reads;
    and, for every read removed (by TTL or otherwise), what only it kept in the plate index."""
    records = raw_event.get("Records", [])
    forget_reads([from_item(dict(item)) for item in removed_items(records)],
                 container.index_maintenance)
    summary = purge_expired_reads(records, container.read_purge)
    _record_purge_run(container, "purge_reads", vars(summary), summary.reads_purged)
    return vars(summary)


def retention_check(container: Container) -> dict[str, int]:
    """Daily: TTL may lag by days, so delete reads past retention that no hold covers."""
    now = container.clock()
    retention = container.settings.retention_days
    start = now - timedelta(days=retention + RETENTION_CHECK_LOOKBACK_DAYS)
    end = now - timedelta(days=retention) + timedelta(days=1)
    stats = QueryStats()
    candidates = [
        read for day in days_between(start, end)
        for read in container.reads.newest_first(
            Partition("by_day", "day_bucket", day), "0", "9", stats)]
    overdue = find_overdue(candidates, now, retention)
    deleted = [read for read in overdue
               if container.reads.delete_if_purgeable(read, int(now.timestamp()))]
    summary = purge_reads(deleted, container.read_purge)
    counts = {"examined": stats.examined, "overdue_found": len(overdue),
              "deleted": len(deleted), **vars(summary)}
    _record_purge_run(container, "retention_check", counts, len(deleted))
    return counts


def _record_purge_run(container: Container, action: str, counts: dict[str, int],
                      result_count: int) -> None:
    """Purge runs go into the access record too: counts and time, never plates or keys."""
    container.audit_log.append(AuditEntry(
        at=format_time(container.clock()), user_id=SYSTEM_USER, username=SYSTEM_USER,
        agency="", role="system", action=action, outcome=ALLOWED,
        query={name: str(value) for name, value in counts.items()},
        result_count=result_count))


def monthly_audit(container: Container) -> dict[str, Any]:
    """On the 1st: build, store and announce the previous month's audit report."""
    published = run_scheduled(container.monthly_audit)
    logger.info("monthly audit report built", extra={"month": published.month,
                                                     "findings": published.findings})
    return vars(published)


def checkpoint(container: Container) -> dict[str, Any]:
    """Every five minutes: a signed checkpoint of the access record's head, if it moved."""
    run = take_checkpoint(container.checkpoints)
    logger.info("audit checkpoint", extra=vars(run))
    if run.status == "signed":
        metrics.add_metric(name="AuditCheckpoints", unit="Count", value=1)
    if not run.continues:
        metrics.add_metric(name="AuditChainBreaks", unit="Count", value=1)
    return vars(run)
