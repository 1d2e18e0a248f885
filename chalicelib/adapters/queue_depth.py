"""How many messages wait in an SQS queue (the ingest backlog, the dead letters)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.errors import translate


class QueueDepth:
    def __init__(self, sqs: Any, queue_url: str) -> None:
        self._sqs = sqs
        self.queue_url = queue_url

    def waiting(self) -> int:
        """Messages visible plus in flight (approximate, as SQS reports them)."""
        try:
            attributes = self._sqs.get_queue_attributes(
                QueueUrl=self.queue_url,
                AttributeNames=["ApproximateNumberOfMessages",
                                "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        except ClientError as error:
            raise translate(error, "read queue depth") from error
        return sum(int(value) for value in attributes.values())
