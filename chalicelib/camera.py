"""Camera client: upload a folder of frames the way a camera does, through presigned POSTs.

    python -m chalicelib.camera --api URL --credential CRED --folder DIR \
        [--camera-lat LAT --lon LON --heading DEG] [--captured-at now|file-mtime]

For each .jpg/.jpeg/.png in the folder: ask the API for an upload (`POST {api}/uploads` with the
camera credential in `X-Camera-Credential`), then send the file to the presigned URL as
multipart/form-data, the policy fields first and the file last, as S3 requires. Transient
failures (connection errors, timeouts, 429 and 5xx) are retried with exponential backoff; other
failures are reported per file, and the exit status is non-zero if any file failed.
The credential is never printed; output names files and counts only.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from tqdm import tqdm

from chalicelib.domain.cameras import InvalidCredential, parse_credential
from chalicelib.domain.images import JPEG, PNG, sniff_content_type

CREDENTIAL_HEADER = "X-Camera-Credential"
IMAGE_SUFFIXES = {".jpg": JPEG, ".jpeg": JPEG, ".png": PNG}
UPLOAD_OK = (200, 201, 204)
DEFAULT_RETRIES = 3
DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_BACKOFF_SECONDS = 0.5
CAPTURED_AT_NOW = "now"
CAPTURED_AT_MTIME = "file-mtime"
# Credentials travel in a header, so only loopback addresses may be spoken to without TLS.
_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_REFUSED = 2


class UploadFailed(Exception):
    """One file could not be uploaded; `fatal` when no other file can succeed either."""

    def __init__(self, message: str, fatal: bool = False) -> None:
        super().__init__(message)
        self.fatal = fatal


@dataclass(frozen=True)
class Position:
    """Where the camera stood and looked when it captured a frame (mobile cameras)."""

    lat: float
    lon: float
    heading: float | None = None

    def __post_init__(self) -> None:
        if not -90.0 <= self.lat <= 90.0 or not -180.0 <= self.lon <= 180.0:
            raise ValueError("lat must be within -90..90 and lon within -180..180")
        if self.heading is not None and not 0.0 <= self.heading < 360.0:
            raise ValueError("heading must be at least 0 and below 360 degrees")


@dataclass(frozen=True)
class UploadTicket:
    """The API's answer: where and with which policy fields to POST the file."""

    url: str
    fields: dict[str, str]
    key: str
    expires_in: int


@dataclass(frozen=True)
class UploadSummary:
    """What a folder upload achieved; `failures` holds (file name, reason)."""

    uploaded: int = 0
    failed: int = 0
    bytes: int = 0
    failures: tuple[tuple[str, str], ...] = field(default_factory=tuple)


class CameraClient:
    """HTTP side of the camera: ask for an upload, then send the file.

    Only `session.post` is used, so unit tests pass a fake session.
    """

    def __init__(self, session: requests.Session, api: str, credential: str, *,
                 retries: int = DEFAULT_RETRIES, timeout: float = DEFAULT_TIMEOUT_SECONDS,
                 backoff: float = DEFAULT_BACKOFF_SECONDS,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._session = session
        self._uploads_url = api.rstrip("/") + "/uploads"
        self._credential = credential
        self._retries = retries
        self._timeout = timeout
        self._backoff = backoff
        self._sleep = sleep

    def request_upload(self, content_type: str, content_length: int, captured_at: str,
                       position: Position | None = None) -> UploadTicket:
        """POST /uploads: a presigned POST for one frame."""
        body: dict[str, Any] = {"content_type": content_type, "content_length": content_length,
                                "captured_at": captured_at}
        if position is not None:
            body.update(lat=position.lat, lon=position.lon)
            if position.heading is not None:
                body["heading"] = position.heading
        response = self._with_retries("upload request", lambda: self._session.post(
            self._uploads_url, json=body, headers={CREDENTIAL_HEADER: self._credential},
            timeout=self._timeout))
        if response.status_code in (401, 403):
            raise UploadFailed(f"credential refused ({_describe(response)})", fatal=True)
        if response.status_code != 201:
            raise UploadFailed(f"upload request refused ({_describe(response)})")
        return _ticket(response)

    def send(self, ticket: UploadTicket, name: str, body: bytes, content_type: str) -> None:
        """POST the file to the presigned URL: policy fields first, the file last."""
        response = self._with_retries("upload", lambda: self._session.post(
            ticket.url, data=ticket.fields, files={"file": (name, body, content_type)},
            timeout=self._timeout))
        if response.status_code not in UPLOAD_OK:
            raise UploadFailed(f"storage refused the file (HTTP {response.status_code})")

    def upload_file(self, path: Path, captured_at_mode: str = CAPTURED_AT_MTIME,
                    position: Position | None = None) -> int:
        """Upload one frame; returns its size in bytes."""
        body = path.read_bytes()
        if not body:
            raise UploadFailed("file is empty")
        content_type = sniff_content_type(body[:16])
        if content_type is None:
            raise UploadFailed("file is neither a JPEG nor a PNG image")
        ticket = self.request_upload(content_type, len(body),
                                     capture_time(path, captured_at_mode), position)
        self.send(ticket, path.name, body, content_type)
        return len(body)

    def _with_retries(self, what: str,
                      call: Callable[[], requests.Response]) -> requests.Response:
        for attempt in range(self._retries + 1):
            last_attempt = attempt == self._retries
            try:
                response = call()
            except (requests.ConnectionError, requests.Timeout) as error:
                if last_attempt:
                    raise UploadFailed(f"{what} failed: {type(error).__name__}") from error
            else:
                if not _transient(response.status_code) or last_attempt:
                    return response
            self._sleep(self._backoff * 2 ** attempt)
        raise AssertionError("unreachable: the last attempt returns or raises")


def image_files(folder: Path) -> list[Path]:
    """The folder's JPEG and PNG files (not recursive, hidden files skipped), sorted by name."""
    return sorted(path for path in folder.iterdir()
                  if path.is_file() and not path.name.startswith(".")
                  and path.suffix.lower() in IMAGE_SUFFIXES)


def capture_time(path: Path, mode: str, now: datetime | None = None) -> str:
    """ISO 8601 capture time with time zone: now, or the file's modification time."""
    if mode == CAPTURED_AT_NOW:
        moment = now or datetime.now(UTC)
    elif mode == CAPTURED_AT_MTIME:
        moment = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    else:
        raise ValueError(f"captured-at must be {CAPTURED_AT_NOW} or {CAPTURED_AT_MTIME}")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def upload_folder(client: CameraClient, files: Sequence[Path],
                  captured_at_mode: str = CAPTURED_AT_MTIME, position: Position | None = None,
                  show_progress: bool = True) -> UploadSummary:
    """Upload every file, one failure not stopping the others (unless it is fatal)."""
    uploaded = sent = 0
    failures: list[tuple[str, str]] = []
    with tqdm(total=len(files), unit="file", disable=not show_progress) as bar:
        for index, path in enumerate(files):
            try:
                sent += client.upload_file(path, captured_at_mode, position)
                uploaded += 1
            except (UploadFailed, OSError) as error:
                failures.append((path.name, str(error)))
                bar.write(f"failed: {path.name}: {error}", file=sys.stderr)
                if isinstance(error, UploadFailed) and error.fatal:
                    failures.extend((rest.name, "not attempted") for rest in files[index + 1:])
                    break
            finally:
                bar.update(1)
                bar.set_postfix(failed=len(failures))
    return UploadSummary(uploaded, len(failures), sent, tuple(failures))


def main(argv: Sequence[str] | None = None, session: requests.Session | None = None) -> int:
    """Command line entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        credential = _credential(args)
        position = _position(args)
        _check_api(args.api)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_REFUSED
    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"error: {folder} is not a folder", file=sys.stderr)
        return EXIT_REFUSED
    files = image_files(folder)
    client = CameraClient(session or requests.Session(), args.api, credential,
                          retries=args.retries, timeout=args.timeout)
    summary = upload_folder(client, files, args.captured_at, position,
                            show_progress=not args.quiet)
    print(f"uploaded {summary.uploaded} of {len(files)} files ({summary.bytes} bytes), "
          f"{summary.failed} failed")
    if any(reason.startswith("credential refused") for _, reason in summary.failures):
        return EXIT_REFUSED
    return EXIT_SOME_FAILED if summary.failed else EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m chalicelib.camera",
        description="Upload a folder of camera frames to Platekeeper.")
    parser.add_argument("--api", required=True, help="API base URL (https)")
    secret = parser.add_mutually_exclusive_group(required=True)
    secret.add_argument("--credential", help="camera credential pkc_<camera>.<secret>")
    secret.add_argument("--credential-file", help="file holding the credential (keeps it "
                                                  "out of the process list)")
    parser.add_argument("--folder", required=True, help="folder of .jpg/.jpeg/.png frames")
    parser.add_argument("--camera-lat", "--lat", dest="lat", type=float)
    parser.add_argument("--lon", "--camera-lon", dest="lon", type=float)
    parser.add_argument("--heading", "--camera-heading", dest="heading", type=float)
    parser.add_argument("--captured-at", choices=(CAPTURED_AT_NOW, CAPTURED_AT_MTIME),
                        default=CAPTURED_AT_MTIME,
                        help="capture time sent with each frame (default: file-mtime)")
    parser.add_argument("--retries", type=int, default=DEFAULT_RETRIES)
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_SECONDS)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _credential(args: argparse.Namespace) -> str:
    text = args.credential
    if args.credential_file:
        text = Path(args.credential_file).read_text(encoding="utf-8")
    text = text.strip()
    try:
        parse_credential(text)
    except InvalidCredential as error:
        raise ValueError("the credential is not of the form pkc_<camera>.<secret>") from error
    return str(text)


def _position(args: argparse.Namespace) -> Position | None:
    if args.lat is None and args.lon is None and args.heading is None:
        return None
    if args.lat is None or args.lon is None:
        raise ValueError("give both --camera-lat and --lon (and optionally --heading)")
    return Position(args.lat, args.lon, args.heading)


def _check_api(api: str) -> None:
    parts = urlsplit(api)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS:
        return
    raise ValueError("--api must be an https URL (plain http only for localhost)")


def _transient(status: int) -> bool:
    return status == 429 or status >= 500


def _describe(response: requests.Response) -> str:
    """HTTP status and the API's error code, from its {"error": CODE, "message": TEXT} body."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(body, dict) and body.get("error"):
        message = str(body.get("message", ""))[:200]
        return f"HTTP {response.status_code}: {body['error']} {message}".rstrip()
    return f"HTTP {response.status_code}"


def _ticket(response: requests.Response) -> UploadTicket:
    try:
        body = response.json()
        url, fields, key = body["url"], body["fields"], body["key"]
        expires_in = int(body.get("expires_in", 0))
    except (ValueError, KeyError, TypeError) as error:
        raise UploadFailed("the API's upload answer is malformed") from error
    if not isinstance(url, str) or not isinstance(fields, dict) or not isinstance(key, str):
        raise UploadFailed("the API's upload answer is malformed")
    return UploadTicket(url, {str(name): str(value) for name, value in fields.items()}, key,
                        expires_in)


if __name__ == "__main__":
    sys.exit(main())
