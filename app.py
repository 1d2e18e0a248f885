"""Platekeeper API and event handlers: each a few lines, the work lives in chalicelib."""

from __future__ import annotations

from typing import Any

from chalice import Chalice
from chalice.app import DynamoDBEvent, SQSEvent

from chalicelib import bootstrap, handlers
from chalicelib.observability import powertools_middleware
from chalicelib.resources import IMAGES_STREAM_ARN, INGEST_QUEUE_ARN

app = Chalice(app_name="platekeeper", configure_logs=False)
app.register_middleware(powertools_middleware, "all")


@app.route("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.on_sqs_message(queue_arn=INGEST_QUEUE_ARN, batch_size=10, name="ingest")
def on_ingest_message(event: SQSEvent) -> dict[str, Any]:
    return handlers.ingest_batch(event.to_dict(), event.context, bootstrap.container())


@app.on_dynamodb_record(stream_arn=IMAGES_STREAM_ARN, batch_size=100, name="purge_images")
def on_image_record_change(event: DynamoDBEvent) -> dict[str, int]:
    return handlers.purge_batch(event.to_dict(), bootstrap.container())
