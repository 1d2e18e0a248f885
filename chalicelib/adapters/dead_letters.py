"""The ingest dead-letter queue, written to directly when a message must not be retried.

SQS's redrive policy moves a message that failed maxReceiveCount times, but carries no reason.
The ingest handler moves such messages itself on their last delivery (and malformed ones on the
first), with the reason as a message attribute, so whoever drains the queue knows why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.errors import translate

REASON_ATTRIBUTE = "reason"
MAX_REASON_LENGTH = 500


@dataclass(frozen=True)
class DeadLetter:
    """One message that will not be processed, and why."""

    body: str
    reason: str
    source_message_id: str
    receive_count: int
    failed_at: str


class DeadLetterQueue:
    def __init__(self, sqs: Any, queue_url: str) -> None:
        self._sqs = sqs
        self.queue_url = queue_url

    def send(self, letter: DeadLetter) -> None:
        attributes = {
            REASON_ATTRIBUTE: letter.reason[:MAX_REASON_LENGTH],
            "source_message_id": letter.source_message_id,
            "receive_count": str(letter.receive_count),
            "failed_at": letter.failed_at,
        }
        try:
            self._sqs.send_message(
                QueueUrl=self.queue_url, MessageBody=letter.body,
                MessageAttributes={name: {"DataType": "String", "StringValue": value or "-"}
                                   for name, value in attributes.items()})
        except ClientError as error:
            raise translate(error, "send to dead-letter queue") from error
