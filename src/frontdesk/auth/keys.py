"""API key material: generation, hashing, parsing. No I/O here."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

PREFIXES = {"secret": "fd_sk_", "publishable": "fd_pk_"}
VISIBLE_CHARS = 6  # shown after the type prefix so a user can tell keys apart


@dataclass(frozen=True)
class NewKeyMaterial:
    plaintext: str
    prefix: str
    hash: str


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def generate_key(key_type: str) -> NewKeyMaterial:
    """A key with 32 bytes of randomness (43 url-safe characters)."""
    plaintext = PREFIXES[key_type] + secrets.token_urlsafe(32)
    return NewKeyMaterial(
        plaintext, plaintext[: len(PREFIXES[key_type]) + VISIBLE_CHARS], hash_key(plaintext)
    )


def looks_like_key(value: str) -> bool:
    return value.startswith(tuple(PREFIXES.values())) and 20 <= len(value) <= 200
