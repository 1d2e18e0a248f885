"""An asymmetric KMS key (ECC_NIST_P256, SIGN_VERIFY): signs without the private key ever
leaving KMS, and hands out its public key so anyone can check signatures offline."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.errors import StorageError, translate
from chalicelib.domain.signatures import MAX_MESSAGE_BYTES, SIGNING_ALGORITHM


class SigningUnavailable(StorageError):
    """KMS refused or failed to sign (or to give the public key)."""


class KmsSigningKey:
    def __init__(self, kms: Any, key_id: str) -> None:
        self._kms = kms
        self.key_id = key_id
        self._public_key: bytes | None = None

    def sign(self, message: bytes) -> bytes:
        """The ECDSA_SHA_256 signature of the message (RAW: KMS hashes it itself)."""
        if len(message) > MAX_MESSAGE_BYTES:
            raise ValueError(f"KMS signs at most {MAX_MESSAGE_BYTES} bytes; sign a digest")
        try:
            response = self._kms.sign(KeyId=self.key_id, Message=message, MessageType="RAW",
                                      SigningAlgorithm=SIGNING_ALGORITHM)
        except ClientError as error:
            raise SigningUnavailable(str(translate(error, "sign with the KMS key"))) from error
        return bytes(response["Signature"])

    def public_key(self) -> bytes:
        """The DER-encoded public key (fetched once per process)."""
        if self._public_key is None:
            try:
                response = self._kms.get_public_key(KeyId=self.key_id)
            except ClientError as error:
                raise SigningUnavailable(
                    str(translate(error, "read the KMS public key"))) from error
            self._public_key = bytes(response["PublicKey"])
        return self._public_key
