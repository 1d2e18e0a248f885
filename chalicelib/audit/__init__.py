"""Command-line tools for the access record: `python -m chalicelib.audit verify`."""

from __future__ import annotations

from chalicelib.domain.audit import ChainCheck, verify_chain

__all__ = ["ChainCheck", "verify_chain"]
