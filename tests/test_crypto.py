import base64
import json

import pytest

from shared.config import LOCAL_ENCRYPTION_KEY
from shared.secrets.crypto import DecryptionError, LocalKeyWrapper, SecretBox


@pytest.fixture
def box():
    return SecretBox(LocalKeyWrapper(LOCAL_ENCRYPTION_KEY))


def test_sealed_secret_opens_at_its_own_place_only(box):
    sealed = box.seal("1//refresh-token-value", "accounts/123/refresh_token")
    assert "refresh-token-value" not in json.dumps(sealed)
    assert box.open(sealed, "accounts/123/refresh_token") == "1//refresh-token-value"
    with pytest.raises(DecryptionError):
        box.open(sealed, "accounts/456/refresh_token")


def test_each_seal_uses_a_fresh_data_key(box):
    first, second = box.seal("same", "ctx"), box.seal("same", "ctx")
    assert first["wrapped_key"] != second["wrapped_key"]
    assert first["ciphertext"] != second["ciphertext"]


def test_tampering_and_wrong_key_are_detected(box):
    sealed = box.seal("secret", "ctx")
    flipped = bytearray(base64.b64decode(sealed["ciphertext"]))
    flipped[0] ^= 1
    with pytest.raises(DecryptionError):
        box.open({**sealed, "ciphertext": base64.b64encode(flipped).decode()}, "ctx")
    other = SecretBox(LocalKeyWrapper(base64.b64encode(b"k" * 32).decode()))
    with pytest.raises(DecryptionError):
        other.open(sealed, "ctx")


def test_local_key_must_be_32_bytes():
    with pytest.raises(ValueError, match="32 bytes"):
        LocalKeyWrapper(base64.b64encode(b"short").decode())
