"""Field encryption: what the keyring writes can only be read back with the right key."""

from __future__ import annotations

import base64

import pytest

from frontdesk.config import new_encryption_key
from frontdesk.privacy.encryption import Keyring, SecretUnreadable, is_encrypted, key_id

OLD, NEW, OTHER = (base64.urlsafe_b64decode(new_encryption_key()) for _ in range(3))


def test_ciphertext_hides_the_secret_and_names_its_key() -> None:
    keyring = Keyring([OLD])
    stored = keyring.encrypt("sk-canary-0001")
    assert is_encrypted(stored) and stored.startswith(f"enc:v1:{key_id(OLD)}:")
    assert "canary" not in stored and "sk-" not in stored
    assert keyring.encrypt("sk-canary-0001") != stored  # a fresh nonce every time
    assert keyring.decrypt(stored) == "sk-canary-0001"


def test_newest_key_encrypts_and_any_listed_key_decrypts() -> None:
    written_with_old = Keyring([OLD]).encrypt("old secret")
    both = Keyring([NEW, OLD])
    assert both.decrypt(written_with_old) == "old secret"
    assert both.encrypt("x").startswith(f"enc:v1:{key_id(NEW)}:")
    rotated = both.reencrypt(written_with_old)
    assert rotated is not None and both.is_current(rotated)
    assert both.reencrypt(rotated) is None  # already under the newest key
    assert Keyring([NEW]).decrypt(rotated) == "old secret"
    left_in_plaintext = both.reencrypt("sk-canary-plain")  # rotation encrypts stray plaintext too
    assert left_in_plaintext is not None and both.decrypt(left_in_plaintext) == "sk-canary-plain"


def test_a_missing_key_is_a_clear_error_not_garbage() -> None:
    stored = Keyring([OLD]).encrypt("sk-canary-0002")
    with pytest.raises(SecretUnreadable) as info:
        Keyring([OTHER]).decrypt(stored)
    assert key_id(OLD) in str(info.value) and "FRONTDESK_ENCRYPTION_KEYS" in str(info.value)
    assert info.value.status == 500 and "sk-canary" not in info.value.detail


@pytest.mark.parametrize(
    "tamper",
    [
        lambda s: s[:-4] + ("AAAA" if not s.endswith("AAAA") else "BBBB"),  # altered ciphertext or tag
        lambda s: s.replace(s.split(":")[2], key_id(OTHER)),  # another key's id on this value
        lambda s: s[:30],  # truncated
        lambda s: s + "!!",  # not base64
        lambda s: "sk-canary-plaintext",  # plaintext where ciphertext belongs
    ],
)
def test_a_tampered_value_is_refused(tamper) -> None:
    keyring = Keyring([OLD, OTHER])
    with pytest.raises(SecretUnreadable):
        keyring.decrypt(tamper(keyring.encrypt("sk-canary-0003")))
