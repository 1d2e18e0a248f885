from pathlib import Path

from chalicelib.openapi_export import render

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_committed_openapi_document_matches_the_routes() -> None:
    """Regenerate with `make openapi` when routes change."""
    assert DOCUMENT.read_text(encoding="utf-8") == render()


def test_every_protected_operation_names_its_permission_and_refusals() -> None:
    import json

    document = json.loads(render())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if "security" in operation and "cognito" in operation["security"][0]:
                assert operation["x-permission"], (method, path)
                assert {"401", "403", "503"} <= set(operation["responses"]), (method, path)
