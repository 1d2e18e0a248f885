"""The HTTP edge: authentication and authorization per route, and errors mapped in one place.

Every route is declared through `Api.route` with the permission it needs (or as public), which
is what the authorization-matrix test enumerates. Error bodies are always
`{"error": CODE, "message": TEXT}`, with no stack traces and no plate data.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalice import Chalice, Response
from chalice.app import Request

from chalicelib.adapters.alerts_table import InvalidPageToken
from chalicelib.adapters.audit_log import AuditUnavailable
from chalicelib.adapters.cameras_table import CredentialChanged
from chalicelib.adapters.errors import StorageError, TransientStorageError
from chalicelib.adapters.identity import LoginFailed, MfaSetupFailed, PasswordRejected
from chalicelib.adapters.policy_document import PolicyDocumentUnavailable
from chalicelib.domain.access import Caller, Permission
from chalicelib.domain.alerts import AlertNotOpen, CletsNotVerified, InvalidDisposition
from chalicelib.domain.cameras import Camera
from chalicelib.domain.errors import Refused
from chalicelib.domain.hotlist import InvalidHotlistEntry
from chalicelib.domain.hotlist_import import HotlistFileError
from chalicelib.domain.monthly_audit import InvalidMonth
from chalicelib.domain.plates import InvalidPlate
from chalicelib.observability import logger
from chalicelib.services.accounts import (
    AccessRefused,
    AccountDependencies,
    RequestMeta,
    authorize,
)
from chalicelib.services.agencies import AgencyNotFound
from chalicelib.services.auditing import camera_entry, entry_for
from chalicelib.services.cameras import CameraDependencies, authenticate_camera
from chalicelib.services.hold_requests import HoldRequestNotFound
from chalicelib.services.holds import HoldNotFound
from chalicelib.services.hotlists import AlertNotFound
from chalicelib.services.monthly_audit import ReportNotFound
from chalicelib.services.releases import ReleaseNotFound
from chalicelib.services.search import ReadNotFound
from chalicelib.services.sign_in import Origin

MAX_BODY_BYTES = 64 * 1024
# Hotlist files pasted into the console can be larger; bulk lists go through the CLI.
IMPORT_BYTES = 5 * 1024 * 1024
# No request of this API nests deeper than a few levels; anything deeper is refused before any
# code walks it (a 6 KB `[[[...]]]` used to exhaust the parser's recursion and answer 500).
MAX_BODY_DEPTH = 32
# What a refused body is recorded as, when the route's own action is not known yet.
REJECTED_BODY_ACTION = "request_rejected"


class BadRequest(Refused):
    """A request body or query string that cannot be used (not JSON, too large, ...)."""


class BodyRejected(BadRequest):
    """A body that cannot be read at all (missing, too large, not JSON, too deep): the attempt
    is recorded in the access record at the edge, with whoever sent it."""


@dataclass
class Attempt:
    """Who is calling, as far as the edge has established it (for recording a rejected body)."""

    caller: Caller | None = None
    camera: Camera | None = None


@dataclass(frozen=True)
class RouteSpec:
    """What the OpenAPI document and the authorization tests know about a route."""

    path: str
    method: str
    permission: Permission | None
    summary: str
    request_schema: dict[str, Any] | None = None
    query_parameters: tuple[str, ...] = ()
    camera: bool = False
    success_status: int = 200

    @property
    def auth(self) -> str:
        """Who may call: anyone, a signed-in user with the permission, or a camera."""
        if self.camera:
            return "camera"
        return "public" if self.permission is None else "user"


@dataclass
class Api:
    app: Chalice
    accounts: Callable[[], AccountDependencies]
    cameras: Callable[[], CameraDependencies]
    routes: list[RouteSpec] = field(default_factory=list)

    def route(self, path: str, method: str, permission: Permission | None, summary: str,
              request_schema: dict[str, Any] | None = None,
              query_parameters: tuple[str, ...] = (),
              camera: bool = False,
              success_status: int = 200) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register a view. Views get (request, **url_params), plus the signed-in caller when a
        permission is named, or the authenticated camera when `camera` is set."""
        spec = RouteSpec(path, method, permission, summary, request_schema,
                         query_parameters, camera, success_status)

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(view)
            def handle(**params: str) -> Response:
                request = self.app.current_request
                if request is None:  # pragma: no cover - Chalice always sets it
                    raise RuntimeError("no current request")
                attempt = Attempt()
                try:
                    return as_response(self._call(spec, view, request, params, attempt))
                except BodyRejected as rejected:
                    return self._record_rejected_body(spec, view, request, attempt, rejected)
                except Exception as error:  # noqa: BLE001 - mapped to a clean response below
                    return error_response(error)

            self.app.route(path, methods=[method])(handle)
            self.routes.append(spec)
            return view

        return decorator

    def permissions_in_use(self) -> frozenset[Permission]:
        """Every permission some route requires (what the public page may claim)."""
        return frozenset(route.permission for route in self.routes
                         if route.permission is not None)

    def _call(self, spec: RouteSpec, view: Callable[..., Any], request: Request,
              params: dict[str, str], attempt: Attempt) -> Any:
        if spec.camera:
            credential = request.headers.get("x-camera-credential")
            attempt.camera = authenticate_camera(credential, self.cameras(),
                                                 source_ip(request), request_id(request))
            return view(request, attempt.camera, **params)
        if spec.permission is None:
            return view(request, **params)
        attempt.caller = authorize(bearer_token(request), spec.permission,
                                   request_meta(request, spec.permission), self.accounts())
        return view(request, attempt.caller, **params)

    def _record_rejected_body(self, spec: RouteSpec, view: Callable[..., Any],
                              request: Request, attempt: Attempt,
                              rejected: BodyRejected) -> Response:
        """Record a body that could not be read (with its sender), then answer its 4xx."""
        action = spec.permission.value if spec.permission else view.__name__
        query = {"route": f"{spec.method} {spec.path}", "action": action}
        now = self.accounts().clock()
        if attempt.camera is not None:
            entry = camera_entry(attempt.camera.camera_id, REJECTED_BODY_ACTION, now,
                                 allowed=False, query=query, refusal_code=rejected.code,
                                 source_ip=source_ip(request), request_id=request_id(request))
        else:
            entry = entry_for(attempt.caller, REJECTED_BODY_ACTION, now, allowed=False,
                              query=query, refusal_code=rejected.code,
                              source_ip=source_ip(request), request_id=request_id(request))
        try:
            self.accounts().audit.append(entry)
        except Exception as error:  # noqa: BLE001 - fail closed: the error is the answer
            return error_response(error)
        return error_response(rejected)


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def request_meta(request: Request, permission: Permission) -> RequestMeta:
    """What a refusal record keeps about the attempt, taken from the raw request."""
    body = _loose_body(request)
    query = {name: str(body.get(name, ""))[:64] for name in ("plate", "mode") if body.get(name)}
    params = query_params(request)
    if request.uri_params:
        query.update({name: value[:64] for name, value in request.uri_params.items()})
    purpose = str(body.get("purpose") or params.get("purpose") or "")
    case_number = str(body.get("case_number") or params.get("case_number") or "")
    return RequestMeta(source_ip=source_ip(request), request_id=request_id(request),
                       action=permission.value, query=query, purpose=purpose[:64],
                       case_number=case_number[:32])


def query_params(request: Request) -> dict[str, str]:
    """Query string parameters (the last value of a repeated one)."""
    return {name: str(value) for name, value in (request.query_params or {}).items()}


def source_ip(request: Request) -> str:
    return str(request.context.get("identity", {}).get("sourceIp", ""))


def request_id(request: Request) -> str:
    return str(request.context.get("requestId", ""))


def origin(request: Request) -> Origin:
    """Where a sign-in attempt came from (its access record keeps both)."""
    return Origin(source_ip(request), request_id(request))


def json_body(request: Request, max_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The request's JSON object body, or a clear 400/413."""
    raw = request.raw_body or b""
    if len(raw) > max_bytes:
        raise BodyRejected("BODY_TOO_LARGE", f"request body exceeds {max_bytes} bytes", 413)
    if not raw:
        raise BodyRejected("BODY_REQUIRED", "send a JSON object body")
    too_deep = BodyRejected("BODY_TOO_DEEP",
                            f"request body nests deeper than {MAX_BODY_DEPTH} levels")
    try:
        body = json.loads(raw)
    except RecursionError:
        raise too_deep from None
    except (UnicodeDecodeError, ValueError):  # incl. numbers past Python's 4300-digit limit
        raise BodyRejected("BODY_NOT_JSON", "request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BodyRejected("BODY_NOT_OBJECT", "request body must be a JSON object")
    if nesting_depth(body) > MAX_BODY_DEPTH:
        raise too_deep
    return body


def optional_json_body(request: Request) -> dict[str, Any]:
    """The JSON object body of a route whose fields are all optional: {} when none is sent."""
    return json_body(request) if request.raw_body else {}


def nesting_depth(value: Any) -> int:
    """How deeply lists and objects nest in a parsed JSON value (walked without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_BODY_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _loose_body(request: Request) -> dict[str, Any]:
    try:
        return json_body(request)
    except BadRequest:
        return {}


def as_response(result: Any) -> Response:
    if isinstance(result, Response):
        return result
    return Response(body=result, status_code=200, headers=_SECURITY_HEADERS)


def error(code: str, message: str, status: int) -> Response:
    return Response(body={"error": code, "message": message}, status_code=status,
                    headers=_SECURITY_HEADERS)


def error_response(raised: Exception) -> Response:
    """Map any exception to a clean response; unexpected ones are logged without detail."""
    if isinstance(raised, AccessRefused):
        return error(raised.refusal.code, raised.refusal.message, raised.refusal.status)
    if isinstance(raised, Refused):
        return error(raised.code, raised.message, raised.status)
    for kind, (code, message, status) in _KNOWN_ERRORS.items():
        if isinstance(raised, kind):
            if status >= 500:
                logger.warning("request failed", extra={"error_type": type(raised).__name__})
            return error(code, message or str(raised), status)
    logger.exception("unexpected error", extra={"error_type": type(raised).__name__})
    return error("INTERNAL", "an unexpected error occurred; it has been logged", 500)


# Known errors: code, message (None = the exception's own, written to be shown), status.
# Order matters: subclasses before their bases (TransientStorageError before StorageError).
_KNOWN_ERRORS: dict[type[Exception], tuple[str, str | None, int]] = {
    InvalidPlate: ("PLATE_INVALID", None, 400),
    InvalidHotlistEntry: ("HOTLIST_ENTRY_INVALID", None, 400),
    HotlistFileError: ("HOTLIST_FILE_INVALID", None, 400),
    CletsNotVerified: ("CLETS_VERIFICATION_REQUIRED", None, 400),
    InvalidDisposition: ("DISPOSITION_INVALID", None, 400),
    InvalidPageToken: ("PAGE_TOKEN_INVALID", None, 400),
    InvalidMonth: ("MONTH_INVALID", None, 400),
    ReportNotFound: ("NOT_FOUND", "no report has been built for that month", 404),
    PolicyDocumentUnavailable: ("POLICY_DOCUMENT_UNAVAILABLE", None, 503),
    HoldNotFound: ("NOT_FOUND", "no such hold", 404),
    HoldRequestNotFound: ("NOT_FOUND", "no such hold request", 404),
    LoginFailed: ("LOGIN_FAILED", None, 401),
    MfaSetupFailed: ("MFA_SETUP_FAILED", None, 401),
    PasswordRejected: ("PASSWORD_REJECTED", None, 400),
    ReadNotFound: ("NOT_FOUND", "no such read (it may have been purged)", 404),
    AlertNotFound: ("NOT_FOUND", "no such alert", 404),
    ReleaseNotFound: ("NOT_FOUND", "no such release request", 404),
    AgencyNotFound: ("NOT_FOUND", "no such directory entry", 404),
    AlertNotOpen: ("ALERT_NOT_OPEN", None, 409),
    CredentialChanged: ("CONFLICT", None, 409),
    AuditUnavailable: ("AUDIT_UNAVAILABLE",
                       "the access record could not be written, so nothing was returned", 503),
    TransientStorageError: ("TRY_AGAIN", "the service is busy; try again shortly", 503),
    StorageError: ("STORAGE_ERROR", "a storage service failed; try again later", 503),
}

_SECURITY_HEADERS: dict[str, str | list[str]] = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
}
