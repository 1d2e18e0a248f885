"""Powertools Logger, Metrics and Tracer, registered once as Chalice middleware.

Logs carry request ids and counts, never plate text, image keys of reads, or user queries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="platekeeper")
metrics = Metrics(namespace="Platekeeper", service="platekeeper")
tracer = Tracer(service="platekeeper")


def powertools_middleware(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Tag logs with the Lambda request id and flush metrics after every invocation."""
    context = getattr(event, "context", None) or getattr(event, "lambda_context", None)
    request_id = getattr(context, "aws_request_id", None)
    if request_id:
        logger.append_keys(request_id=request_id)
    try:
        return get_response(event)
    finally:
        if metrics.metric_set:  # flushing nothing only produces a warning
            metrics.flush_metrics()
        logger.remove_keys(["request_id"])
