import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from chalicelib.camera import (
    CREDENTIAL_HEADER,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_SOME_FAILED,
    CameraClient,
    Position,
    capture_time,
    image_files,
    main,
    upload_folder,
)

API = "https://api.example.test/v1"
CREDENTIAL = "pkc_pole-12." + "s3cr3t_" * 7
JPEG = b"\xff\xd8\xff\xe0" + b"j" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"p" * 100
STORAGE = "https://raw.example.test/"
MTIME = datetime(2026, 11, 29, 1, 33, 20, tzinfo=UTC).timestamp()


class FakeResponse:
    def __init__(self, status_code: int, body: Any = None) -> None:
        self.status_code = status_code
        self._body = body

    def json(self) -> Any:
        if self._body is None:
            raise ValueError("no JSON body")
        return self._body


Outcome = FakeResponse | Exception


class FakeSession:
    """Answers POST /uploads with a ticket and storage POSTs with 204, unless scripted."""

    def __init__(self, uploads: list[Outcome] | None = None,
                 storage: list[Outcome] | None = None) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._scripts = {"uploads": uploads or [], "storage": storage or []}

    def post(self, url: str, **kwargs: Any) -> FakeResponse:
        self.calls.append((url, kwargs))
        kind = "uploads" if url.endswith("/uploads") else "storage"
        script = self._scripts[kind]
        outcome = script.pop(0) if script else self._default(kind, len(self.calls))
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    @staticmethod
    def _default(kind: str, number: int) -> FakeResponse:
        if kind == "storage":
            return FakeResponse(204)
        return FakeResponse(201, {"url": STORAGE, "key": f"cameras/pole-12/2026-11-29/{number}",
                                  "fields": {"key": f"k{number}", "policy": "p"},
                                  "expires_in": 300})

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [kwargs for url, kwargs in self.calls
                if (url.endswith("/uploads")) == (kind == "uploads")]


def ticket() -> FakeResponse:
    return FakeResponse(201, {"url": STORAGE, "key": "k", "fields": {"key": "k"},
                              "expires_in": 300})


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "a.jpg").write_bytes(JPEG)
    (tmp_path / "b.PNG").write_bytes(PNG)
    (tmp_path / "c.jpeg").write_bytes(JPEG)
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / ".hidden.jpg").write_bytes(JPEG)
    (tmp_path / "sub").mkdir()
    os.utime(tmp_path / "a.jpg", (MTIME, MTIME))
    return tmp_path


def client(session: FakeSession, sleeps: list[float] | None = None) -> CameraClient:
    record: Callable[[float], None] = (sleeps.append if sleeps is not None
                                       else lambda _seconds: None)
    return CameraClient(session, API + "/", CREDENTIAL, retries=2, backoff=0.5,  # type: ignore[arg-type]
                        sleep=record)


def test_image_files_are_jpeg_and_png_only(folder: Path) -> None:
    assert [path.name for path in image_files(folder)] == ["a.jpg", "b.PNG", "c.jpeg"]


def test_each_file_is_requested_then_posted_with_fields_first(folder: Path) -> None:
    session = FakeSession()
    summary = upload_folder(client(session), image_files(folder), "file-mtime",
                            Position(37.35, -121.95, 15.0), show_progress=False)
    assert (summary.uploaded, summary.failed, summary.bytes) == (3, 0, 2 * len(JPEG) + len(PNG))
    requests_made = session.of_kind("uploads")
    assert [kwargs["json"]["content_type"] for kwargs in requests_made] == [
        "image/jpeg", "image/png", "image/jpeg"]
    first = requests_made[0]
    assert session.calls[0][0] == API + "/uploads"
    assert first["headers"] == {CREDENTIAL_HEADER: CREDENTIAL}
    assert first["json"] == {"content_type": "image/jpeg", "content_length": len(JPEG),
                             "captured_at": "2026-11-29T01:33:20.000+00:00",
                             "lat": 37.35, "lon": -121.95, "heading": 15.0}
    assert first["timeout"] > 0
    upload = session.of_kind("storage")[0]
    assert session.calls[1][0] == STORAGE
    assert upload["data"] == {"key": "k1", "policy": "p"}
    assert upload["files"] == {"file": ("a.jpg", JPEG, "image/jpeg")}
    assert upload["timeout"] > 0


def test_transient_errors_are_retried_with_backoff(folder: Path) -> None:
    session = FakeSession(
        uploads=[FakeResponse(503), requests.ConnectionError("reset"), ticket()],
        storage=[requests.Timeout("slow"), FakeResponse(500), FakeResponse(204)])
    sleeps: list[float] = []
    size = client(session, sleeps).upload_file(folder / "a.jpg")
    assert size == len(JPEG)
    assert sleeps == [0.5, 1.0, 0.5, 1.0]
    assert len(session.calls) == 6


def test_retries_run_out_and_the_file_fails(folder: Path) -> None:
    session = FakeSession(uploads=[FakeResponse(502)] * 3)
    summary = upload_folder(client(session), [folder / "a.jpg", folder / "c.jpeg"],
                            show_progress=False)
    assert (summary.uploaded, summary.failed) == (1, 1)
    assert summary.failures[0][0] == "a.jpg"
    assert "HTTP 502" in summary.failures[0][1]


def test_refused_file_does_not_stop_the_others(folder: Path) -> None:
    refusal = FakeResponse(400, {"error": "TooLarge", "message": "over the limit"})
    session = FakeSession(uploads=[refusal], storage=[FakeResponse(403)])
    summary = upload_folder(client(session), image_files(folder), show_progress=False)
    assert summary.uploaded == 1
    assert summary.failures == (
        ("a.jpg", "upload request refused (HTTP 400: TooLarge over the limit)"),
        ("b.PNG", "storage refused the file (HTTP 403)"),
    )


def test_refused_credential_stops_the_run(folder: Path) -> None:
    session = FakeSession(uploads=[FakeResponse(401, {"error": "Unauthorized",
                                                      "message": "bad credential"})])
    summary = upload_folder(client(session), image_files(folder), show_progress=False)
    assert summary.uploaded == 0 and summary.failed == 3
    assert summary.failures[1:] == (("b.PNG", "not attempted"), ("c.jpeg", "not attempted"))
    assert len(session.calls) == 1


def test_file_that_is_not_an_image_fails_before_any_request(tmp_path: Path) -> None:
    (tmp_path / "fake.jpg").write_bytes(b"GIF89a....")
    (tmp_path / "empty.png").write_bytes(b"")
    session = FakeSession()
    summary = upload_folder(client(session), image_files(tmp_path), show_progress=False)
    assert dict(summary.failures) == {"empty.png": "file is empty",
                                      "fake.jpg": "file is neither a JPEG nor a PNG image"}
    assert session.calls == []


def test_malformed_ticket_fails_the_file(folder: Path) -> None:
    session = FakeSession(uploads=[FakeResponse(201, {"url": STORAGE})])
    summary = upload_folder(client(session), [folder / "a.jpg"], show_progress=False)
    assert summary.failures == (("a.jpg", "the API's upload answer is malformed"),)


def test_capture_time_is_iso_with_time_zone(folder: Path) -> None:
    assert capture_time(folder / "a.jpg", "file-mtime") == "2026-11-29T01:33:20.000+00:00"
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    assert capture_time(folder / "a.jpg", "now", now) == "2026-11-29T12:00:00.000+00:00"
    parsed = datetime.fromisoformat(capture_time(folder / "a.jpg", "now"))
    assert parsed.tzinfo is not None


def test_main_uploads_and_exits_zero(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    session = FakeSession()
    status = main(["--api", API, "--credential", CREDENTIAL, "--folder", str(folder),
                   "--camera-lat", "37.35", "--lon", "-121.95", "--heading", "15",
                   "--captured-at", "now", "--quiet"], session=session)  # type: ignore[arg-type]
    assert status == EXIT_OK
    output = capsys.readouterr()
    assert "uploaded 3 of 3 files" in output.out
    assert CREDENTIAL not in output.out + output.err
    assert session.of_kind("uploads")[0]["json"]["heading"] == 15.0


def test_main_exit_status_when_files_fail(folder: Path, tmp_path: Path) -> None:
    credential_file = tmp_path / "credential"
    credential_file.write_text(CREDENTIAL + "\n")
    session = FakeSession(uploads=[FakeResponse(400)])
    status = main(["--api", API, "--credential-file", str(credential_file),
                   "--folder", str(folder), "--quiet"], session=session)  # type: ignore[arg-type]
    assert status == EXIT_SOME_FAILED
    refused = FakeSession(uploads=[FakeResponse(403)])
    status = main(["--api", API, "--credential", CREDENTIAL, "--folder", str(folder),
                   "--quiet"], session=refused)  # type: ignore[arg-type]
    assert status == EXIT_REFUSED


@pytest.mark.parametrize(("args", "message"), [
    (["--api", "http://api.example.test", "--credential", CREDENTIAL], "https"),
    (["--api", API, "--credential", "hunter2"], "pkc_<camera>.<secret>"),
    (["--api", API, "--credential", CREDENTIAL, "--camera-lat", "37.3"], "--lon"),
    (["--api", API, "--credential", CREDENTIAL, "--camera-lat", "99", "--lon", "1"], "lat"),
])
def test_main_refuses_bad_arguments(folder: Path, capsys: pytest.CaptureFixture[str],
                                    args: list[str], message: str) -> None:
    session = FakeSession()
    status = main([*args, "--folder", str(folder), "--quiet"], session=session)  # type: ignore[arg-type]
    assert status == EXIT_REFUSED
    assert message in capsys.readouterr().err
    assert session.calls == []


def test_plain_http_is_allowed_for_localhost(folder: Path) -> None:
    session = FakeSession()
    status = main(["--api", "http://127.0.0.1:8000", "--credential", CREDENTIAL,
                   "--folder", str(folder), "--quiet"], session=session)  # type: ignore[arg-type]
    assert status == EXIT_OK
    assert session.calls[0][0] == "http://127.0.0.1:8000/uploads"
