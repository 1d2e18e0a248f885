"""Domain-level errors raised by adapters, so services never inspect botocore error codes."""

from __future__ import annotations

from botocore.exceptions import ClientError

# Errors worth retrying: the ingest queue redelivers the message and, failing that, dead-letters it.
_TRANSIENT_CODES = {
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
    "InternalServerError", "InternalError", "ServiceUnavailable", "SlowDown",
    "TransactionConflictException",
}


class StorageError(RuntimeError):
    """A storage call failed for a reason the caller cannot fix by changing its input."""


class TransientStorageError(StorageError):
    """Throttling or a service fault: try again later."""


class ObjectNotFound(StorageError):
    """The object or version no longer exists."""


class ObjectLocked(StorageError):
    """S3 Object Lock (a legal hold) refused the deletion."""


class AlreadyExists(StorageError):
    """A conditional write found the item already there."""


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def translate(error: ClientError, what: str) -> StorageError:
    """Map a botocore ClientError to the matching domain error."""
    code = error_code(error)
    if code in _TRANSIENT_CODES:
        return TransientStorageError(f"{what}: {code}")
    if code in {"NoSuchKey", "NoSuchVersion", "404", "NotFound"}:
        return ObjectNotFound(what)
    # DynamoDB's condition, or S3's If-None-Match on an object that already exists.
    if code in {"ConditionalCheckFailedException", "PreconditionFailed"}:
        return AlreadyExists(what)
    if code == "AccessDenied" and "lock" in what.lower():
        return ObjectLocked(what)
    return StorageError(f"{what}: {code or error}")
