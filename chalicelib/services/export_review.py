"""The evidence exports page: every stored package, a fresh download link, and a verification.

Packages live in the evidence bucket under exports/<case>/<export id>.zip, each written once
under a legal hold. The listing comes from the bucket itself (so a package written around the
API shows too) and names any key holding more than one version: a package written again. A
verification reads the stored package and runs the same checks as `python -m
chalicelib.evidence verify` (every hash, every ingest-time hash, the evidence key's signature),
so the records unit can tell a recipient the package is intact before sending the link. Each
listing, link and verification is recorded in the access record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from chalicelib.adapters.errors import ObjectNotFound
from chalicelib.domain.access import CASE_NUMBER, Caller
from chalicelib.evidence.package import PackageInvalid, VerifyReport, sha256_hex, verify_package
from chalicelib.services.auditing import AuditWriter, entry_for
from chalicelib.services.exports import ExportRefused, export_key, is_uuid

EXPORTS_PREFIX = "exports/"
LIST_ACTION = "list_exports"
VERIFY_ACTION = "verify_export"


class PackageStore(Protocol):
    def stored_versions(self, prefix: str) -> list[Any]: ...

    def read(self, key: str, version_id: str | None = None,
             max_bytes: int | None = None) -> bytes: ...


@dataclass(frozen=True)
class ExportReviewDependencies:
    evidence: PackageStore
    public_key: Callable[[], bytes]
    audit: AuditWriter
    clock: Callable[[], datetime]


@dataclass(frozen=True)
class StoredExport:
    export_id: str
    case_number: str
    key: str
    size: int
    stored_at: str
    versions: int


def list_exports(caller: Caller, deps: ExportReviewDependencies) -> list[StoredExport]:
    """Every package in the evidence bucket, newest first."""
    by_key: dict[str, list[Any]] = {}
    for version in deps.evidence.stored_versions(EXPORTS_PREFIX):
        by_key.setdefault(version.key, []).append(version)
    found = []
    for key, versions in by_key.items():
        parts = key.removeprefix(EXPORTS_PREFIX).split("/")
        if len(parts) != 2 or not parts[1].endswith(".zip"):
            continue
        latest = next((item for item in versions if item.is_latest), versions[0])
        found.append(StoredExport(
            export_id=parts[1].removesuffix(".zip"), case_number=parts[0], key=key,
            size=int(latest.size), stored_at=min(str(item.last_modified) for item in versions),
            versions=len(versions)))
    found.sort(key=lambda item: item.stored_at, reverse=True)
    deps.audit.append(entry_for(caller, LIST_ACTION, deps.clock(), allowed=True,
                                result_count=len(found)))
    return found


def verify_export(export_id: str, body: Mapping[str, Any], caller: Caller,
                  deps: ExportReviewDependencies) -> dict[str, Any]:
    """Check the stored package as a recipient would; the outcome is recorded."""
    now = deps.clock()
    case = str(body.get("case_number", "")).strip().upper()
    if not is_uuid(export_id) or not CASE_NUMBER.match(case):
        raise ExportRefused("EXPORT_ID_INVALID", "name the export by its id and case number")
    key = export_key(case, export_id)
    try:
        data = deps.evidence.read(key)
    except ObjectNotFound:
        raise ExportRefused("NOT_FOUND", "no such export package", 404) from None
    versions = sum(1 for item in deps.evidence.stored_versions(key) if item.key == key)
    try:
        report: VerifyReport | None = verify_package(data, deps.public_key())
        problem = ""
    except PackageInvalid as error:
        report, problem = None, str(error)
    result = _result(report, problem, sha256_hex(data), versions)
    deps.audit.append(entry_for(caller, VERIFY_ACTION, now, allowed=True, case_number=case,
                                result_count=1,
                                query={"export_id": export_id, "key": key,
                                       "sha256": result["sha256"],
                                       "verdict": result["verdict"]}))
    return result


def _result(report: VerifyReport | None, problem: str, sha256: str,
            versions: int) -> dict[str, Any]:
    if report is None:
        return {"verdict": "not_a_package", "genuine": False, "detail": problem,
                "sha256": sha256, "versions": versions}
    verdict = "intact" if report.genuine else "failed"
    if report.genuine and versions > 1:
        verdict = "intact_but_rewritten"
    return {"verdict": verdict, "genuine": report.genuine, "files_checked": report.checked,
            "altered": list(report.altered), "missing": list(report.missing),
            "extra": list(report.extra), "replaced_after_ingest": list(report.replaced),
            "superseded": list(report.superseded), "unpinned": list(report.unpinned),
            "signature": report.signature.detail, "signature_valid": report.signature.valid,
            "sha256": sha256, "versions": versions}


def export_view(stored: StoredExport) -> dict[str, Any]:
    return {"export_id": stored.export_id, "case_number": stored.case_number,
            "key": stored.key, "size": stored.size, "stored_at": stored.stored_at,
            "versions": stored.versions}
