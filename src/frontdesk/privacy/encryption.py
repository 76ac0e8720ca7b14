"""Field encryption: secrets a tenant gives us (its LLM key, Crisp credentials, every future
integration credential) are stored as AES-256-GCM ciphertext, never as plaintext.

A stored value reads ``enc:v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>``. The key id
(a fingerprint of the key, not its position) says which of ``FRONTDESK_ENCRYPTION_KEYS``
wrote it: new values use the newest key, any listed key decrypts, and ``frontdesk secrets
rotate`` rewrites old values with the newest so the old keys can then be dropped.

Two ways in, both on the process's keyring (installed by ``Runtime.start``):
- a column: ``mapped_column(EncryptedString(1000))`` — Python sees plaintext, the database
  ciphertext;
- a JSON document: ``encrypt()``/``decrypt()`` on the secret fields, and the column marked
  ``info=SECRET_DOCUMENT`` so that rotation finds them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import structlog
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

from frontdesk.kit.errors import FrontdeskError

if TYPE_CHECKING:
    from frontdesk.config import Settings

PREFIX = "enc:v1:"
NONCE_BYTES = 12
# Marks a JSON column whose documents hold ``encrypt()``ed strings (at any depth): rotation walks it.
SECRET_DOCUMENT = {"secret_document": True}

log = structlog.get_logger()


class SecretUnreadable(FrontdeskError):
    """A stored secret does not decrypt with the configured keys (a missing or wrong key, or
    an altered value). The client gets a plain 500; the message (for logs) names the key id."""

    status, code, title = 500, "secret_unreadable", "A stored secret cannot be read"

    def __init__(self, reason: str) -> None:
        super().__init__(
            "A stored credential cannot be decrypted with this deployment's encryption keys. "
            "The operator has been told."
        )
        self.reason = reason
        log.error("encryption.secret_unreadable", reason=reason)

    def __str__(self) -> str:
        return self.reason


def key_id(key: bytes) -> str:
    """A public fingerprint of a key (8 hex digits) that names it in the ciphertext."""
    return hashlib.sha256(b"frontdesk encryption key id:" + key).hexdigest()[:8]


def is_encrypted(value: str) -> bool:
    return value.startswith(PREFIX)


class Keyring:
    """The deployment's encryption keys, newest first."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ValueError("a keyring needs at least one key")
        self._ciphers = {key_id(key): AESGCM(key) for key in keys}
        if len(self._ciphers) != len(keys):
            raise ValueError("two encryption keys have the same id")
        self.newest = key_id(keys[0])

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyring:
        return cls(settings.encryption_key_bytes)

    @property
    def key_ids(self) -> list[str]:
        return list(self._ciphers)

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self.newest].encrypt(nonce, plaintext.encode(), None)
        return f"{PREFIX}{self.newest}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, stored: str) -> str:
        if not is_encrypted(stored):
            raise SecretUnreadable(
                "a stored secret is not encrypted: run `frontdesk migrate`, then `frontdesk secrets rotate`"
            )
        kid, _, body = stored.removeprefix(PREFIX).partition(":")
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise SecretUnreadable(
                f"a stored secret was encrypted with key {kid}, which is not in FRONTDESK_ENCRYPTION_KEYS "
                f"(configured: {', '.join(self._ciphers)}); add that key back (after the newest) and run "
                "`frontdesk secrets rotate`"
            )
        try:
            raw = base64.b64decode(body, altchars=b"-_", validate=True)
            return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None).decode()
        except (InvalidTag, binascii.Error, ValueError, UnicodeDecodeError):
            raise SecretUnreadable(
                f"a stored secret does not decrypt with key {kid}: the value was altered, or that key id "
                "belongs to another key"
            ) from None

    def is_current(self, stored: str) -> bool:
        return stored.startswith(f"{PREFIX}{self.newest}:")

    def reencrypt(self, stored: str) -> str | None:
        """The value under the newest key, or None when it already is (plaintext is encrypted)."""
        if self.is_current(stored):
            return None
        return self.encrypt(self.decrypt(stored) if is_encrypted(stored) else stored)


_keyring: Keyring | None = None


def install_keyring(keyring: Keyring | None) -> Keyring | None:
    """Make ``keyring`` the process's (``Runtime.start``; tests); returns the one it replaces."""
    global _keyring
    previous, _keyring = _keyring, keyring
    return previous


def current_keyring() -> Keyring:
    if _keyring is None:
        raise RuntimeError("no encryption keyring installed (Runtime.start installs one from the settings)")
    return _keyring


def encrypt(plaintext: str) -> str:
    return current_keyring().encrypt(plaintext)


def decrypt(stored: str) -> str:
    return current_keyring().decrypt(stored)


class EncryptedString(TypeDecorator[str]):
    """A string column stored encrypted under the process's keyring.

    Size it for the ciphertext: about 4/3 of the plaintext (in UTF-8 bytes) plus 56 characters. Rows cannot be
    looked up by its value (every encryption differs)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else encrypt(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else decrypt(value)
