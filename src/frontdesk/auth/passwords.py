"""Passwords: argon2id hashes and the password policy."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 200
_COMMON = frozenset(
    {
        "password123",
        "password1234",
        "qwertyuiop",
        "1234567890",
        "0123456789",
        "iloveyou123",
        "letmein123",
        "welcome123",
        "administrator",
        "passw0rd123",
        "abcdefghij",
        "frontdesk123",
    }
)
_hasher = PasswordHasher()  # argon2id, the library's current recommended parameters


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def verify_async(password_hash: str, password: str) -> bool:
    """``verify_password`` off the event loop (argon2id takes tens of milliseconds on purpose)."""
    return await asyncio.to_thread(verify_password, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# A hash to verify against when the email is unknown, so both paths take the same time.
DUMMY_HASH = _hasher.hash("not a real password, only for timing")


def policy_problems(password: str, *, email: str = "") -> list[str]:
    """What is wrong with a new password (empty when it is acceptable)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        problems.append(f"at most {MAX_LENGTH} characters")
    if len(set(password)) < 4:
        problems.append("more than three different characters")
    lowered = password.lower()
    if lowered in _COMMON:
        problems.append("not a commonly used password")
    local = email.split("@", 1)[0].lower()
    if local and len(local) >= 4 and local in lowered:
        problems.append("not containing your email address")
    return problems
