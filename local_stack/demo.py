"""`make demo`: a scripted tour of every capability, one line per step, exit 1 on any failure."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import requests
from PIL import Image, ImageDraw

from local_stack.stack import RunningStack


class StepFailed(AssertionError):
    """A demo step did not do what it should."""


@dataclass
class Demo:
    stack: RunningStack
    images: Path | None = None
    results: list[tuple[str, bool, str]] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return self.stack.environment

    def step(self, name: str, action: Callable[[], str]) -> None:
        started = time.monotonic()
        try:
            details = action()
            ok = True
        except Exception as error:  # noqa: BLE001 - a demo reports every failure and goes on
            details = f"{type(error).__name__}: {error}"
            ok = False
        elapsed = time.monotonic() - started
        status = "ok" if ok else "FAILED"
        print(f"demo: {name}: {status} {details} ({elapsed:.1f} s)", flush=True)
        self.results.append((name, ok, details))

    # ------------------------------------------------------------------ steps
    def show_stack(self) -> str:
        resources = len(self.stack.provisioned.resources)
        return f"{resources} resources provisioned from infra/template.yaml"

    def health(self) -> str:
        response = requests.get(f"{self.stack.api_url}/health", timeout=10)
        if response.status_code != 200:
            raise StepFailed(f"/health answered {response.status_code}")
        return f"GET {self.stack.api_url}/health -> {response.json()}"

    def pump(self) -> str:
        s3: Any = boto3.client("s3")
        dynamodb: Any = boto3.client("dynamodb")
        now = self.stack.clock()
        keys = []
        for index, (_name, body, content_type) in enumerate(self._frames()):
            suffix = "png" if content_type == "image/png" else "jpg"
            key = f"cameras/demo-cam-1/{now.date().isoformat()}/demo-{index:04d}.{suffix}"
            s3.put_object(Bucket=self.env["PLATEKEEPER_RAW_BUCKET"], Key=key, Body=body,
                          ContentType=content_type, Metadata={"captured-at": now.isoformat()})
            keys.append(key)
        self._drain()
        statuses = [
            dynamodb.get_item(TableName=self.env["PLATEKEEPER_IMAGES_TABLE"],
                              Key={"image_key": {"S": key}}).get("Item", {})
            .get("status", {}).get("S", "missing")
            for key in keys
        ]
        if "missing" in statuses:
            raise StepFailed(f"{statuses.count('missing')} of {len(keys)} images never ingested")
        return f"{len(keys)} images S3 -> SQS -> ingest handler; statuses {sorted(set(statuses))}"

    def dead_letter(self) -> str:
        sqs: Any = boto3.client("sqs")
        before = self._dlq_depth()
        sqs.send_message(QueueUrl=self.env["PLATEKEEPER_INGEST_QUEUE_URL"],
                         MessageBody=json.dumps({"not": "an S3 notification"}))
        self._drain()
        after = self._dlq_depth()
        if after != before + 1:
            raise StepFailed(f"dead-letter queue went from {before} to {after} messages")
        return "poison message retried 5 times, then moved to the dead-letter queue"

    # ------------------------------------------------------------------ helpers
    def _drain(self) -> None:
        self.stack.event_pump.drain(timeout=120)

    def _dlq_depth(self) -> int:
        sqs: Any = boto3.client("sqs")
        attributes = sqs.get_queue_attributes(
            QueueUrl=self.env["PLATEKEEPER_INGEST_DLQ_URL"],
            AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])

    def _frames(self) -> list[tuple[str, bytes, str]]:
        if self.images is not None:
            frames = []
            for path in sorted(self.images.iterdir()):
                if path.suffix.lower() in (".jpg", ".jpeg", ".png"):
                    kind = "image/png" if path.suffix.lower() == ".png" else "image/jpeg"
                    frames.append((path.name, path.read_bytes(), kind))
            if not frames:
                raise StepFailed(f"no .jpg or .png images in {self.images}")
            return frames
        return [("built-in", built_in_frame(), "image/jpeg")]


def built_in_frame(text: str = "7ABC123") -> bytes:
    """A synthetic camera frame: a white plate with dark characters on a grey road scene."""
    image = Image.new("RGB", (1280, 720), (92, 96, 100))
    draw = ImageDraw.Draw(image)
    draw.rectangle((480, 420, 800, 580), fill=(240, 240, 236), outline=(30, 30, 30), width=6)
    draw.text((540, 470), text, fill=(20, 30, 90), font_size=64)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def run_demo(images: Path | None = None) -> int:
    with RunningStack(pump_in_background=False) as stack:
        demo = Demo(stack, images)
        demo.step("stack", demo.show_stack)
        demo.step("health", demo.health)
        demo.step("pump", demo.pump)
        demo.step("dead-letter", demo.dead_letter)
    failed = [name for name, ok, _ in demo.results if not ok]
    print(f"demo: {len(demo.results) - len(failed)} steps ok, {len(failed)} failed"
          + (f": {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0
