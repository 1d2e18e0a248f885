"""What API Gateway adds around the API function that `chalice local` leaves out.

API Gateway gives every request an id: the function sees it as `requestContext.requestId`
(the access record stores it) and the client gets it back in the `x-amzn-RequestId` header, so
a response can be matched to its audit record. `chalice local` does neither; this request
handler does both, and otherwise leaves chalice's local gateway as it is.
"""

from __future__ import annotations

import uuid
from http.server import HTTPServer
from typing import Any

from chalice import Chalice
from chalice.config import Config
from chalice.local import (
    ChaliceRequestHandler,
    CustomLocalChalice,
    LocalChalice,
    LocalGateway,
)

REQUEST_ID_HEADER = "x-amzn-RequestId"


class RequestIdGateway(LocalGateway):
    """chalice's local gateway, plus API Gateway's request id in the event and the response."""

    request_id = ""

    def _generate_lambda_event(self, method: str, path: str, headers: Any,
                               body: bytes | None) -> Any:
        event = super()._generate_lambda_event(method, path, headers, body)
        self.request_id = str(uuid.uuid4())
        event["requestContext"]["requestId"] = self.request_id
        return event

    def handle_request(self, method: str, path: str, headers: Any,
                       body: bytes | None) -> Any:
        response = super().handle_request(method, path, headers, body)
        if self.request_id:
            response["headers"][REQUEST_ID_HEADER] = self.request_id
        return response


class GatewayRequestHandler(ChaliceRequestHandler):
    """One HTTP request, served through a RequestIdGateway (one per request, as in chalice)."""

    def __init__(self, request: bytes, client_address: tuple[str, int], server: HTTPServer,
                 app_object: Chalice, config: Config) -> None:
        self.local_gateway = RequestIdGateway(app_object, config)
        # Skip ChaliceRequestHandler.__init__, which would install its own gateway.
        super(ChaliceRequestHandler, self).__init__(request, client_address, server)


def adapt_app(app: Chalice) -> None:
    """Give the app thread-local current_request, as chalice's create_local_server does."""
    if not isinstance(app, LocalChalice):
        CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
        app.__class__ = CustomLocalChalice
