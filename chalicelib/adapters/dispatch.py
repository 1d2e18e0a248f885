"""The dispatch webhook's plumbing: its queue (SQS), its secret (Secrets Manager) and the post.

The post is plain HTTPS from the standard library: one request, a short timeout, any non-2xx
answer or network failure raises DispatchFailed, and the queue retries (then dead-letters).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.errors import StorageError, translate
from chalicelib.domain.dispatch import ALERT_ID_HEADER, SIGNATURE_HEADER, check_webhook_url

POST_TIMEOUT_SECONDS = 5


class DispatchFailed(RuntimeError):
    """The webhook did not take the alert; the queue delivers it again."""


class DispatchQueue:
    def __init__(self, sqs: Any, queue_url: str) -> None:
        self._sqs = sqs
        self.queue_url = queue_url

    def enqueue(self, alert_id: str) -> None:
        try:
            self._sqs.send_message(QueueUrl=self.queue_url, MessageBody=alert_id)
        except ClientError as error:
            raise translate(error, "queue alert for dispatch") from error


class WebhookSecret:
    """The HMAC secret, read once per function instance."""

    def __init__(self, secretsmanager: Any, secret_arn: str) -> None:
        self._secrets = secretsmanager
        self.secret_arn = secret_arn
        self._value: bytes | None = None

    def value(self) -> bytes:
        if self._value is None:
            try:
                answer = self._secrets.get_secret_value(SecretId=self.secret_arn)
            except ClientError as error:
                raise translate(error, "read dispatch webhook secret") from error
            text = answer.get("SecretString")
            if not text:
                raise StorageError("the dispatch webhook secret is empty")
            self._value = str(text).encode()
        return self._value


class WebhookPoster:
    def __init__(self, url: str) -> None:
        self.url = check_webhook_url(url)

    def post(self, body: bytes, signature: str, alert_id: str) -> int:
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked (https/loopback)
            self.url, data=body, method="POST",
            headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature,
                     ALERT_ID_HEADER: alert_id, "User-Agent": "Platekeeper-dispatch/1"})
        try:
            with urllib.request.urlopen(request, timeout=POST_TIMEOUT_SECONDS) as answer:  # noqa: S310
                status = int(answer.status)
        except urllib.error.HTTPError as error:
            raise DispatchFailed(f"webhook answered {error.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise DispatchFailed(f"webhook unreachable: {type(error).__name__}") from None
        if not 200 <= status < 300:
            raise DispatchFailed(f"webhook answered {status}")
        return status
