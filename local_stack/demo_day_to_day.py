"""Demo steps of running the program day to day (issue 22): a silent camera reported offline
to the administrators once and again when it is back, and a hit reaching an officer's live feed
without a reload, at high priority, with the CLETS rule on a confirmed disposition."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import boto3
import requests

from chalicelib.camera import CameraClient
from chalicelib.recognizer import recognize_plates
from local_stack.synthetic import frame_jpeg

if TYPE_CHECKING:
    from local_stack.demo import Demo

OFFLINE_CAMERA = "demo-offline-1"
LIVE_CASE = "2026-022001"
LIVE_CANDIDATES = ("6LIV221", "7LIV332", "8LIV443", "4LIV554", "3LIV665")


def _notices_queue(demo: Demo) -> str:
    """An SQS queue subscribed to the administrators' notices topic: what they would receive."""
    sqs: Any = boto3.client("sqs")
    url = str(sqs.create_queue(QueueName=f"demo-notices-{uuid.uuid4().hex[:8]}")["QueueUrl"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    boto3.client("sns").subscribe(TopicArn=demo.env["PLATEKEEPER_NOTICES_TOPIC_ARN"],
                                  Protocol="sqs", Endpoint=arn,
                                  Attributes={"RawMessageDelivery": "true"})
    return url


def _camera_notices(url: str, camera_id: str) -> list[dict[str, Any]]:
    sqs: Any = boto3.client("sqs")
    found: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                       WaitTimeSeconds=1).get("Messages", [])
        if not messages:
            return found
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            try:
                body = json.loads(message["Body"])
            except ValueError:
                continue
            if isinstance(body, dict) and body.get("camera_id") == camera_id:
                found.append(body)


def _upload(demo: Demo, credential: str, frame: bytes) -> None:
    client = CameraClient(requests.Session(), demo.stack.api_url, credential)
    ticket = client.request_upload("image/jpeg", len(frame),
                                   demo.stack.clock().isoformat(timespec="milliseconds"))
    client.send(ticket, "frame.jpg", frame, "image/jpeg")
    demo.stack.event_pump.drain()


def camera_offline(demo: Demo) -> str:
    """A fixed camera sends a frame, then nothing for 20 minutes (its interval is 15): the
    minute check marks it offline and notifies once (a second check sends nothing), the vendor's
    status page shows it offline, and its next frame brings it back with one more notice."""
    from local_stack.demo import StepFailed

    admin = demo.clients["admin.demo"]
    registered = admin.post("/admin/cameras", {
        "camera_id": OFFLINE_CAMERA, "name": "Demo pole, Oak Ave northbound", "kind": "fixed",
        "lat": 37.3512, "lon": -121.9601, "heading": 0})
    if registered.status_code != 201:
        raise StepFailed(f"registration answered {registered.status_code}: {registered.text}")
    queue = _notices_queue(demo)
    _upload(demo, registered.json()["credential"], frame_jpeg("4OAK120"))

    def check() -> dict[str, Any]:
        [run] = demo.stack.event_pump.fire_schedule("camera_health")
        return dict(run)

    first = check()
    if OFFLINE_CAMERA in first["went_offline"]:
        raise StepFailed("a camera that just sent a frame was reported offline")
    demo.stack.clock.advance(timedelta(minutes=20).total_seconds())
    went = check()
    again = check()
    if OFFLINE_CAMERA not in went["went_offline"] or OFFLINE_CAMERA in again["went_offline"]:
        raise StepFailed(f"offline runs: {went} then {again}")
    vendor = demo.users["vendor.demo"]
    status = _client(demo, vendor.username, vendor.password).get("/system/status")
    state = next((camera["state"] for camera in status.json().get("camera_health", [])
                  if camera["camera_id"] == OFFLINE_CAMERA), None)
    if status.status_code != 200 or state != "offline":
        raise StepFailed(f"the vendor's status page says {status.status_code} {state}")
    _upload(demo, registered.json()["credential"], frame_jpeg("4OAK121"))
    back = check()
    if OFFLINE_CAMERA not in back["came_back"]:
        raise StepFailed(f"the camera's next frame did not bring it back: {back}")
    notices = _camera_notices(queue, OFFLINE_CAMERA)
    kinds = [("outage_ended_at" in notice, notice.get("outage_minutes")) for notice in notices]
    if [ended for ended, _ in kinds] != [False, True]:
        raise StepFailed(f"expected one offline and one back notice, got {notices}")
    return (f"{OFFLINE_CAMERA} silent 20 min (interval 15): one offline notice to the "
            f"administrators (a second check sent none), 'offline' on vendor.demo's status page, "
            f"back on its next frame (outage {kinds[1][1]} min) with one more notice")


def _client(demo: Demo, username: str, password: str) -> Any:
    from local_stack.api_client import ApiClient

    if username not in demo.clients:
        demo.clients[username] = ApiClient(demo.stack.api_url).login(username, password)
    return demo.clients[username]


def _readable_frame(taken: set[str]) -> tuple[str, bytes]:
    """A synthetic frame and the engine's reading of it (what gets hotlisted)."""
    for plate in LIVE_CANDIDATES:
        frame = frame_jpeg(plate)
        plates = recognize_plates(frame)
        if plates and plates[0].text not in taken:
            return plates[0].text, frame
    raise AssertionError("the engine read none of the demo plates")


def alert_live(demo: Demo) -> str:
    """An officer's console follows GET /alerts/live; a camera uploads a plate on a high-priority
    list; the alert arrives in the waiting poll (no reload) with its frame, crop and box; a
    "confirmed" disposition without the CLETS tick is refused, with it recorded."""
    from local_stack.demo import StepFailed

    admin, officer = demo.clients["admin.demo"], demo.clients["officer.demo"]
    plate, frame = _readable_frame({demo.hotlisted})
    added = admin.post("/hotlist/entries", {
        "plate": plate, "state": "CA", "category": "felony_vehicle", "case_number": LIVE_CASE,
        "reason": "armed robbery suspect vehicle", "requested_by": "officer.demo",
        "expires": (demo.stack.clock() + timedelta(days=2)).isoformat()})
    if added.status_code != 201:
        raise StepFailed(f"hotlist entry answered {added.status_code}: {added.text}")
    level = admin.put("/hotlist/lists/custom/priority", {"priority": "high"})
    if level.status_code != 200:
        raise StepFailed(f"priority answered {level.status_code}: {level.text}")
    token = officer.get("/alerts/live").json()["after"]
    arrived: dict[str, Any] = {}

    def follow() -> None:
        answer = officer.get("/alerts/live", {"after": token, "wait": 20})
        arrived["at"] = time.perf_counter()
        arrived["body"] = answer.json() if answer.status_code == 200 else {"error": answer.text}

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    time.sleep(0.5)  # the poll is waiting before the camera uploads
    started = time.perf_counter()
    _upload(demo, demo.camera["credential"], frame)
    follower.join(timeout=30)
    hits = [alert for alert in arrived.get("body", {}).get("alerts", []) if alert["plate"] == plate]
    if not hits:
        raise StepFailed(f"the waiting poll got no alert for {plate}: {arrived.get('body')}")
    alert = hits[0]
    if alert["level"] != "high" or not (alert.get("images") or {}).get("frame_url"):
        raise StepFailed(f"alert without high level or images: {alert}")
    seconds = arrived["at"] - started
    path = f"/alerts/{alert['alert_id']}/disposition"
    refused = officer.post(path, {"disposition": "confirmed", "note": "stopped"})
    if (refused.status_code, refused.json().get("error")) != (400, "CLETS_VERIFICATION_REQUIRED"):
        raise StepFailed(f"confirmed without CLETS answered {refused.status_code} {refused.text}")
    done = officer.post(path, {"disposition": "confirmed", "note": "stopped",
                               "clets_verified": True})
    if done.status_code != 200:
        raise StepFailed(f"confirmed with CLETS answered {done.status_code} {done.text}")
    restored = admin.put("/hotlist/lists/custom/priority", {"priority": "normal"})
    if restored.status_code != 200:
        raise StepFailed(f"priority answered {restored.status_code}")
    return (f"{plate} on the high-priority list reached officer.demo's waiting live poll "
            f"{seconds:.1f} s after the upload began (frame, crop and box included); "
            "'confirmed' without the CLETS tick refused (400 CLETS_VERIFICATION_REQUIRED), "
            "with it recorded")
