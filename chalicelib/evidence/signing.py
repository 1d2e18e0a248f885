"""The manifest signature: how a recipient tells a package this system produced from one rebuilt
by hand.

The manifest's SHA-256 lists every file's hash, so anyone can recompute a consistent manifest
for altered files. What they cannot make is `manifest.signature.json`: a KMS signature (the
evidence signing key, which only the API's role may use) over a short statement naming the
manifest's SHA-256. Verification needs the deployment's public key, from KMS or as a PEM file
the agency publishes; the package's own claim about its key is never trusted.

`sign_manifest` takes the finished manifest bytes, whatever fields the manifest holds.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.domain.signatures import (
    SIGNING_ALGORITHM,
    Signer,
    canonical_json,
    fingerprint,
    sha256_hex,
    signature_valid,
)

SIGNATURE_FILE = "manifest.signature.json"
SIGNATURE_FORMAT = "platekeeper-evidence-signature/1"
STATEMENT_TYPE = "platekeeper-evidence-manifest/1"


def sign_manifest(manifest: bytes, signer: Signer, signed_at: str) -> bytes:
    """The signature file for these exact manifest bytes."""
    statement = {"type": STATEMENT_TYPE, "manifest_sha256": sha256_hex(manifest),
                 "signed_at": signed_at}
    signature = signer.sign(canonical_json(statement))
    return json.dumps({
        "format": SIGNATURE_FORMAT,
        "statement": statement,
        "algorithm": SIGNING_ALGORITHM,
        "key_id": signer.key_id,
        "public_key_sha256": fingerprint(signer.public_key()),
        "signature": base64.b64encode(signature).decode("ascii"),
    }, indent=2, sort_keys=True).encode("utf-8")


class SignatureStatus(StrEnum):
    VALID = "valid"
    MISSING = "missing"
    UNREADABLE = "unreadable"
    MANIFEST_CHANGED = "manifest_changed"
    WRONG_KEY = "not_signed_by_the_key"
    NOT_CHECKED = "not_checked"


@dataclass(frozen=True)
class SignatureCheck:
    status: SignatureStatus
    detail: str
    signed_at: str = ""
    key_id: str = ""

    @property
    def valid(self) -> bool:
        return self.status is SignatureStatus.VALID


def check_manifest_signature(manifest: bytes, signature_file: bytes | None,
                             public_key: bytes | None) -> SignatureCheck:
    """Whether the evidence key signed exactly these manifest bytes."""
    if signature_file is None:
        return SignatureCheck(SignatureStatus.MISSING,
                              f"the package has no {SIGNATURE_FILE}: it was not signed by "
                              "this system (or the signature was removed)")
    try:
        document = json.loads(signature_file)
        statement = document["statement"]
        signature = base64.b64decode(document["signature"], validate=True)
        claimed_key = str(document.get("key_id", ""))
        valid_shape = (document.get("format") == SIGNATURE_FORMAT
                       and isinstance(statement, dict)
                       and statement.get("type") == STATEMENT_TYPE
                       and document.get("algorithm") == SIGNING_ALGORITHM)
    except (ValueError, KeyError, TypeError, binascii.Error):
        valid_shape = False
    if not valid_shape:
        return SignatureCheck(SignatureStatus.UNREADABLE,
                              f"{SIGNATURE_FILE} is not a manifest signature")
    signed_at = str(statement.get("signed_at", ""))
    if public_key is None:
        return SignatureCheck(SignatureStatus.NOT_CHECKED,
                              "no public key to check the signature against (give "
                              "--public-key, or run where the deployment's key can be read)",
                              signed_at, claimed_key)
    if not signature_valid(public_key, canonical_json(statement), signature):
        return SignatureCheck(SignatureStatus.WRONG_KEY,
                              f"the signature was not made by the evidence key (SHA-256 "
                              f"{fingerprint(public_key)[:16]}...): the package was not "
                              "produced by this system", signed_at, claimed_key)
    if statement.get("manifest_sha256") != sha256_hex(manifest):
        return SignatureCheck(SignatureStatus.MANIFEST_CHANGED,
                              "the manifest is not the one that was signed: the package was "
                              "rebuilt after it left this system", signed_at, claimed_key)
    return SignatureCheck(SignatureStatus.VALID,
                          f"manifest signed {signed_at} by the evidence key (SHA-256 "
                          f"{fingerprint(public_key)[:16]}...)", signed_at, claimed_key)
