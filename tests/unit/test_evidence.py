"""Evidence packages: build, verify, tamper detection, the CLI, and the export use case."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from dataclasses import replace
from functools import partial
from pathlib import Path

import pytest

from chalicelib.adapters.errors import ObjectNotFound
from chalicelib.adapters.raw_images import ObjectHead
from chalicelib.domain.images import ImageRecord, ImageStatus, StoredCopy
from chalicelib.domain.reads import Read
from chalicelib.evidence.__main__ import main
from chalicelib.evidence.package import (
    CUSTODY,
    MANIFEST,
    CustodyEvent,
    PackageInvalid,
    PackageMetadata,
    build_package,
    sha256_hex,
    verify_package,
)
from chalicelib.evidence.signing import SIGNATURE_FILE, SignatureStatus, sign_manifest
from chalicelib.services.exports import (
    ExportDependencies,
    ExportRefused,
    download_export,
    export_reads,
)
from tests.unit.fakes import FakeImageRecords, LocalSigner
from tests.unit.test_holds import (
    NOW,
    FakeAudit,
    FakeLegalHolds,
    FakeReadStore,
    caller,
    hold_deps,
    make_read,
)

FILES = {"reads/r1.json": b'{"plate": "7ABC123"}', "images/cameras/c1/f1.jpg": b"\xff\xd8image",
         "images/crops/c1/r1.jpg": b"\xff\xd8crop"}
META = PackageMetadata("e1", "2026-001234", "criminal_investigation", "analyst.ray",
                       "commander.lee", "2026-11-29T12:00:00Z",
                       (CustodyEvent("created", "analyst.ray", "2026-11-29T12:00:00Z"),))


def members(package: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(contents: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_built_package_verifies_and_its_manifest_describes_the_export() -> None:
    package = build_package(FILES, META)
    report = verify_package(package)
    assert report.ok and report.checked == 4  # three files + the chain of custody
    contents = members(package)
    manifest = json.loads(contents[MANIFEST])
    assert manifest["case_number"] == "2026-001234"
    assert (manifest["exported_by"], manifest["approved_by"]) == ("analyst.ray", "commander.lee")
    assert manifest["files"]["reads/r1.json"]["sha256"] == sha256_hex(FILES["reads/r1.json"])
    assert json.loads(contents[CUSTODY])["events"][0]["action"] == "created"
    assert build_package(FILES, META) == package  # deterministic


def test_one_changed_byte_is_reported_as_altered() -> None:
    contents = members(build_package(FILES, META))
    image = bytearray(contents["images/cameras/c1/f1.jpg"])
    image[-1] ^= 0x01
    contents["images/cameras/c1/f1.jpg"] = bytes(image)
    report = verify_package(rezip(contents))
    assert not report.ok and report.altered == ("images/cameras/c1/f1.jpg",)


def test_a_flipped_byte_in_the_zip_itself_is_reported_as_altered() -> None:
    package = bytearray(build_package(FILES, META))
    with zipfile.ZipFile(io.BytesIO(bytes(package))) as archive:
        info = archive.getinfo("images/crops/c1/r1.jpg")
    start = info.header_offset
    name_length, extra_length = struct.unpack("<HH", package[start + 26:start + 30])
    middle = start + 30 + name_length + extra_length + info.compress_size // 2
    package[middle] ^= 0x10  # one byte of the member's compressed data
    report = verify_package(bytes(package))
    assert report.altered == ("images/crops/c1/r1.jpg",)


def test_removed_and_added_files_are_reported() -> None:
    contents = members(build_package(FILES, META))
    del contents["reads/r1.json"]
    contents["images/planted.jpg"] = b"x"
    report = verify_package(rezip(contents))
    assert (report.missing, report.extra, report.altered) == (
        ("reads/r1.json",), ("images/planted.jpg",), ())


def test_a_duplicated_member_name_counts_as_altered() -> None:
    contents = members(build_package(FILES, META))
    package = rezip(contents)
    buffer = io.BytesIO(package)
    with zipfile.ZipFile(buffer, "a") as archive, pytest.warns(UserWarning):
        archive.writestr("reads/r1.json", b"second copy")
    assert verify_package(buffer.getvalue()).altered == ("reads/r1.json",)


@pytest.mark.parametrize("data", [b"not a zip", rezip({"a.txt": b"x"}),
                                  rezip({MANIFEST: b"{not json"})])
def test_non_packages_are_refused(data: bytes) -> None:
    with pytest.raises(PackageInvalid):
        verify_package(data)


@pytest.mark.parametrize("name", ["/abs", "../up", "a/../b", MANIFEST, "a\\b", ""])
def test_unsafe_or_reserved_names_cannot_be_packaged(name: str) -> None:
    with pytest.raises(ValueError, match="not allowed"):
        build_package({name: b"x"}, META)


SIGNER = LocalSigner()


def signed_package(files: dict[str, bytes] | None = None, signer: LocalSigner = SIGNER) -> bytes:
    return build_package(files or FILES, META,
                         sign=partial(sign_manifest, signer=signer,
                                      signed_at="2026-11-29T12:00:00Z"))


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "evidence-key.pem"
    key.write_bytes(SIGNER.public_key_pem())
    good = tmp_path / "good.zip"
    good.write_bytes(signed_package())
    assert main(["verify", str(good), "--public-key", str(key)]) == 0
    out = capsys.readouterr().out
    assert "intact" in out and "signed 2026-11-29T12:00:00Z by the evidence key" in out
    contents = members(good.read_bytes())
    contents["reads/r1.json"] = b"{}"
    bad = tmp_path / "bad.zip"
    bad.write_bytes(rezip(contents))
    assert main(["verify", str(bad), "--public-key", str(key)]) == 1
    assert "altered: reads/r1.json" in capsys.readouterr().out
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"junk")
    assert main(["verify", str(junk), "--public-key", str(key)]) == 1
    assert main(["verify", str(tmp_path / "absent.zip"), "--public-key", str(key)]) == 1
    not_a_key = tmp_path / "not-a-key.pem"
    not_a_key.write_bytes(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    assert main(["verify", str(good), "--public-key", str(not_a_key)]) == 2


def rebuilt_by_hand(package: bytes) -> bytes:
    """What someone with the package and a text editor does: change a read, recompute its hash
    in the manifest, zip it again, keep the old signature file."""
    contents = members(package)
    contents["reads/r1.json"] = b'{"plate": "7ABC124"}'
    manifest = json.loads(contents[MANIFEST])
    manifest["files"]["reads/r1.json"]["sha256"] = sha256_hex(contents["reads/r1.json"])
    contents[MANIFEST] = json.dumps(manifest, indent=2, sort_keys=True).encode()
    return rezip(contents)


def test_a_signed_package_verifies_and_one_rebuilt_by_hand_does_not() -> None:
    genuine = verify_package(signed_package(), SIGNER.public_key())
    assert genuine.genuine and genuine.signature.status is SignatureStatus.VALID
    rebuilt = verify_package(rebuilt_by_hand(signed_package()), SIGNER.public_key())
    assert rebuilt.ok  # every hash in the recomputed manifest matches...
    assert not rebuilt.genuine  # ...but the manifest is not the one the key signed
    assert rebuilt.signature.status is SignatureStatus.MANIFEST_CHANGED


def test_a_package_signed_by_another_key_or_unsigned_is_not_genuine(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    forged = verify_package(signed_package(signer=LocalSigner()), SIGNER.public_key())
    assert forged.ok and forged.signature.status is SignatureStatus.WRONG_KEY
    unsigned = verify_package(build_package(FILES, META), SIGNER.public_key())
    assert unsigned.ok and unsigned.signature.status is SignatureStatus.MISSING
    stripped = members(signed_package())
    stripped[SIGNATURE_FILE] = b"{not json"
    assert verify_package(rezip(stripped), SIGNER.public_key()).signature.status is (
        SignatureStatus.UNREADABLE)
    key = tmp_path / "key.pem"
    key.write_bytes(SIGNER.public_key_pem())
    package = tmp_path / "forged.zip"
    package.write_bytes(signed_package(signer=LocalSigner()))
    assert main(["verify", str(package), "--public-key", str(key)]) == 1
    assert "not made by the evidence key" in capsys.readouterr().out


def test_the_signature_covers_exactly_the_finished_manifest_bytes() -> None:
    signer = LocalSigner()
    package = signed_package(signer=signer)
    statement = json.loads(members(package)[SIGNATURE_FILE])["statement"]
    assert statement["manifest_sha256"] == sha256_hex(members(package)[MANIFEST])
    assert len(signer.signed) == 1 and len(signer.signed[0]) < 4096  # KMS signs RAW <= 4 KB


# ------------------------------------------------------------------ export use case


class FakeEvidence:
    def __init__(self, max_url_seconds: int = 900) -> None:
        self.objects: dict[str, bytes] = {}
        self.max_url_seconds = max_url_seconds

    def store_evidence(self, key: str, body: bytes,
                       content_type: str = "application/zip") -> str | None:
        self.objects[key] = body
        return "v1"

    def presigned_get(self, key: str, version_id: str | None, seconds: int) -> str:
        assert seconds <= self.max_url_seconds
        return f"https://evidence.example/{key}?version={version_id}&expires={seconds}"


class FakeObjects:
    """A versioned bucket: key -> {version: bytes}, the last version the current one."""

    def __init__(self, objects: dict[str, bytes]) -> None:
        self.versions: dict[str, dict[str, bytes]] = {key: {"v1": body}
                                                      for key, body in objects.items()}

    def read(self, key: str, version_id: str | None = None,
             max_bytes: int | None = None) -> bytes:
        versions = self.versions.get(key, {})
        if not versions or (version_id is not None and version_id not in versions):
            raise ObjectNotFound(key)
        return versions[version_id] if version_id else list(versions.values())[-1]

    def head(self, key: str, version_id: str | None = None) -> ObjectHead:
        if key not in self.versions:
            raise ObjectNotFound(key)
        latest = list(self.versions[key])[-1]
        body = self.versions[key][latest]
        # S3's own checksum of the stored bytes, as for objects written with one.
        return ObjectHead(len(body), "image/jpeg", latest, {}, False, None, sha256_hex(body))

    def overwrite(self, key: str, body: bytes) -> str:
        version = f"v{len(self.versions.setdefault(key, {})) + 1}"
        self.versions[key][version] = body
        return version


def export_deps(store: FakeReadStore, records: FakeImageRecords | None = None
                ) -> ExportDependencies:
    audit = FakeAudit()
    return ExportDependencies(images=FakeObjects({"cameras/c1/f1.jpg": b"\xff\xd8image"}),
                              crops=FakeObjects({"crops/c1/r1.jpg": b"\xff\xd8crop1"}),
                              image_records=records or FakeImageRecords(),
                              evidence=FakeEvidence(),
                              holds=hold_deps(store, audit=audit, images=FakeLegalHolds()),
                              audit=audit, clock=lambda: NOW, signer=LocalSigner(),
                              new_id=lambda: "e-1")


def test_export_packages_stores_holds_and_audits() -> None:
    store = FakeReadStore([make_read("r1"), make_read("r2")])
    deps = export_deps(store)
    reads = [store.reads["r1"], store.reads["r2"]]
    result = export_reads(reads, "2026-001234", "criminal_investigation", caller("analyst.ray"),
                          "commander.lee", deps)
    assert result.key == "exports/2026-001234/e-1.zip"
    assert "expires=300" in result.url
    assert isinstance(deps.evidence, FakeEvidence)
    package = deps.evidence.objects[result.key]
    assert isinstance(deps.signer, LocalSigner)
    assert verify_package(package, deps.signer.public_key()).genuine
    assert sha256_hex(package) == result.sha256
    contents = members(package)
    record = json.loads(contents["reads/r2.json"])
    assert record["image_file"] == "images/cameras/c1/f1.jpg"
    assert record["crop_file"] is None  # crop of r2 was not in the bucket
    assert all(store.reads[read_id].holds == (result.hold_id,) for read_id in ("r1", "r2"))
    assert isinstance(deps.audit, FakeAudit)
    actions = [(entry.action, entry.outcome) for entry in deps.audit.entries]
    assert actions == [("place_hold", "allowed"), ("export_reads", "allowed")]
    assert deps.audit.entries[-1].query["sha256"] == result.sha256


@pytest.mark.parametrize(("purpose", "approver", "code"), [
    ("", "commander.lee", "PURPOSE_REQUIRED"),
    ("criminal_investigation", "analyst.ray", "SELF_APPROVAL"),
])
def test_refused_export_stores_nothing_and_is_audited(purpose: str, approver: str,
                                                      code: str) -> None:
    store = FakeReadStore([make_read("r1")])
    deps = export_deps(store)
    with pytest.raises((ExportRefused, ValueError)) as refused:
        export_reads([store.reads["r1"]], "2026-001234", purpose, caller("analyst.ray"),
                     approver, deps)
    assert getattr(refused.value, "code", "") == code
    assert isinstance(deps.evidence, FakeEvidence) and not deps.evidence.objects
    assert isinstance(deps.audit, FakeAudit)
    assert deps.audit.entries[-1].action == "export_reads"
    assert deps.audit.entries[-1].refusal_code == code


def test_download_is_audited_and_checks_the_export_id() -> None:
    deps = export_deps(FakeReadStore([]))
    deps = replace(deps, new_id=lambda: "unused")
    export_id = "6f1c3c52-8a51-4c3e-9d0e-4b0c6f0a7e21"
    url = download_export("2026-001234", export_id, "criminal_investigation", caller(), deps)
    assert f"exports/2026-001234/{export_id}.zip" in url
    with pytest.raises(ExportRefused):
        download_export("2026-001234", "../x", "criminal_investigation", caller(), deps)
    assert isinstance(deps.audit, FakeAudit)
    assert [entry.outcome for entry in deps.audit.entries] == ["allowed", "refused"]


# ---------------------------------------------------------------------- provenance
def pinned_read(records: FakeImageRecords) -> Read:
    """A read as the ingest leaves it: versions pinned, hashes in the read and the record."""
    read = replace(make_read("r1"), image_version="v1", crop_version="v1",
                   image_sha256=sha256_hex(b"\xff\xd8image"),
                   crop_sha256=sha256_hex(b"\xff\xd8crop1"))
    records.finish(ImageRecord(
        image_key=read.image_key, camera_id="c1", version_id="v1",
        status=ImageStatus.PROCESSED, captured_at=NOW.isoformat(), received_at=NOW.isoformat(),
        expires_at=None, size=10, content_type="image/jpeg", read_ids=(read.read_id,),
        plates_found=1, sha256=sha256_hex(b"\xff\xd8image"),
        crops=(StoredCopy("crops/c1/r1.jpg", "v1", sha256_hex(b"\xff\xd8crop1")),)))
    return read


def test_a_package_names_versions_and_ingest_hashes_and_verifies() -> None:
    records = FakeImageRecords()
    read = pinned_read(records)
    store = FakeReadStore([read])
    deps = export_deps(store, records)
    result = export_reads([read], "2026-001234", "criminal_investigation", caller("analyst.ray"),
                          "commander.lee", deps)
    assert isinstance(deps.evidence, FakeEvidence)
    package = deps.evidence.objects[result.key]
    manifest = json.loads(members(package)[MANIFEST])
    crop = manifest["files"]["images/crops/c1/r1.jpg"]
    assert crop["source"] == {"key": "crops/c1/r1.jpg", "version_id": "v1"}
    assert crop["ingest_sha256"] == sha256_hex(b"\xff\xd8crop1") == crop["sha256"]
    assert isinstance(deps.signer, LocalSigner)
    report = verify_package(package, deps.signer.public_key())
    assert report.genuine and not report.unpinned and not report.superseded


def test_an_overwritten_crop_is_not_packaged_and_is_noted() -> None:
    """A later version under the crop's key (a camera writing where it must not): the package
    holds the ingest-time version and says a later one exists."""
    records = FakeImageRecords()
    read = pinned_read(records)
    deps = export_deps(FakeReadStore([read]), records)
    assert isinstance(deps.crops, FakeObjects)
    deps.crops.overwrite("crops/c1/r1.jpg", b"\xff\xd8another car")
    result = export_reads([read], "2026-001234", "criminal_investigation", caller("analyst.ray"),
                          "commander.lee", deps)
    assert result.superseded == ("images/crops/c1/r1.jpg",) and not result.replaced_after_ingest
    assert isinstance(deps.evidence, FakeEvidence)
    package = deps.evidence.objects[result.key]
    assert members(package)["images/crops/c1/r1.jpg"] == b"\xff\xd8crop1"
    report = verify_package(package)
    assert report.ok and report.superseded == ("images/crops/c1/r1.jpg",)
    assert isinstance(deps.audit, FakeAudit)
    assert deps.audit.entries[-1].query["superseded_in_storage"] == "images/crops/c1/r1.jpg"


def test_a_crop_swapped_behind_the_read_fails_verification(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    """The read repointed at another version (a write to the reads table): the bytes differ
    from the hash the ingest recorded in the images table, so verify fails."""
    records = FakeImageRecords()
    read = pinned_read(records)
    deps = export_deps(FakeReadStore([read]), records)
    assert isinstance(deps.crops, FakeObjects)
    swapped = deps.crops.overwrite("crops/c1/r1.jpg", b"\xff\xd8another car")
    tampered = replace(read, crop_version=swapped,
                       crop_sha256=sha256_hex(b"\xff\xd8another car"))
    result = export_reads([tampered], "2026-001234", "criminal_investigation",
                          caller("analyst.ray"), "commander.lee", deps)
    assert result.replaced_after_ingest == ("images/crops/c1/r1.jpg",)
    assert isinstance(deps.audit, FakeAudit)
    assert deps.audit.entries[-1].query["replaced_after_ingest"] == "images/crops/c1/r1.jpg"
    assert isinstance(deps.evidence, FakeEvidence)
    package = deps.evidence.objects[result.key]
    report = verify_package(package)
    assert not report.ok and report.replaced == ("images/crops/c1/r1.jpg",)
    assert not report.altered  # the copy matches the manifest: only the ingest hash tells
    assert isinstance(deps.signer, LocalSigner)
    assert verify_package(package, deps.signer.public_key()).signature.valid  # ours, yet failed
    path = tmp_path / "package.zip"
    path.write_bytes(package)
    key = tmp_path / "evidence-key.pem"
    key.write_bytes(deps.signer.public_key_pem())
    assert main(["verify", str(path), "--public-key", str(key)]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "replaced after ingest" in out


def test_a_swapped_crop_with_its_ingest_hash_rewritten_in_the_manifest_fails_the_signature(
        ) -> None:
    """The insider who also edits the package: the swapped crop's hash and ingest-time hash
    recomputed in the manifest, so every hash agrees; the signature no longer does."""
    records = FakeImageRecords()
    read = pinned_read(records)
    deps = export_deps(FakeReadStore([read]), records)
    result = export_reads([read], "2026-001234", "criminal_investigation", caller("analyst.ray"),
                          "commander.lee", deps)
    assert isinstance(deps.evidence, FakeEvidence) and isinstance(deps.signer, LocalSigner)
    contents = members(deps.evidence.objects[result.key])
    swapped = b"\xff\xd8another car"
    contents["images/crops/c1/r1.jpg"] = swapped
    manifest = json.loads(contents[MANIFEST])
    entry = manifest["files"]["images/crops/c1/r1.jpg"]
    entry["sha256"] = entry["ingest_sha256"] = sha256_hex(swapped)
    contents[MANIFEST] = json.dumps(manifest, indent=2, sort_keys=True).encode()
    report = verify_package(rezip(contents), deps.signer.public_key())
    assert report.ok and not report.replaced  # the hashes alone now agree...
    assert not report.genuine  # ...but the signed manifest named the ingest-time hash
    assert report.signature.status is SignatureStatus.MANIFEST_CHANGED


def test_the_same_crop_written_again_by_a_retried_ingest_is_not_an_overwrite() -> None:
    records = FakeImageRecords()
    read = pinned_read(records)
    deps = export_deps(FakeReadStore([read]), records)
    assert isinstance(deps.crops, FakeObjects)
    deps.crops.overwrite("crops/c1/r1.jpg", b"\xff\xd8crop1")
    result = export_reads([read], "2026-001234", "criminal_investigation", caller("analyst.ray"),
                          "commander.lee", deps)
    assert result.superseded == () and result.replaced_after_ingest == ()
