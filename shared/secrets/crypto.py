"""Secrets at rest: envelope encryption of refresh tokens, client secrets and service-account keys.

Each secret gets its own random data key (AES-256-GCM); the data key is
wrapped by a key-encryption key that never leaves Cloud KMS in production, or
by the local key in local mode. The ciphertext is bound to where it is stored
(`context`, used as associated data), so a blob copied to another record does
not decrypt there.
"""

from __future__ import annotations

import base64
import functools
import os
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.config import Config


class KeyWrapper(Protocol):
    name: str

    def wrap(self, data_key: bytes) -> bytes: ...

    def unwrap(self, wrapped: bytes) -> bytes: ...


class LocalKeyWrapper:
    """Local mode: the key-encryption key comes from LOCAL_ENCRYPTION_KEY."""

    name = "local"

    def __init__(self, key_b64: str) -> None:
        key = base64.b64decode(key_b64)
        if len(key) != 32:
            raise ValueError("LOCAL_ENCRYPTION_KEY must be base64 of 32 bytes")
        self._aead = AESGCM(key)

    def wrap(self, data_key: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, data_key, b"data-key")

    def unwrap(self, wrapped: bytes) -> bytes:
        return self._aead.decrypt(wrapped[:12], wrapped[12:], b"data-key")


class KmsKeyWrapper:
    """Production: Cloud KMS wraps the data keys; the key-encryption key never leaves KMS."""

    def __init__(self, key_name: str) -> None:
        from google.cloud import kms

        self.name = key_name
        self._client = kms.KeyManagementServiceClient()

    def wrap(self, data_key: bytes) -> bytes:
        return self._client.encrypt(request={"name": self.name, "plaintext": data_key}).ciphertext

    def unwrap(self, wrapped: bytes) -> bytes:
        return self._client.decrypt(request={"name": self.name, "ciphertext": wrapped}).plaintext


class DecryptionError(RuntimeError):
    """A stored secret could not be opened (wrong key, tampered, or moved to another record)."""


class SecretBox:
    def __init__(self, wrapper: KeyWrapper) -> None:
        self._wrapper = wrapper

    def seal(self, plaintext: str, context: str) -> dict:
        """Encrypt `plaintext` for storage at `context` (e.g. "accounts/<sub>/refresh_token")."""
        data_key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(12)
        ciphertext = AESGCM(data_key).encrypt(nonce, plaintext.encode(), context.encode())
        return {
            "v": 1,
            "kek": self._wrapper.name,
            "wrapped_key": base64.b64encode(self._wrapper.wrap(data_key)).decode(),
            "nonce": base64.b64encode(nonce).decode(),
            "ciphertext": base64.b64encode(ciphertext).decode(),
        }

    def open(self, sealed: dict, context: str) -> str:
        try:
            data_key = self._wrapper.unwrap(base64.b64decode(sealed["wrapped_key"]))
            plaintext = AESGCM(data_key).decrypt(
                base64.b64decode(sealed["nonce"]),
                base64.b64decode(sealed["ciphertext"]),
                context.encode(),
            )
        except (InvalidTag, KeyError, ValueError) as exc:
            raise DecryptionError(f"cannot open the secret stored at {context}") from exc
        return plaintext.decode()


@functools.cache
def _box(kms_key_name: str | None, local_key: str | None) -> SecretBox:
    if kms_key_name:
        return SecretBox(KmsKeyWrapper(kms_key_name))
    if local_key:
        return SecretBox(LocalKeyWrapper(local_key))
    raise RuntimeError("no key-encryption key configured (KMS_KEY_NAME or LOCAL_ENCRYPTION_KEY)")


def secret_box(config: Config) -> SecretBox:
    return _box(config.kms_key_name, config.local_encryption_key)
