"""Glue between Lambda event shapes and the use cases, kept out of app.py to keep it thin."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.bootstrap import Container
from chalicelib.domain.images import objects_from_notification
from chalicelib.observability import logger, metrics
from chalicelib.services.ingest import ingest_object
from chalicelib.services.purge import purge_images_of_expired_records

_processor = BatchProcessor(event_type=EventType.SQS)


def ingest_batch(raw_event: dict[str, Any], context: Any, container: Container) -> dict[str, Any]:
    """Ingest each message; failed ones are reported back so only they are retried."""

    def handle(record: SQSRecord) -> None:
        for ref in objects_from_notification(record.body):
            outcome = ingest_object(ref, container.ingest)
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
    return vars(summary)
