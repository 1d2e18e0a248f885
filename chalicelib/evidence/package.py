"""Building and verifying evidence packages; pure (bytes in, bytes or a report out).

A package is a ZIP holding the exported files, `chain_of_custody.json` (who created and exported
it, when) and `manifest.json`, which records the SHA-256 and size of every other file together with
the case number, purpose, exporter, approver and creation time. Each frame and crop also names the
stored object it was read from (key and version) and the SHA-256 the ingest recorded when the
object was captured or made: a stored object replaced after ingest fails verification even when
its copy in the package matches the manifest. Verification recomputes every hash and names the
files that were altered, are missing, were added, or differ from their ingest-time hash. The
manifest cannot vouch for itself: the hash of the whole ZIP is kept in the audit log, the stored
object is under an Object Lock legal hold, and `manifest.signature.json` carries a KMS signature
over the manifest's SHA-256 (evidence/signing.py), which a hand-rebuilt package cannot have. The
signature covers the whole manifest, so the version pins and ingest-time hashes are signed too.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from chalicelib.evidence.signing import (
    SIGNATURE_FILE,
    SignatureCheck,
    SignatureStatus,
    check_manifest_signature,
)

MANIFEST = "manifest.json"
CUSTODY = "chain_of_custody.json"
FORMAT = "platekeeper-evidence/2"  # /2: sources with versions and ingest-time hashes
RESERVED = frozenset({MANIFEST, CUSTODY, SIGNATURE_FILE})
# Takes the finished manifest bytes, returns the signature file (evidence/signing.sign_manifest).
ManifestSigner = Callable[[bytes], bytes]
# Fixed timestamp inside the ZIP so the same content always gives the same bytes.
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


class PackageInvalid(ValueError):
    """The bytes are not an evidence package (not a ZIP, or no readable manifest)."""


@dataclass(frozen=True)
class CustodyEvent:
    """One link in the chain of custody: created, exported, downloaded."""

    action: str
    by: str
    at: str
    note: str = ""


@dataclass(frozen=True)
class FileSource:
    """Where a packaged frame or crop came from, and what the ingest recorded about it."""

    key: str
    version_id: str | None
    ingest_sha256: str | None  # None: no hash was recorded at ingest (older data)
    superseded: bool = False  # a later version was written under the key after ingest


@dataclass(frozen=True)
class PackageMetadata:
    export_id: str
    case_number: str
    purpose: str
    exported_by: str
    approved_by: str
    created_at: str
    events: tuple[CustodyEvent, ...] = ()


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of checking a package against its manifest."""

    altered: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    checked: int = 0
    case_number: str = ""
    export_id: str = ""
    replaced: tuple[str, ...] = ()  # bytes differ from the hash recorded at ingest
    superseded: tuple[str, ...] = ()  # a later version exists in storage (a note, not a failure)
    unpinned: tuple[str, ...] = ()  # no ingest-time hash to check against (a note)
    signature: SignatureCheck = field(default_factory=lambda: SignatureCheck(
        SignatureStatus.NOT_CHECKED, "not checked"))

    @property
    def ok(self) -> bool:
        """Every file matches the manifest and its ingest-time hash."""
        return not (self.altered or self.missing or self.extra or self.replaced)

    @property
    def genuine(self) -> bool:
        """Every file matches (manifest and ingest-time hash) and this system's evidence key
        signed the manifest."""
        return self.ok and self.signature.valid


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_name(name: str) -> None:
    """A file name inside a package: relative, forward slashes, no '..', not a reserved name."""
    parts = name.split("/")
    if (not name or name.startswith("/") or "\\" in name or name in RESERVED
            or any(part in {"", ".", ".."} for part in parts)):
        raise ValueError(f"file name not allowed in an evidence package: {name!r}")


def build_package(files: Mapping[str, bytes], metadata: PackageMetadata,
                  sources: Mapping[str, FileSource] | None = None,
                  sign: ManifestSigner | None = None) -> bytes:
    """The ZIP of `files` plus chain_of_custody.json and manifest.json (hashes of all files,
    and for each file in `sources` the stored object version and its ingest-time hash), and the
    manifest's signature file when a signer is given."""
    sources = sources or {}
    for name in files:
        check_name(name)
    custody = _json_bytes({"export_id": metadata.export_id,
                           "case_number": metadata.case_number,
                           "events": [asdict(event) for event in metadata.events]})
    contents = {**dict(sorted(files.items())), CUSTODY: custody}
    manifest = {
        "format": FORMAT,
        "export_id": metadata.export_id,
        "case_number": metadata.case_number,
        "purpose": metadata.purpose,
        "exported_by": metadata.exported_by,
        "approved_by": metadata.approved_by,
        "created_at": metadata.created_at,
        "algorithm": "sha256",
        "files": {name: {"sha256": sha256_hex(data), "size": len(data),
                         **_source_entry(sources.get(name))}
                  for name, data in contents.items()},
    }
    manifest_bytes = _json_bytes(manifest)
    signature = {SIGNATURE_FILE: sign(manifest_bytes)} if sign is not None else {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in {**contents, MANIFEST: manifest_bytes, **signature}.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def replaced_files(files: Mapping[str, bytes], sources: Mapping[str, FileSource]) -> list[str]:
    """Files whose bytes differ from the hash the ingest recorded for their stored object."""
    return sorted(name for name, source in sources.items() if name in files
                  and source.ingest_sha256 is not None
                  and sha256_hex(files[name]) != source.ingest_sha256)


def _source_entry(source: FileSource | None) -> dict[str, Any]:
    if source is None:
        return {}
    return {"source": {"key": source.key, "version_id": source.version_id},
            "ingest_sha256": source.ingest_sha256, "superseded": source.superseded}


def verify_package(data: bytes, public_key: bytes | None = None) -> VerifyReport:
    """Recompute every hash in the manifest: altered, missing and extra files are reported, and
    files whose bytes differ from their ingest-time hash; with the evidence key's public key,
    also check the manifest's signature."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise PackageInvalid("not a ZIP file") from error
    with archive:
        names = Counter(archive.namelist())
        manifest = _read_manifest(archive, names)
        expected: Mapping[str, Any] = manifest["files"]
        altered = [name for name, count in names.items() if count > 1]
        missing: list[str] = []
        for name, entry in expected.items():
            if name not in names:
                missing.append(name)
            elif name not in altered and not _matches(archive, name, entry):
                altered.append(name)
        extra = [name for name in names
                 if name not in expected and name not in {MANIFEST, SIGNATURE_FILE}]
        replaced, superseded, unpinned = _provenance(archive, names, expected)
        signature = check_manifest_signature(archive.read(MANIFEST),
                                             _signature_file(archive, names), public_key)
    return VerifyReport(tuple(sorted(altered)), tuple(sorted(missing)), tuple(sorted(extra)),
                        checked=len(expected), case_number=str(manifest.get("case_number", "")),
                        export_id=str(manifest.get("export_id", "")), replaced=replaced,
                        superseded=superseded, unpinned=unpinned, signature=signature)


def _signature_file(archive: zipfile.ZipFile, names: Counter[str]) -> bytes | None:
    if names.get(SIGNATURE_FILE) != 1:
        return None if SIGNATURE_FILE not in names else b"two signature files"
    try:
        return archive.read(SIGNATURE_FILE)
    except (zipfile.BadZipFile, zlib.error, OSError):
        return b"unreadable"


def _provenance(archive: zipfile.ZipFile, names: Counter[str], expected: Mapping[str, Any]
                ) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(replaced, superseded, unpinned) among the files that name a stored source."""
    replaced: list[str] = []
    superseded: list[str] = []
    unpinned: list[str] = []
    for name, entry in expected.items():
        if "source" not in entry:
            continue
        if entry.get("superseded"):
            superseded.append(name)
        ingest = entry.get("ingest_sha256")
        if not isinstance(ingest, str):
            unpinned.append(name)
        elif names.get(name) == 1 and not _matches(archive, name, {"sha256": ingest}):
            replaced.append(name)
    return tuple(sorted(replaced)), tuple(sorted(superseded)), tuple(sorted(unpinned))


def _read_manifest(archive: zipfile.ZipFile, names: Counter[str]) -> dict[str, Any]:
    if names.get(MANIFEST) != 1:
        raise PackageInvalid(f"the package must hold exactly one {MANIFEST}")
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except (zipfile.BadZipFile, zlib.error, ValueError) as error:
        raise PackageInvalid(f"{MANIFEST} is unreadable") from error
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or not all(
            isinstance(entry, dict) and isinstance(entry.get("sha256"), str)
            for entry in files.values()):
        raise PackageInvalid(f"{MANIFEST} does not list files with their SHA-256")
    return manifest


def _matches(archive: zipfile.ZipFile, name: str, entry: Mapping[str, Any]) -> bool:
    try:
        content = archive.read(name)
    except (zipfile.BadZipFile, zlib.error, OSError):
        return False  # a corrupted member (CRC or compression error) counts as altered
    return sha256_hex(content) == entry["sha256"]


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False).encode("utf-8")
