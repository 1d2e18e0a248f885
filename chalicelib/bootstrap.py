"""The one place that builds and wires adapters; every dependency can be overridden in tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from chalicelib.adapters import aws
from chalicelib.adapters.image_records import ImageRecords
from chalicelib.adapters.raw_images import RawImageStore
from chalicelib.services.ingest import IngestDependencies
from chalicelib.settings import Settings, load_settings


def utc_now() -> datetime:
    return datetime.now(UTC)


class Container:
    """Adapters built on first use, so cold starts only pay for what a handler touches."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime] = utc_now) -> None:
        self.settings = settings
        self.clock = clock

    def client(self, service: str) -> Any:
        return aws.client(service, self.settings.region)

    @cached_property
    def raw_images(self) -> RawImageStore:
        return RawImageStore(self.client("s3"), self.settings.raw_bucket)

    @cached_property
    def image_records(self) -> ImageRecords:
        return ImageRecords(self.client("dynamodb"), self.settings.images_table)

    @cached_property
    def ingest(self) -> IngestDependencies:
        return IngestDependencies(
            raw_images=self.raw_images,
            image_records=self.image_records,
            retention_days=self.settings.retention_days,
            max_upload_bytes=self.settings.max_upload_bytes,
            clock=self.clock,
        )


_container: Container | None = None


def container() -> Container:
    """The process-wide container, built from the environment on first use."""
    global _container
    if _container is None:
        _container = Container(load_settings())
    return _container


def override(replacement: Container | None) -> None:
    """Install a container (tests, the local pump's injected clock) or reset to the default."""
    global _container
    _container = replacement
