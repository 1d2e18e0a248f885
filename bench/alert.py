"""make bench-alert: how long from a camera's upload to the alert on an officer's console.

Eight cameras (threads with the camera client, chalicelib.camera.CameraClient) upload frames of
hotlisted plates through the real path (POST /uploads -> presigned POST -> S3 -> SQS -> the
event pump's long-polling pollers -> ingest: validate, recognize, match, alert) while a signed-in
officer's console client follows GET /alerts/live (the long poll the console uses). For each
frame: the time from the start of its upload (the ticket request) to the moment the officer's
client has the alert. Prints p50/p95 (and the same from the end of the upload), frames whose
alert never came, the machine's load average, and a last line
`bench-alert: frames=... p50_ms=... p95_ms=...`. Target: p95 <= 2 s on the local stack.
"""

from __future__ import annotations

import argparse
import os
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

import requests

from bench.common import percentile
from bench.load import plate_text, render
from chalicelib.camera import CameraClient, UploadFailed
from chalicelib.recognizer import recognize_plates
from local_stack.api_client import ApiClient
from local_stack.seed import seed_users
from local_stack.stack import RunningStack

TARGET_P95_MS = 2000
SETTLE_SECONDS = 30


@dataclass
class Timings:
    started: dict[str, float] = field(default_factory=dict)  # plate -> upload began
    uploaded: dict[str, float] = field(default_factory=dict)  # plate -> upload finished
    seen: dict[str, float] = field(default_factory=dict)  # plate -> alert in the console
    failures: list[str] = field(default_factory=list)
    polls: int = 0


def hotlisted_frames(count: int, rng: random.Random) -> list[tuple[str, bytes]]:
    """Frames whose plate the engine reads (the reading is what gets hotlisted), one per plate."""
    frames: list[tuple[str, bytes]] = []
    readings: set[str] = set()
    while len(frames) < count:
        frame = render(plate_text(rng))
        plates = recognize_plates(frame)
        if plates and plates[0].text not in readings:
            readings.add(plates[0].text)
            frames.append((plates[0].text, frame))
    return frames


def camera(stack: RunningStack, credential: str, frames: list[tuple[str, bytes]],
           interval: float, timings: Timings) -> None:
    client = CameraClient(requests.Session(), stack.api_url, credential)
    for plate, frame in frames:
        began = time.perf_counter()
        timings.started[plate] = began
        try:
            ticket = client.request_upload("image/jpeg", len(frame),
                                           stack.clock().isoformat(timespec="milliseconds"))
            client.send(ticket, "frame.jpg", frame, "image/jpeg")
        except UploadFailed as error:
            timings.failures.append(str(error))
            continue
        timings.uploaded[plate] = time.perf_counter()
        time.sleep(max(0.0, interval - (time.perf_counter() - began)))


def console(officer: ApiClient, stop: threading.Event, timings: Timings) -> None:
    """What the console does: follow the live feed, note when each alert arrives."""
    token = officer.get("/alerts/live").json()["after"]
    while not stop.is_set():
        answer = officer.get("/alerts/live", {"after": token, "wait": 20})
        timings.polls += 1
        if answer.status_code != 200:
            timings.failures.append(f"live feed answered {answer.status_code}")
            time.sleep(0.5)
            continue
        body = answer.json()
        now = time.perf_counter()
        for alert in body["alerts"]:
            timings.seen.setdefault(alert["plate"], now)
        token = body["after"]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.alert")
    parser.add_argument("--cameras", type=int, default=8)
    parser.add_argument("--frames", type=int, default=8, help="frames per camera")
    parser.add_argument("--interval", type=float, default=10.0,
                        help="seconds between one camera's uploads")
    args = parser.parse_args()
    rng = random.Random(22)
    print(f"bench-alert: rendering {args.cameras * args.frames} frames of hotlisted plates")
    frames = hotlisted_frames(args.cameras * args.frames, rng)
    with RunningStack(pump_in_background=True) as stack:
        env = stack.environment
        users = {user.username: user for user in seed_users(
            env["PLATEKEEPER_USER_POOL_ID"], env["PLATEKEEPER_USER_POOL_CLIENT_ID"],
            stack.clock().date())}
        admin = ApiClient(stack.api_url).login("admin.demo", users["admin.demo"].password)
        officer = ApiClient(stack.api_url).login("officer.demo", users["officer.demo"].password)
        credentials = []
        for index in range(args.cameras):
            registered = admin.post("/admin/cameras", {
                "camera_id": f"bench-cam-{index + 1}", "name": f"Bench camera {index + 1}",
                "kind": "fixed", "lat": 37.33 + index / 1000, "lon": -121.89, "heading": 90})
            credentials.append(registered.json()["credential"])
        expires = (stack.clock() + timedelta(days=2)).isoformat()
        for plate, _ in frames:
            added = admin.post("/hotlist/entries", {
                "plate": plate, "category": "stolen_vehicle", "case_number": "2026-022022",
                "reason": "bench-alert stolen vehicle", "requested_by": "officer.demo",
                "expires": expires})
            if added.status_code != 201:
                raise SystemExit(f"hotlist entry refused: {added.text}")
        timings = Timings()
        stop = threading.Event()
        follower = threading.Thread(target=console, args=(officer, stop, timings), daemon=True)
        follower.start()
        time.sleep(1.0)  # the console is following before the first upload
        per_camera = [frames[index::args.cameras] for index in range(args.cameras)]
        cameras = [threading.Thread(target=camera, args=(stack, credential, share, args.interval,
                                                         timings), daemon=True)
                   for credential, share in zip(credentials, per_camera, strict=True)]
        load_before = os.getloadavg()
        for thread in cameras:
            thread.start()
            time.sleep(args.interval / args.cameras)  # cameras do not fire in lockstep
        for thread in cameras:
            thread.join()
        deadline = time.monotonic() + SETTLE_SECONDS
        while len(timings.seen) < len(timings.uploaded) and time.monotonic() < deadline:
            time.sleep(0.2)
        load_after = os.getloadavg()
        stop.set()
        follower.join(timeout=25)  # its last poll ends before the stack stops
    return report(timings, load_before, load_after)


def report(timings: Timings, load_before: tuple[float, float, float],
           load_after: tuple[float, float, float]) -> int:
    from_start = [(timings.seen[plate] - began) * 1000
                  for plate, began in timings.started.items() if plate in timings.seen]
    from_upload = [(timings.seen[plate] - done) * 1000
                   for plate, done in timings.uploaded.items() if plate in timings.seen]
    missing = sorted(set(timings.uploaded) - set(timings.seen))
    span = (max(timings.uploaded.values(), default=0.0)
            - min(timings.started.values(), default=0.0))
    offered = len(timings.uploaded) / span if span > 0 else 0.0
    p50, p95 = percentile(from_start, 0.5), percentile(from_start, 0.95)
    print(f"bench-alert: offered load {offered:.2f} frames/s from the cameras")
    print(f"bench-alert: {len(timings.uploaded)} frames uploaded, {len(from_start)} alerts seen "
          f"in the console, {len(missing)} missing, {len(timings.failures)} failures, "
          f"{timings.polls} live-feed polls")
    print(f"bench-alert: upload start -> alert in console: p50 {p50:.0f} ms, p95 {p95:.0f} ms, "
          f"max {max(from_start, default=float('nan')):.0f} ms")
    print(f"bench-alert: upload done -> alert in console: p50 "
          f"{percentile(from_upload, 0.5):.0f} ms, p95 {percentile(from_upload, 0.95):.0f} ms")
    print(f"bench-alert: load average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
          f"(1 min), {os.cpu_count()} cores; target p95 <= {TARGET_P95_MS} ms: "
          f"{'met' if p95 <= TARGET_P95_MS else 'NOT met'}")
    for failure in timings.failures[:5]:
        print(f"bench-alert: failure: {failure}")
    print(f"bench-alert: frames={len(from_start)} p50_ms={p50:.0f} p95_ms={p95:.0f}")
    return 0 if not missing else 1


if __name__ == "__main__":
    raise SystemExit(main())
