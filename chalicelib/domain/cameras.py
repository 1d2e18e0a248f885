"""Cameras and their upload credentials (1798.90.51: reasonable technical security).

A camera proves who it is with `pkc_<camera_id>.<secret>`, shown once when issued and never
stored: the cameras table keeps only a salted scrypt hash. The secret is 256 random bits, so the
hash cannot be brute-forced whatever its cost; scrypt (n=2**11, r=8, p=1, 2 MiB, a few ms) is
defence in depth for a leaked table while keeping one verification cheap on every upload
request (cameras upload thousands of frames a day). Parameters are stored with each hash so
they can be raised later without re-issuing.
Comparisons are constant-time (hmac.compare_digest); revoked or inactive cameras never verify.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime

# The same camera id grammar as the image keys cameras upload under (domain/images.py).
CAMERA_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
CREDENTIAL_PREFIX = "pkc_"
SECRET_BYTES = 32
_SECRET = re.compile(r"^[A-Za-z0-9_-]{32,128}$")
MAX_CREDENTIAL_LENGTH = 256
SCRYPT_N = 2**11
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_DKLEN = 32
SALT_BYTES = 16
# Refuse stored parameters beyond this, so a tampered record cannot exhaust Lambda memory.
_MAX_SCRYPT_N = 2**17
_SCRYPT_MAXMEM = 256 * 1024 * 1024
HASH_SCHEME = "scrypt"
FIXED = "fixed"
MOBILE = "mobile"
CAMERA_KINDS = (FIXED, MOBILE)
MAX_NAME_LENGTH = 128
# How long a camera may stay silent before the health check marks it offline (minutes).
DEFAULT_FIXED_INTERVAL_MINUTES = 15
MIN_INTERVAL_MINUTES = 1
MAX_INTERVAL_MINUTES = 24 * 60


class InvalidCamera(ValueError):
    """Camera attributes the rules refuse; the message says which."""


class InvalidCredential(ValueError):
    """Text that is not a camera credential at all."""


@dataclass(frozen=True)
class Camera:
    """A registered camera: where it stands (fixed) or that it moves (mobile), and its credential.

    Fixed cameras have a position and heading; mobile ones (patrol cars) report theirs per upload.
    """

    camera_id: str
    name: str
    agency: str
    kind: str
    lat: float | None
    lon: float | None
    heading: float | None
    active: bool
    credential_hash: str
    credential_id: str
    created_at: str
    rotated_at: str | None = None
    revoked_at: str | None = None
    # None: not watched by the health check (mobile cameras by default: shifts are not modelled).
    expected_interval_minutes: int | None = None

    def __post_init__(self) -> None:
        validate_camera_id(self.camera_id)
        validate_interval(self.expected_interval_minutes)
        if not self.name.strip() or len(self.name) > MAX_NAME_LENGTH:
            raise InvalidCamera(f"name must be 1-{MAX_NAME_LENGTH} characters")
        if not self.agency.strip() or len(self.agency) > MAX_NAME_LENGTH:
            raise InvalidCamera(f"agency must be 1-{MAX_NAME_LENGTH} characters")
        validate_position(self.kind, self.lat, self.lon, self.heading)

    @property
    def can_upload(self) -> bool:
        return self.active and self.revoked_at is None


def validate_camera_id(camera_id: str) -> str:
    """The camera id if it fits the image key grammar; raise InvalidCamera otherwise."""
    if not CAMERA_ID.match(camera_id):
        raise InvalidCamera("camera id must be 1-63 of a-z, 0-9 and '-', starting alphanumeric")
    return camera_id


def validate_interval(minutes: object) -> int | None:
    """An expected interval in whole minutes (1 to 1440), or None for "not watched"."""
    if minutes is None:
        return None
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise InvalidCamera("expected_interval_minutes must be a whole number of minutes")
    if not MIN_INTERVAL_MINUTES <= minutes <= MAX_INTERVAL_MINUTES:
        raise InvalidCamera(f"expected_interval_minutes must be {MIN_INTERVAL_MINUTES}-"
                            f"{MAX_INTERVAL_MINUTES} (or null: not watched)")
    return minutes


def default_interval(kind: str) -> int | None:
    """Fixed cameras are watched every 15 minutes unless set otherwise; mobile ones are not."""
    return DEFAULT_FIXED_INTERVAL_MINUTES if kind == FIXED else None


def validate_position(kind: str, lat: float | None, lon: float | None,
                      heading: float | None) -> None:
    """Fixed cameras need lat, lon and heading in range; mobile cameras have none stored."""
    if kind not in CAMERA_KINDS:
        raise InvalidCamera(f"kind must be one of {', '.join(CAMERA_KINDS)}")
    if kind == MOBILE:
        if lat is not None or lon is not None or heading is not None:
            raise InvalidCamera("a mobile camera reports its position with each upload")
        return
    if lat is None or lon is None or heading is None:
        raise InvalidCamera("a fixed camera needs lat, lon and heading")
    if not -90.0 <= lat <= 90.0:
        raise InvalidCamera("lat must be between -90 and 90")
    if not -180.0 <= lon <= 180.0:
        raise InvalidCamera("lon must be between -180 and 180")
    if not 0.0 <= heading < 360.0:
        raise InvalidCamera("heading must be at least 0 and below 360 degrees")


_DEFAULT = object()


def new_camera(*, camera_id: str, name: str, agency: str, kind: str, now: datetime,
               lat: float | None = None, lon: float | None = None,
               heading: float | None = None,
               expected_interval_minutes: object = _DEFAULT) -> tuple[Camera, str]:
    """A new active camera and its credential (to show once; only its hash is kept). The
    expected interval defaults by kind (default_interval)."""
    credential, credential_hash = new_credential(validate_camera_id(camera_id))
    interval = (default_interval(kind) if expected_interval_minutes is _DEFAULT
                else validate_interval(expected_interval_minutes))
    camera = Camera(
        camera_id=camera_id, name=name.strip(), agency=agency.strip(), kind=kind, lat=lat,
        lon=lon, heading=heading, active=True, credential_hash=credential_hash,
        credential_id=new_credential_id(), created_at=now.isoformat(),
        expected_interval_minutes=interval,
    )
    return camera, credential


def rotate_credential(camera: Camera, now: datetime) -> tuple[Camera, str]:
    """The camera with a fresh credential (the old one stops verifying); lifts a revocation."""
    credential, credential_hash = new_credential(camera.camera_id)
    rotated = replace(camera, credential_hash=credential_hash, credential_id=new_credential_id(),
                      rotated_at=now.isoformat(), revoked_at=None)
    return rotated, credential


def revoke(camera: Camera, now: datetime) -> Camera:
    """The camera with its credential revoked until the next rotation."""
    return camera if camera.revoked_at else replace(camera, revoked_at=now.isoformat())


def set_active(camera: Camera, active: bool) -> Camera:
    """The camera switched on or off (an inactive camera's uploads are refused)."""
    return replace(camera, active=active)


def set_expected_interval(camera: Camera, minutes: object) -> Camera:
    """The camera with a new expected interval (None: the health check does not watch it)."""
    return replace(camera, expected_interval_minutes=validate_interval(minutes))


def new_credential_id() -> str:
    """A short random id naming one issued credential in audit records, never the secret."""
    return "cr-" + secrets.token_hex(4)


def new_credential(camera_id: str) -> tuple[str, str]:
    """(credential text to show once, its salted scrypt hash to store)."""
    validate_camera_id(camera_id)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(camera_id, secret, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    stored = f"{HASH_SCHEME}${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"
    return f"{CREDENTIAL_PREFIX}{camera_id}.{secret}", stored


def parse_credential(text: str) -> tuple[str, str]:
    """(camera id, secret) of a presented credential; raise InvalidCredential."""
    if len(text) > MAX_CREDENTIAL_LENGTH or not text.startswith(CREDENTIAL_PREFIX):
        raise InvalidCredential("not a camera credential")
    camera_id, dot, secret = text[len(CREDENTIAL_PREFIX):].partition(".")
    if not dot or not CAMERA_ID.match(camera_id) or not _SECRET.match(secret):
        raise InvalidCredential("not a camera credential")
    return camera_id, secret


def verify_credential(presented: str, camera: Camera) -> bool:
    """Whether the presented credential is this camera's current one and it may upload."""
    try:
        camera_id, secret = parse_credential(presented)
    except InvalidCredential:
        return False
    parsed = _parse_hash(camera.credential_hash)
    if parsed is None:
        return False
    n, r, p, salt, expected = parsed
    actual = _scrypt(camera.camera_id, secret, salt, n, r, p)
    # Compute the hash even for a camera that may not upload, so timing tells nothing.
    matches = hmac.compare_digest(actual, expected)
    return matches and camera_id == camera.camera_id and camera.can_upload


def _scrypt(camera_id: str, secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    """The hash binds the camera id too: a hash copied onto another camera verifies nothing."""
    return hashlib.scrypt(f"{camera_id}.{secret}".encode(), salt=salt, n=n, r=r, p=p,
                          dklen=SCRYPT_DKLEN, maxmem=_SCRYPT_MAXMEM)


def _parse_hash(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != HASH_SCHEME:
        return None
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, digest = bytes.fromhex(parts[4]), bytes.fromhex(parts[5])
    except ValueError:
        return None
    if not (1 < n <= _MAX_SCRYPT_N and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 4):
        return None
    if not salt or len(digest) != SCRYPT_DKLEN:
        return None
    return n, r, p, salt, digest
