"""Evidence export (policy 428.5): chosen reads, their images and crops as a hashed ZIP, kept in the
evidence bucket under an Object Lock legal hold, the reads themselves put on hold (reason evidence).

Order: validate, hold the reads (so nothing is purged while packaging), build, store, record the
access (with the ZIP's SHA-256, which vouches for the manifest), then hand out a short-lived URL.

Every frame and crop is read at the version its read names, and packaged with the SHA-256 the
ingest recorded (from the images table, which only the ingest writes). A stored object replaced
after ingest is named in the export's result and access record, and the package fails
`evidence verify`; a later version written under the same key is noted, not packaged.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol

from chalicelib.adapters.errors import ObjectNotFound
from chalicelib.adapters.raw_images import ObjectHead
from chalicelib.domain.access import Caller
from chalicelib.domain.errors import Refused
from chalicelib.domain.holds import HoldRefused, HoldRequest
from chalicelib.domain.images import ImageRecord
from chalicelib.domain.reads import Read, format_time
from chalicelib.domain.signatures import Signer
from chalicelib.evidence.package import (
    CustodyEvent,
    FileSource,
    PackageMetadata,
    build_package,
    replaced_files,
    sha256_hex,
)
from chalicelib.evidence.signing import sign_manifest
from chalicelib.policy.access import purpose_refusal
from chalicelib.policy.case_numbers import DEFAULT_CASE_NUMBER_RULE, CaseNumberRule
from chalicelib.services.auditing import AuditWriter, entry_for
from chalicelib.services.holds import HoldDependencies, place_hold

EXPORT_ACTION = "export_reads"
DOWNLOAD_ACTION = "download_export"
EXPORT_URL_SECONDS = 300  # minutes, not hours: a presigned URL is a bearer credential
EXPORT_HOLD_REVIEW_DAYS = 365
MAX_EXPORT_READS = 500  # the package is built in the function's memory


class ExportRefused(Refused):
    """An evidence export the rules do not allow."""


class ObjectReader(Protocol):
    """An image bucket: raw frames or derived crops (adapters/raw_images.RawImageStore)."""

    def read(self, key: str, version_id: str | None = None,
             max_bytes: int | None = None) -> bytes: ...

    def head(self, key: str, version_id: str | None = None) -> ObjectHead: ...


class IngestRecords(Protocol):
    """The images table, written by the ingest alone: the hashes taken at capture."""

    def get(self, image_key: str) -> ImageRecord | None: ...


class EvidenceStore(Protocol):
    """The evidence bucket: writes with an Object Lock legal hold, presigns downloads."""

    def store_evidence(self, key: str, body: bytes,
                       content_type: str = "application/zip") -> str | None: ...

    def presigned_get(self, key: str, version_id: str | None, seconds: int) -> str: ...


def _new_export_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class ExportDependencies:
    images: ObjectReader
    crops: ObjectReader
    image_records: IngestRecords
    evidence: EvidenceStore
    holds: HoldDependencies
    audit: AuditWriter
    clock: Callable[[], datetime]
    # The evidence signing key: every manifest is signed, so a package rebuilt by hand shows.
    signer: Signer
    new_id: Callable[[], str] = _new_export_id
    case_numbers: CaseNumberRule = DEFAULT_CASE_NUMBER_RULE


@dataclass(frozen=True)
class ExportResult:
    export_id: str
    key: str
    url: str
    version_id: str | None
    sha256: str
    hold_id: str
    files: int
    replaced_after_ingest: tuple[str, ...] = ()
    superseded: tuple[str, ...] = ()


def export_key(case_number: str, export_id: str) -> str:
    """Where a package is stored: exports/<case>/<export_id>.zip."""
    return f"exports/{case_number}/{export_id}.zip"


def export_reads(reads: Sequence[Read], case_number: str, purpose: str, caller: Caller,
                 approved_by: str, deps: ExportDependencies) -> ExportResult:
    """Package, store and hold the reads for a case; returns where the package is and a URL."""
    now = deps.clock()
    case = case_number.strip().upper()
    try:
        _check_request(reads, purpose, case_number, deps.case_numbers)
        request = HoldRequest(case, "evidence", caller.account.username, approved_by,
                              now.date() + timedelta(days=EXPORT_HOLD_REVIEW_DAYS))
        outcome = place_hold(reads, request, caller, deps.holds)
    except (ExportRefused, HoldRefused) as refused:
        deps.audit.append(entry_for(caller, EXPORT_ACTION, now, allowed=False, purpose=purpose,
                                    case_number=case[:32], refusal_code=refused.code,
                                    query={"reads": str(len(reads))}))
        raise
    export_id = deps.new_id()
    key = export_key(case, export_id)
    stamp = format_time(now)
    username = caller.account.username
    metadata = PackageMetadata(
        export_id=export_id, case_number=case, purpose=purpose, exported_by=username,
        approved_by=approved_by, created_at=stamp,
        events=(CustodyEvent("created", username, stamp, f"{len(reads)} reads"),
                CustodyEvent("exported", username, stamp,
                             f"approved by {approved_by}; stored as {key}")))
    stored = store_package(reads, metadata, key, deps)
    deps.audit.append(entry_for(
        caller, EXPORT_ACTION, now, allowed=True, purpose=purpose, case_number=case,
        result_count=len(reads),
        query={"export_id": export_id, "key": key, "sha256": stored.sha256,
               "hold_id": outcome.hold.hold_id, "approved_by": approved_by,
               **integrity_elements(stored)}))
    url = deps.evidence.presigned_get(key, stored.version_id, EXPORT_URL_SECONDS)
    return ExportResult(export_id, key, url, stored.version_id, stored.sha256,
                        outcome.hold.hold_id, stored.files, stored.replaced, stored.superseded)


@dataclass(frozen=True)
class BuiltPackage:
    """A package's bytes and what its provenance check found."""

    body: bytes
    files: int
    replaced: tuple[str, ...] = ()  # bytes differ from their ingest-time hash
    superseded: tuple[str, ...] = ()  # a later version exists under the key


@dataclass(frozen=True)
class StoredPackage:
    key: str
    version_id: str | None
    sha256: str
    files: int
    replaced: tuple[str, ...] = ()
    superseded: tuple[str, ...] = ()


def build_evidence(reads: Sequence[Read], metadata: PackageMetadata,
                   deps: ExportDependencies) -> BuiltPackage:
    """The hashed, signed ZIP of the reads with their frames and crops at their pinned
    versions: the signature covers the manifest with its version pins and ingest-time hashes.
    If the manifest cannot be signed, nothing is built (SigningUnavailable)."""
    files, sources = _package_files(reads, deps)
    body = build_package(files, metadata, sources,
                         partial(sign_manifest, signer=deps.signer, signed_at=metadata.created_at))
    # The files, chain_of_custody.json, manifest.json and manifest.signature.json.
    return BuiltPackage(body, len(files) + 3,
                        tuple(replaced_files(files, sources)),
                        tuple(sorted(name for name, source in sources.items()
                                     if source.superseded)))


def store_built(built: BuiltPackage, key: str, deps: ExportDependencies) -> StoredPackage:
    """Store a built package under a legal hold. The caller records the access (with the
    returned SHA-256, which vouches for it)."""
    version = deps.evidence.store_evidence(key, built.body)
    return StoredPackage(key, version, sha256_hex(built.body), built.files, built.replaced,
                         built.superseded)


def store_package(reads: Sequence[Read], metadata: PackageMetadata, key: str,
                  deps: ExportDependencies) -> StoredPackage:
    """Build and store the package of the reads (see build_evidence and store_built)."""
    return store_built(build_evidence(reads, metadata, deps), key, deps)


def integrity_elements(package: StoredPackage | BuiltPackage) -> dict[str, str]:
    """What the access record keeps of a package's provenance check (object names, no plates)."""
    elements = {}
    if package.replaced:
        elements["replaced_after_ingest"] = ",".join(package.replaced)[:200]
    if package.superseded:
        elements["superseded_in_storage"] = ",".join(package.superseded)[:200]
    return elements


def download_export(case_number: str, export_id: str, purpose: str, caller: Caller,
                    deps: ExportDependencies) -> str:
    """A short-lived URL to a stored package; each download is a custody event in the audit log."""
    now = deps.clock()
    case = case_number.strip().upper()
    refusal = purpose_refusal(purpose, case_number, deps.case_numbers)
    code = refusal.code if refusal else ("" if is_uuid(export_id) else "EXPORT_ID_INVALID")
    if code:
        deps.audit.append(entry_for(caller, DOWNLOAD_ACTION, now, allowed=False,
                                    purpose=purpose, case_number=case[:32], refusal_code=code,
                                    query={"export_id": export_id[:64]}))
        raise ExportRefused(code, refusal.message if refusal else "not an export id")
    key = export_key(case, export_id)
    deps.audit.append(entry_for(caller, DOWNLOAD_ACTION, now, allowed=True, purpose=purpose,
                                case_number=case, result_count=1,
                                query={"export_id": export_id, "key": key}))
    return deps.evidence.presigned_get(key, None, EXPORT_URL_SECONDS)


def _check_request(reads: Sequence[Read], purpose: str, case_number: str,
                   case_numbers: CaseNumberRule) -> None:
    refusal = purpose_refusal(purpose, case_number, case_numbers)
    if refusal is not None:
        raise ExportRefused(refusal.code, refusal.message)
    if not reads:
        raise ExportRefused("READS_REQUIRED", "choose at least one read to export")
    if len(reads) > MAX_EXPORT_READS:
        raise ExportRefused("TOO_MANY_READS",
                            f"one export holds at most {MAX_EXPORT_READS} reads; split it")


def _package_files(reads: Sequence[Read], deps: ExportDependencies
                   ) -> tuple[dict[str, bytes], dict[str, FileSource]]:
    """reads/<id>.json for every read, and every image and crop once under images/<key>, each
    read at the version its read names, with the hash the ingest recorded for it."""
    files: dict[str, bytes] = {}
    sources: dict[str, FileSource] = {}
    for read in reads:
        record = asdict(read)
        ingest = deps.image_records.get(read.image_key)
        crop = ingest.crop(read.crop_key) if ingest and read.crop_key else None
        for field_name, store, key, version, ingest_hash in (
                ("image_file", deps.images, read.image_key, read.image_version,
                 (ingest.sha256 if ingest else "") or read.image_sha256),
                ("crop_file", deps.crops, read.crop_key, read.crop_version,
                 (crop.sha256 if crop else "") or read.crop_sha256)):
            record[field_name] = None
            if key is None:
                continue
            name = f"images/{key}"
            if name not in files:
                try:
                    files[name] = store.read(key, version)
                except ObjectNotFound:
                    continue  # recorded as null: the package says what it does not hold
                sources[name] = FileSource(key, version, ingest_hash or None,
                                           _superseded(store, key, version, ingest_hash))
            record[field_name] = name
        files[f"reads/{read.read_id}.json"] = json.dumps(
            record, indent=2, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return files, sources


def _superseded(store: ObjectReader, key: str, version: str | None,
                ingest_hash: str | None) -> bool:
    """Whether a later version (or a delete marker) was written under the key after ingest. A
    later version whose bytes S3 checksummed to the ingest hash is the same image written
    again (a retried ingest), not a replacement."""
    if version is None:
        return False
    try:
        latest = store.head(key)
    except ObjectNotFound:
        return True
    if latest.version_id == version:
        return False
    return not (ingest_hash and latest.sha256 == ingest_hash)


def is_uuid(text: str) -> bool:
    """Whether the text is a canonical UUID (ids in paths are checked before any lookup)."""
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False
