"""Evidence export (policy 428.5): chosen reads, their images and crops as a hashed ZIP, kept in the
evidence bucket under an Object Lock legal hold, the reads themselves put on hold (reason evidence).

Order: validate, hold the reads (so nothing is purged while packaging), build, store, record the
access (with the ZIP's SHA-256, which vouches for the manifest), then hand out a short-lived URL.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Protocol

from chalicelib.adapters.errors import ObjectNotFound
from chalicelib.domain.access import Caller
from chalicelib.domain.errors import Refused
from chalicelib.domain.holds import HoldRefused, HoldRequest
from chalicelib.domain.reads import Read, format_time
from chalicelib.evidence.package import CustodyEvent, PackageMetadata, build_package, sha256_hex
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
    """The raw image bucket (adapters/raw_images.RawImageStore)."""

    def read(self, key: str, version_id: str | None = None,
             max_bytes: int | None = None) -> bytes: ...


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
    evidence: EvidenceStore
    holds: HoldDependencies
    audit: AuditWriter
    clock: Callable[[], datetime]
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
               "hold_id": outcome.hold.hold_id, "approved_by": approved_by}))
    url = deps.evidence.presigned_get(key, stored.version_id, EXPORT_URL_SECONDS)
    return ExportResult(export_id, key, url, stored.version_id, stored.sha256,
                        outcome.hold.hold_id, stored.files)


@dataclass(frozen=True)
class StoredPackage:
    key: str
    version_id: str | None
    sha256: str
    files: int


def store_package(reads: Sequence[Read], metadata: PackageMetadata, key: str,
                  deps: ExportDependencies) -> StoredPackage:
    """Build the hashed ZIP of the reads with their images and crops; store it under a legal
    hold. The caller records the access (with the returned SHA-256, which vouches for it)."""
    files = _package_files(reads, deps.images)
    body = build_package(files, metadata)
    version = deps.evidence.store_evidence(key, body)
    return StoredPackage(key, version, sha256_hex(body), len(files) + 2)


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


def _package_files(reads: Sequence[Read], images: ObjectReader) -> dict[str, bytes]:
    """reads/<id>.json for every read, and every image and crop once under images/<key>."""
    files: dict[str, bytes] = {}
    for read in reads:
        record = asdict(read)
        for field_name, key, version in (("image_file", read.image_key, read.image_version),
                                         ("crop_file", read.crop_key, None)):
            record[field_name] = None
            if key is None:
                continue
            name = f"images/{key}"
            if name not in files:
                try:
                    files[name] = images.read(key, version)
                except ObjectNotFound:
                    continue  # recorded as null: the package says what it does not hold
            record[field_name] = name
        files[f"reads/{read.read_id}.json"] = json.dumps(
            record, indent=2, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return files


def is_uuid(text: str) -> bool:
    """Whether the text is a canonical UUID (ids in paths are checked before any lookup)."""
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False
