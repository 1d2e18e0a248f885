"""python -m chalicelib.openapi_export > docs/openapi.json (make openapi)."""

from __future__ import annotations

import json

from chalicelib.openapi import openapi_document


def render() -> str:
    from app import api

    return json.dumps(openapi_document(api.routes), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(render(), end="")
