"""Signatures made outside the database: ECDSA P-256 with SHA-256, as KMS signs (ECDSA_SHA_256).

The private key never leaves KMS; anyone holding the public key checks a signature offline.
Signed messages are canonical JSON that names what they are (`type`), so a signature over one
kind of statement can never be passed off as another. Pure: bytes in, a verdict out.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

SIGNING_ALGORITHM = "ECDSA_SHA_256"
# KMS signs RAW messages of at most 4096 bytes; larger content is signed through its SHA-256.
MAX_MESSAGE_BYTES = 4096


class Signer(Protocol):
    """A signing key held elsewhere (adapters/signing_key.KmsSigningKey)."""

    key_id: str

    def sign(self, message: bytes) -> bytes: ...

    def public_key(self) -> bytes: ...


class PublicKeyInvalid(ValueError):
    """The bytes are not an ECC P-256 public key."""


def canonical_json(value: Any) -> bytes:
    """The one byte form of a JSON value that is signed and hashed (sorted keys, no spaces)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fingerprint(public_key_der: bytes) -> str:
    """SHA-256 of the DER public key: what people compare to know they hold the same key."""
    return sha256_hex(public_key_der)


def _load(public_key_der: bytes) -> ec.EllipticCurvePublicKey:
    try:
        key = serialization.load_der_public_key(public_key_der)
    except (ValueError, UnsupportedAlgorithm) as error:
        raise PublicKeyInvalid("not a DER-encoded public key") from error
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise PublicKeyInvalid("not an ECC_NIST_P256 public key")
    return key


def check_public_key(public_key_der: bytes) -> None:
    """Raise PublicKeyInvalid unless the bytes are an ECC P-256 public key."""
    _load(public_key_der)


def signature_valid(public_key_der: bytes, message: bytes, signature: bytes) -> bool:
    """Whether `signature` is the key's ECDSA_SHA_256 signature of `message`."""
    try:
        _load(public_key_der).verify(signature, message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def public_key_pem(public_key_der: bytes) -> str:
    """The public key as PEM text, to hand to people who verify offline."""
    pem = _load(public_key_der).public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem.decode("ascii")


def public_key_from_pem(pem: bytes) -> bytes:
    """The DER bytes of a PEM public key (as `public_key_pem` writes it)."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, UnsupportedAlgorithm) as error:
        raise PublicKeyInvalid("not a PEM public key") from error
    der = key.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    check_public_key(der)
    return der
