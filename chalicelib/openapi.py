"""The OpenAPI 3 document, generated from the routes as they are declared in app.py."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from chalicelib.domain.access import Permission, Purpose
from chalicelib.web import RouteSpec

STRING: dict[str, Any] = {"type": "string"}
DATE: dict[str, Any] = {"type": "string", "format": "date"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
INTEGER: dict[str, Any] = {"type": "integer"}
NUMBER: dict[str, Any] = {"type": "number"}
DATE_TIME: dict[str, Any] = {"type": "string", "format": "date-time"}

_SUCCESS = {200: "OK", 201: "Created"}
_ERROR = {"type": "object", "required": ["error", "message"],
          "properties": {"error": STRING, "message": STRING}}


def openapi_document(routes: Iterable[RouteSpec]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in sorted(routes, key=lambda item: (item.path, item.method)):
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Platekeeper ALPR API", "version": "1.0",
                 "description": "Every data access names a purpose from a fixed list and a "
                                "case number, and is recorded before data is returned. "
                                "Purposes: " + ", ".join(item.value for item in Purpose)},
        "components": {
            "securitySchemes": {
                "cognito": {"type": "http", "scheme": "bearer",
                            "bearerFormat": "Cognito ID token (JWT)"},
                "camera": {"type": "apiKey", "in": "header", "name": "X-Camera-Credential"},
            },
            "schemas": {"Error": _ERROR},
        },
        "paths": paths,
    }


def _operation(route: RouteSpec) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": route.summary,
        "operationId": re.sub(r"[^A-Za-z0-9]+", "_", f"{route.method}_{route.path}").strip("_"),
        "responses": {
            str(route.success_status): {"description": _SUCCESS[route.success_status]},
            "400": _error_response("The request is malformed or breaks a rule"),
            "500": _error_response("Unexpected error"),
            # Not found, conflict, body too large, ...: every error has the same body.
            "default": _error_response("Any other error"),
        },
    }
    parameters = [{"name": name, "in": "path", "required": True, "schema": STRING}
                  for name in re.findall(r"{(\w+)}", route.path)]
    parameters += [{"name": name, "in": "query", "required": False, "schema": STRING}
                   for name in route.query_parameters]
    if parameters:
        operation["parameters"] = parameters
    if route.request_schema is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"type": "object", "properties": route.request_schema}}}}
    if route.camera:
        operation["security"] = [{"camera": []}]
        operation["responses"]["401"] = _error_response("Unknown, revoked or inactive camera")
    if route.permission is not None:
        operation["security"] = [{"cognito": []}]
        operation["x-permission"] = route.permission.value
        operation["responses"].update({
            "401": _error_response("Not signed in"),
            "403": _error_response("Refused: account state, training, certification or role"),
            "503": _error_response("The access record could not be written; nothing returned"),
        })
    return operation


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


__all__ = ["BOOLEAN", "DATE", "DATE_TIME", "INTEGER", "NUMBER", "STRING", "Permission",
           "openapi_document"]
