"""`make demo`: a scripted tour of every capability, one line per step, exit 1 on any failure."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import requests

from chalicelib.camera import CAPTURED_AT_NOW, CameraClient, image_files, upload_folder
from chalicelib.recognizer import recognize_plates
from local_stack import (
    demo_audit,
    demo_day_to_day,
    demo_guardrails,
    demo_onboarding,
    demo_plate_index,
    demo_sharing,
)
from local_stack import demo_camera_integrity as camera_integrity
from local_stack.api_client import ApiClient
from local_stack.seed import DemoUser, seed_users
from local_stack.stack import ROOT, RunningStack
from local_stack.synthetic import blank_jpeg, frame_jpeg

DEMO_PLATES = ("7ABC123", "8XYZ456", "6TRJ244")
HOTLISTED_PLATE = "5HOT777"
CASE = "2026-000123"


class StepFailed(AssertionError):
    """A demo step did not do what it should."""


@dataclass
class Demo:
    stack: RunningStack
    images: Path | None = None
    results: list[tuple[str, bool, str]] = field(default_factory=list)
    users: dict[str, DemoUser] = field(default_factory=dict)
    clients: dict[str, ApiClient] = field(default_factory=dict)
    camera: dict[str, Any] = field(default_factory=dict)
    uploaded_keys: list[str] = field(default_factory=list)
    plates_read: list[str] = field(default_factory=list)
    held_read: str = ""
    hotlisted: str = HOTLISTED_PLATE

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
        print(f"demo: {name}: {'ok' if ok else 'FAILED'} {details} ({elapsed:.1f} s)", flush=True)
        self.results.append((name, ok, details))

    # ------------------------------------------------------------------ foundation
    def show_stack(self) -> str:
        resources = len(self.stack.provisioned.resources)
        return f"{resources} resources provisioned from infra/template.yaml"

    def health(self) -> str:
        response = requests.get(f"{self.stack.api_url}/health", timeout=10)
        if response.status_code != 200:
            raise StepFailed(f"/health answered {response.status_code}")
        return f"GET {self.stack.api_url}/health -> {response.json()}"

    # ------------------------------------------------------------------ access
    def login(self) -> str:
        self.users = {user.username: user for user in seed_users(
            self.env["PLATEKEEPER_USER_POOL_ID"], self.env["PLATEKEEPER_USER_POOL_CLIENT_ID"],
            self.stack.clock().date())}
        for name in ("admin.demo", "officer.demo", "auditor.demo", "expired.demo"):
            user = self.users[name]
            self.clients[name] = ApiClient(self.stack.api_url).login(user.username,
                                                                      user.password)
        return ("admin, officer, auditor and expired users signed in via Cognito, each with "
                "password and a one-time code from their enrolled authenticator")

    # ------------------------------------------------------------------ capture and ingest
    def register_camera(self) -> str:
        response = self.clients["admin.demo"].post("/admin/cameras", {
            "camera_id": "demo-pole-1", "name": "Demo pole, Main St eastbound",
            "kind": "fixed", "lat": 37.3541, "lon": -121.9552, "heading": 90})
        if response.status_code != 201:
            raise StepFailed(f"camera registration answered {response.status_code}")
        self.camera = response.json()
        return f"camera {self.camera['camera_id']} registered, credential shown once"

    def hotlist(self) -> str:
        # The entry is the plate as the engine reads this frame, so that the alert step shows
        # the pipeline even where the current model misreads the synthetic plate.
        plates = recognize_plates(frame_jpeg(HOTLISTED_PLATE))
        self.hotlisted = plates[0].text if plates else HOTLISTED_PLATE
        response = self.clients["admin.demo"].post("/hotlist/entries", {
            "plate": self.hotlisted, "state": "CA", "category": "stolen_vehicle",
            "case_number": "2026-004242", "reason": "reported stolen",
            "requested_by": "officer.demo"})
        if response.status_code != 201:
            raise StepFailed(f"hotlist entry answered {response.status_code}: {response.text}")
        return (f"custom entry {self.hotlisted} (the engine's reading of the {HOTLISTED_PLATE} "
                "frame; stolen vehicle) approved by admin.demo")

    def upload(self) -> str:
        with tempfile.TemporaryDirectory() as folder:
            files = self._frames(Path(folder))
            client = CameraClient(requests.Session(), self.stack.api_url,
                                  self.camera["credential"])
            summary = upload_folder(client, files, CAPTURED_AT_NOW, show_progress=False)
        if summary.failed:
            raise StepFailed(f"{summary.failed} uploads failed: {summary.failures}")
        return (f"camera client uploaded {summary.uploaded} frames ({summary.bytes} bytes) "
                "through presigned POSTs")

    def ingest(self) -> str:
        counts = self.stack.event_pump.drain(timeout=300)
        dynamodb: Any = boto3.client("dynamodb")
        items = dynamodb.scan(TableName=self.env["PLATEKEEPER_IMAGES_TABLE"])["Items"]
        processed = [item for item in items if item["status"]["S"] == "processed"]
        reads = sum(int(item.get("plates_found", {}).get("N", "0")) for item in processed)
        self.plates_read = [item["plate"]["S"] for item in dynamodb.scan(
            TableName=self.env["PLATEKEEPER_READS_TABLE"])["Items"]]
        if not processed or reads == 0:
            raise StepFailed(f"{len(processed)} images processed, {reads} reads written")
        return (f"{counts.messages} notifications -> {len(processed)} images processed, "
                f"{reads} reads written: {', '.join(sorted(self.plates_read))}")

    def alert(self) -> str:
        alerts = self.clients["officer.demo"].get("/alerts").json().get("alerts", [])
        hits = [alert for alert in alerts if alert["plate"] == self.hotlisted]
        if not hits:
            raise StepFailed(f"no alert for {self.hotlisted} among {len(alerts)} open alerts")
        return f"alert {hits[0]['alert_id'][:8]} for {self.hotlisted}: {hits[0]['instruction']}"

    # ------------------------------------------------------------------ search and the record
    def search(self) -> str:
        officer = self.clients["officer.demo"]
        target = sorted(self.plates_read, key=len, reverse=True)[0]
        now = self.stack.clock()
        window = {"from": (now - timedelta(days=1)).isoformat(),
                  "to": (now + timedelta(minutes=5)).isoformat()}
        exact = officer.search(plate=target, purpose="stolen_vehicle", case_number=CASE)
        partial = officer.search(mode="partial", plate=target[:3] + "*", case_number=CASE,
                                 purpose="crime_scene_canvass", **window)
        confused = target.replace("0", "O").replace("1", "I").replace("5", "S").replace("8", "B")
        fuzzy = officer.search(mode="fuzzy", plate=confused, case_number=CASE,
                               purpose="stolen_vehicle", **window)
        counts = [len(response.json().get("results", [])) for response in (exact, partial, fuzzy)]
        if min(counts) == 0:
            raise StepFailed(f"exact/partial/fuzzy found {counts}")
        return (f"exact {target}: {counts[0]}, partial {target[:3]}*: {counts[1]}, "
                f"fuzzy {confused}: {counts[2]} (each with purpose and case number, recorded)")

    def refused(self) -> str:
        response = self.clients["expired.demo"].search(plate=DEMO_PLATES[0])
        body = response.json()
        if response.status_code != 403 or body.get("error") != "CERTIFICATION_EXPIRED":
            raise StepFailed(f"expected 403 CERTIFICATION_EXPIRED, got {response.status_code}")
        records = self.clients["auditor.demo"].get(
            "/audit", {"username": "expired.demo"}).json()["records"]
        if not any(row["refusal_code"] == "CERTIFICATION_EXPIRED" for row in records):
            raise StepFailed("the refusal is not in the access record")
        return f"expired.demo refused ({body['message']}); refusal found in the audit record"

    # ------------------------------------------------------------------ retention
    def hold(self) -> str:
        read_id = self._read_id_of(self.plates_read[0])
        review = (self.stack.clock() + timedelta(days=180)).date().isoformat()
        response = self.clients["admin.demo"].post("/holds", {
            "read_ids": [read_id], "case_number": "2026-007001", "reason": "evidence",
            "requested_by": "officer.demo", "review_date": review})
        if response.status_code != 201:
            raise StepFailed(f"hold answered {response.status_code}: {response.text}")
        self.held_read = read_id
        body = response.json()
        return (f"hold {body['hold_id'][:8]} on 1 read ({self.plates_read[0]}): TTL removed, "
                f"{body['objects_changed']} image/crop under S3 legal hold")

    def export(self) -> str:
        plate = self.plates_read[-1]
        response = self.clients["admin.demo"].post("/exports", {
            "read_ids": [self._read_id_of(plate)], "case_number": "2026-007002",
            "purpose": "criminal_investigation", "approved_by": "commander.demo"})
        if response.status_code != 201:
            raise StepFailed(f"export answered {response.status_code}: {response.text}")
        body = response.json()
        verified = verify_package_at(body["url"])
        return (f"package {body['key']} ({body['files']} files, sha256 {body['sha256'][:12]}...) "
                f"stored under legal hold; verify: {verified}")

    # ------------------------------------------------------------------ audit and the public
    def monthly_audit(self) -> str:
        """An auditor builds this month's report on demand (the schedule does the previous month
        on the 1st), reads it back and opens its HTML through the five-minute link."""
        auditor = self.clients["auditor.demo"]
        month = self.stack.clock().strftime("%Y-%m")
        built = auditor.post("/reports/monthly", {"month": month})
        if built.status_code != 201:
            raise StepFailed(f"building the report answered {built.status_code}: {built.text}")
        fetched = auditor.get(f"/reports/monthly/{month}")
        if fetched.status_code != 200:
            raise StepFailed(f"reading the report answered {fetched.status_code}")
        body = fetched.json()
        page = requests.get(body["html_url"], timeout=30)
        if page.status_code != 200 or "<svg" not in page.text:
            raise StepFailed(f"the report's HTML link answered {page.status_code}")
        saved = ROOT / "build" / "demo" / f"monthly-audit-{month}.html"
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_text(page.text, encoding="utf-8")
        report = body["report"]
        named = ", ".join(f"{finding['kind']} {finding['subject']}"
                          for finding in report["findings"]) or "none"
        return (f"report {month} written to s3://{self.env['PLATEKEEPER_REPORTS_BUCKET']}/"
                f"{built.json()['html_key']}: {report['summary']['data_accesses']} data "
                f"accesses, {report['summary']['refused_attempts']} refused, findings: {named}; "
                f"chain intact: {report['audit_chain']['intact']}; link (5 min): "
                f"{body['html_url']}; copy saved to {saved.relative_to(ROOT)}")

    def transparency(self) -> str:
        """The public page, unauthenticated: live figures and the posted policy, no plates."""
        figures = requests.get(f"{self.stack.api_url}/transparency.json", timeout=30)
        page = requests.get(f"{self.stack.api_url}/transparency", timeout=30)
        if figures.status_code != 200 or page.status_code != 200:
            raise StepFailed(f"/transparency answered {page.status_code}/{figures.status_code}")
        body = figures.json()
        leaked = [plate for plate in self.plates_read if plate in page.text + figures.text]
        if leaked:
            raise StepFailed(f"the public page shows plates: {leaked}")
        audit = body["last_monthly_audit"]
        return (f"GET {self.stack.api_url}/transparency: {body['cameras']} camera(s), "
                f"{body['reads_last_30_days']} reads, {body['hotlist_hits_last_30_days']} "
                f"hotlist hits, {body['searches_last_30_days']} searches in 30 days ("
                f"{body['extended_searches_last_30_days']} over "
                f"{body['extended_search_days']} days of history, on authority), retention "
                f"{body['retention_days']} days, last audit {audit['month'] if audit else 'none'}"
                ", no plates shown")

    def purge(self) -> str:
        reads_before = self._count("PLATEKEEPER_READS_TABLE")
        self.stack.clock.advance(366 * 86400)
        self.stack.event_pump.drain(timeout=300)
        reads_after = self._count("PLATEKEEPER_READS_TABLE")
        held_left = self._count("PLATEKEEPER_READS_TABLE", only_held=True)
        s3: Any = boto3.client("s3")
        images_left = s3.list_object_versions(Bucket=self.env["PLATEKEEPER_RAW_BUCKET"],
                                              Prefix="cameras/").get("Versions", [])
        if held_left < 2 or reads_after != held_left:
            raise StepFailed(f"after a year: {reads_after} reads left, {held_left} held")
        return (f"clock +366 days through the TTL sweeper: {reads_before} reads -> "
                f"{reads_after} (only held ones), {len(images_left)} image versions kept")

    def audit_verify(self) -> str:
        result = subprocess.run([sys.executable, "-m", "chalicelib.audit", "verify"],
                                capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise StepFailed(result.stdout + result.stderr)
        return "; ".join(line.removeprefix("audit verify: ") for line in result.stdout.splitlines())

    def dead_letter(self) -> str:
        sqs: Any = boto3.client("sqs")
        before = self._dlq_depth()
        sqs.send_message(QueueUrl=self.env["PLATEKEEPER_INGEST_QUEUE_URL"],
                         MessageBody=json.dumps({"not": "an S3 notification"}))
        self.stack.event_pump.drain(timeout=120)
        after = self._dlq_depth()
        if after != before + 1:
            raise StepFailed(f"dead-letter queue went from {before} to {after} messages")
        return "poison message moved to the dead-letter queue at once, with its reason"

    # ------------------------------------------------------------------ helpers
    def _read_id_of(self, plate: str) -> str:
        results = self.clients["officer.demo"].search(plate=plate).json().get("results", [])
        if not results:
            raise StepFailed(f"no read of {plate} found")
        return str(results[0]["read_id"])

    def _count(self, table: str, only_held: bool = False) -> int:
        dynamodb: Any = boto3.client("dynamodb")
        request: dict[str, Any] = {"TableName": self.env[table], "Select": "COUNT"}
        if only_held:
            request["FilterExpression"] = "attribute_exists(holds)"
        return sum(page["Count"] for page in dynamodb.get_paginator("scan").paginate(**request))

    def _dlq_depth(self) -> int:
        sqs: Any = boto3.client("sqs")
        attributes = sqs.get_queue_attributes(
            QueueUrl=self.env["PLATEKEEPER_INGEST_DLQ_URL"],
            AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])

    def _frames(self, folder: Path) -> list[Path]:
        """The user's images (IMAGES=dir), or built-in synthetic ones, plus the hotlisted car."""
        frames = image_files(self.images) if self.images is not None else []
        if self.images is None:
            for plate in DEMO_PLATES:
                path = folder / f"{plate}.jpg"
                path.write_bytes(frame_jpeg(plate))
                frames.append(path)
            (folder / "empty-road.jpg").write_bytes(blank_jpeg())
            frames.append(folder / "empty-road.jpg")
        hotlisted = folder / "hotlisted.jpg"
        hotlisted.write_bytes(frame_jpeg(HOTLISTED_PLATE))
        return [*frames, hotlisted]


def verify_package_at(url: str) -> str:
    """Download a package through its link and check it with the evidence CLI, as a recipient
    would; returns the CLI's verdict."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "package.zip"
        path.write_bytes(requests.get(url, timeout=60).content)
        check = subprocess.run([sys.executable, "-m", "chalicelib.evidence", "verify",  # noqa: S603
                                str(path)], capture_output=True, text=True, timeout=120,
                               check=False)
    if check.returncode != 0:
        raise StepFailed(check.stdout + check.stderr)
    return check.stdout.strip()


def run_demo(images: Path | None = None) -> int:
    with RunningStack(pump_in_background=False) as stack:
        demo = Demo(stack, images)
        for name, action in (
            ("stack", demo.show_stack), ("health", demo.health), ("login", demo.login),
            ("camera", demo.register_camera), ("hotlist", demo.hotlist),
            ("upload", demo.upload), ("ingest", demo.ingest), ("alert", demo.alert),
            ("search", demo.search),
            ("search-year", lambda: demo_plate_index.search_year(demo)),
            ("refused", demo.refused),
            ("search-extended", lambda: demo_guardrails.search_extended(demo)),
            ("signin-failures-recorded", lambda: demo_guardrails.signin_failures_recorded(demo)),
            ("audit-checkpoint", lambda: demo_audit.audit_checkpoint(demo)),
            ("dead-letter", demo.dead_letter), ("hold", demo.hold), ("export", demo.export),
            ("agency-directory", lambda: demo_sharing.agency_directory(demo)),
            ("release-two-person", lambda: demo_sharing.release_two_person(demo)),
            ("release-ice-refused", lambda: demo_sharing.release_ice_refused(demo)),
            ("admin-lockout-refused", lambda: demo_sharing.admin_lockout_refused(demo)),
            ("onboarding", lambda: demo_onboarding.onboarding(demo)),
            ("upload-foreign-key-rejected", lambda: camera_integrity.foreign_key_rejected(demo)),
            ("upload-duplicate", lambda: camera_integrity.duplicate_upload(demo)),
            ("evidence-swap-detected", lambda: camera_integrity.evidence_swap_detected(demo)),
            ("camera-offline", lambda: demo_day_to_day.camera_offline(demo)),
            ("alert-live", lambda: demo_day_to_day.alert_live(demo)),
            ("monthly-audit", demo.monthly_audit), ("transparency", demo.transparency),
            ("purge", demo.purge),
            ("index-purged", lambda: demo_plate_index.index_purged(demo)),
            ("audit-verify", demo.audit_verify),
            ("audit-tamper-detected", lambda: demo_audit.audit_tamper_detected(demo)),
        ):
            demo.step(name, action)
    failed = [name for name, ok, _ in demo.results if not ok]
    print(f"demo: {len(demo.results) - len(failed)} steps ok, {len(failed)} failed"
          + (f": {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0
