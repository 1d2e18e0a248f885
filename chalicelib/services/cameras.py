"""Cameras: registration and credentials (administrators), and upload tickets (cameras)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from chalicelib.adapters.errors import AlreadyExists, ObjectNotFound
from chalicelib.domain.access import Caller
from chalicelib.domain.audit import AuditEntry, AuditRecord
from chalicelib.domain.cameras import (
    Camera,
    InvalidCamera,
    InvalidCredential,
    new_camera,
    parse_credential,
    revoke,
    rotate_credential,
    set_active,
    verify_credential,
)
from chalicelib.domain.errors import Refused
from chalicelib.domain.images import JPEG, PNG
from chalicelib.domain.times import TimeInvalid, parse_zoned_time
from chalicelib.domain.uploads import UploadTicket
from chalicelib.services.auditing import entry_for

# How far back a camera may date a frame (a patrol car offline for a shift) and ahead (drift).
MAX_UPLOAD_DELAY = timedelta(days=7)
MAX_CLOCK_SKEW = timedelta(minutes=5)
_EXTENSIONS = {JPEG: "jpg", PNG: "png"}
CAMERA_AUTH_ACTION = "camera_sign_in"
CAMERA_UNAUTHORIZED = "CAMERA_UNAUTHORIZED"


class CameraRefused(Refused):
    """A camera registration, upload ticket or camera credential that is refused."""


class CameraStore(Protocol):
    def put(self, camera: Camera) -> None: ...

    def get(self, camera_id: str) -> Camera | None: ...

    def update(self, camera: Camera, expected_credential_id: str) -> None: ...

    def list_all(self) -> list[Camera]: ...


class UploadSigner(Protocol):
    def presigned_post(self, key: str, content_type: str, content_length: int,
                       metadata: dict[str, str], seconds: int,
                       session_name: str = ...) -> dict[str, Any]: ...


class TicketStore(Protocol):
    """Issued upload tickets (adapters/uploads_tables.UploadTicketsTable)."""

    def put(self, ticket: UploadTicket) -> None: ...


class AuditWriter(Protocol):
    def append(self, entry: AuditEntry) -> AuditRecord: ...


@dataclass(frozen=True)
class CameraDependencies:
    cameras: CameraStore
    signer: UploadSigner
    tickets: TicketStore
    audit: AuditWriter
    clock: Callable[[], datetime]
    max_upload_bytes: int
    upload_url_seconds: int


@dataclass(frozen=True)
class CameraDirectory:
    """The ingest path's view of the registry: may this camera upload, and where is it?"""

    cameras: CameraStore

    def active_position(self, camera_id: str) -> tuple[bool, tuple[float, float, float] | None]:
        camera = self.cameras.get(camera_id)
        if camera is None:
            return False, None
        if camera.lat is None or camera.lon is None or camera.heading is None:
            return camera.can_upload, None
        return camera.can_upload, (camera.lat, camera.lon, camera.heading)


# ---------------------------------------------------------------------- uploads
def authenticate_camera(credential: str | None, deps: CameraDependencies, source_ip: str = "",
                        request_id: str = "") -> Camera:
    """The camera a credential belongs to; unknown, revoked or inactive cameras get 401, and
    the refused attempt is recorded (with the camera id it claimed, if it names one)."""
    claimed = ""
    try:
        if not credential:
            raise InvalidCredential("no credential")
        claimed, _ = parse_credential(credential)
        camera = deps.cameras.get(claimed)
        if camera is None or not verify_credential(credential, camera):
            raise InvalidCredential("not this camera's current credential")
    except InvalidCredential:
        # Nobody is identified: the camera id is only what the credential claims.
        deps.audit.append(entry_for(
            None, CAMERA_AUTH_ACTION, deps.clock(), allowed=False,
            query={"claimed_camera_id": claimed,
                   "credential": "refused" if credential else "missing"},
            refusal_code=CAMERA_UNAUTHORIZED, source_ip=source_ip, request_id=request_id))
        raise CameraRefused(CAMERA_UNAUTHORIZED,
                            "unknown, revoked or inactive camera credential", 401) from None
    return camera


def upload_ticket(camera: Camera, body: Mapping[str, Any],
                  deps: CameraDependencies) -> dict[str, Any]:
    """A presigned POST for one frame: one exact key under the camera's prefix and capture day,
    the declared type, size, capture time and position. The ticket is recorded first, so the
    ingest can hold the stored object against it."""
    now = deps.clock()
    content_type = body.get("content_type")
    if not isinstance(content_type, str) or content_type not in _EXTENSIONS:
        raise CameraRefused("CONTENT_TYPE_INVALID", "content_type must be image/jpeg or image/png")
    size = body.get("content_length")
    if not isinstance(size, int) or isinstance(size, bool) or not 0 < size <= deps.max_upload_bytes:
        raise CameraRefused("CONTENT_LENGTH_INVALID",
                            f"content_length must be 1-{deps.max_upload_bytes} bytes")
    captured = _captured_at(body.get("captured_at"), now)
    metadata = {"captured-at": captured.isoformat(), **_position(camera, body)}
    ticket_id = uuid.uuid4().hex
    key = (f"cameras/{camera.camera_id}/{captured.date().isoformat()}/"
           f"{ticket_id}.{_EXTENSIONS[str(content_type)]}")
    ticket = UploadTicket(
        ticket_id=ticket_id, camera_id=camera.camera_id, object_key=key,
        content_type=str(content_type), content_length=size, metadata=metadata,
        issued_at=now, expires_at=now + timedelta(seconds=deps.upload_url_seconds))
    deps.tickets.put(ticket)
    post = deps.signer.presigned_post(key, str(content_type), size, metadata,
                                      deps.upload_url_seconds,
                                      session_name=f"{camera.camera_id}-{ticket_id[:8]}")
    return {"url": post["url"], "fields": post["fields"], "key": key, "ticket_id": ticket_id,
            "expires_in": deps.upload_url_seconds}


def _captured_at(value: Any, now: datetime) -> datetime:
    try:
        moment = parse_zoned_time(value, "captured_at")
    except TimeInvalid as error:
        raise CameraRefused("CAPTURED_AT_INVALID", str(error)) from None
    if moment is None:
        raise CameraRefused("CAPTURED_AT_INVALID",
                            "captured_at must be an ISO 8601 time with a time zone")
    if moment > now + MAX_CLOCK_SKEW or moment < now - MAX_UPLOAD_DELAY:
        raise CameraRefused("CAPTURED_AT_INVALID",
                            "captured_at must lie within the last 7 days and not in the future")
    return moment


def _position(camera: Camera, body: Mapping[str, Any]) -> dict[str, str]:
    """A mobile camera sends lat, lon, heading with each frame; a fixed one sends none."""
    values = {name: body.get(name) for name in ("lat", "lon", "heading")}
    if all(value is None for value in values.values()):
        if camera.kind == "mobile":
            raise CameraRefused("POSITION_REQUIRED", "a mobile camera must send lat, lon, heading")
        return {}
    try:
        lat, lon, heading = (float(str(values[name])) for name in ("lat", "lon", "heading"))
    except (TypeError, ValueError):
        raise CameraRefused("POSITION_INVALID", "lat, lon and heading must be numbers") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180 and 0 <= heading < 360):
        raise CameraRefused("POSITION_INVALID", "lat, lon or heading out of range")
    return {"lat": f"{lat:.6f}", "lon": f"{lon:.6f}", "heading": f"{heading:.1f}"}


# ---------------------------------------------------------------------- administration
def register(body: Mapping[str, Any], caller: Caller,
             deps: CameraDependencies) -> tuple[Camera, str]:
    def number(name: str) -> float | None:
        value = body.get(name)
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
            else None

    try:
        camera, credential = new_camera(
            camera_id=str(body.get("camera_id", "")), name=str(body.get("name", "")),
            agency=str(body.get("agency") or caller.account.agency or "unknown"),
            kind=str(body.get("kind", "fixed")), now=deps.clock(),
            lat=number("lat"), lon=number("lon"), heading=number("heading"))
        deps.cameras.put(camera)
    except InvalidCamera as error:
        raise CameraRefused("CAMERA_INVALID", str(error)) from error
    except AlreadyExists:
        raise CameraRefused("CAMERA_EXISTS", "a camera with this id exists", 409) from None
    _audit(caller, "register_camera", camera, deps)
    return camera, credential


def list_cameras(caller: Caller, deps: CameraDependencies) -> list[Camera]:
    """Every registered camera; the listing is recorded like any other access."""
    registered = deps.cameras.list_all()
    deps.audit.append(entry_for(caller, "list_cameras", deps.clock(), allowed=True,
                                result_count=len(registered)))
    return registered


def rotate(camera_id: str, caller: Caller, deps: CameraDependencies) -> tuple[Camera, str]:
    camera = _existing(camera_id, deps)
    rotated, credential = rotate_credential(camera, deps.clock())
    deps.cameras.update(rotated, camera.credential_id)
    _audit(caller, "rotate_camera_credential", rotated, deps)
    return rotated, credential


def revoke_credential(camera_id: str, caller: Caller, deps: CameraDependencies) -> Camera:
    camera = _existing(camera_id, deps)
    revoked = revoke(camera, deps.clock())
    deps.cameras.update(revoked, camera.credential_id)
    _audit(caller, "revoke_camera_credential", revoked, deps)
    return revoked


def switch(camera_id: str, active: bool, caller: Caller, deps: CameraDependencies) -> Camera:
    camera = _existing(camera_id, deps)
    changed = set_active(camera, active)
    deps.cameras.update(changed, camera.credential_id)
    _audit(caller, "activate_camera" if active else "deactivate_camera", changed, deps)
    return changed


def _existing(camera_id: str, deps: CameraDependencies) -> Camera:
    try:
        camera = deps.cameras.get(camera_id)
    except ObjectNotFound:
        camera = None
    if camera is None:
        raise CameraRefused("CAMERA_NOT_FOUND", "no camera has this id", 404)
    return camera


def _audit(caller: Caller, action: str, camera: Camera, deps: CameraDependencies) -> None:
    deps.audit.append(entry_for(caller, action, deps.clock(), allowed=True,
                                query={"camera_id": camera.camera_id,
                                       "credential_id": camera.credential_id},
                                result_count=1))


def camera_view(camera: Camera) -> dict[str, Any]:
    return {"camera_id": camera.camera_id, "name": camera.name, "agency": camera.agency,
            "kind": camera.kind, "lat": camera.lat, "lon": camera.lon, "heading": camera.heading,
            "active": camera.active, "credential_id": camera.credential_id,
            "revoked": camera.revoked_at is not None, "created_at": camera.created_at}
