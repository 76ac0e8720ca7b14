"""Crisp's web hook signature, as the official SDKs verify it.

Headers ``X-Crisp-Request-Timestamp`` and ``X-Crisp-Signature``; the signature is the hex
HMAC-SHA256, keyed with the hook's signing secret, of ``"[" + timestamp + ";" + body + "]"``.
node-crisp-api (``lib/crisp.ts`` ``__verifySignature``) signs ``JSON.stringify(body)`` of the
parsed body; go-crisp-api (``crisp/events.go``) signs the raw request bytes. Both are
accepted. Neither SDK checks the timestamp's age; we do (replays of an old, valid request are
refused), and accept it in seconds or milliseconds since the header's unit is undocumented.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import time
from typing import Any

TIMESTAMP_HEADER = "X-Crisp-Request-Timestamp"
SIGNATURE_HEADER = "X-Crisp-Signature"
MAX_AGE_SECONDS = 300
_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


class SignatureError(Exception):
    """Why a hook was refused (safe to show: it names no secret)."""


def compact_json(body: Any) -> str:
    """``JSON.stringify`` of a parsed body: no spaces, non-ASCII kept as is."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def sign(secret: str, timestamp: str, payload: str | bytes) -> str:
    text = payload.decode() if isinstance(payload, bytes) else payload
    trace = f"[{timestamp};{text}]"
    return hmac.new(secret.encode(), trace.encode(), hashlib.sha256).hexdigest()


def _seconds(timestamp: str) -> float:
    try:
        value = float(timestamp)
    except ValueError:
        raise SignatureError("The request timestamp is not a number.") from None
    if not math.isfinite(value):
        raise SignatureError("The request timestamp is not a number.")
    return value / 1000 if value > 1e11 else value  # milliseconds since the epoch


def verify(
    secret: str,
    timestamp: str | None,
    signature: str | None,
    raw_body: bytes,
    parsed_body: Any,
    *,
    now: float | None = None,
) -> None:
    """Raise ``SignatureError`` unless the request is signed with ``secret`` and fresh."""
    if not timestamp or not signature:
        raise SignatureError(f"Missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header.")
    age = (time.time() if now is None else now) - _seconds(timestamp)
    if abs(age) > MAX_AGE_SECONDS:
        raise SignatureError("The request timestamp is too old (or in the future).")
    given = signature.strip().lower()
    if not _HEX_SHA256.fullmatch(given):
        raise SignatureError("The request signature does not match.")
    for payload in (raw_body, compact_json(parsed_body)):
        try:
            expected = sign(secret, timestamp, payload)
        except UnicodeError:  # not UTF-8, or lone surrogates in the parsed body
            continue
        if hmac.compare_digest(expected, given):
            return
    raise SignatureError("The request signature does not match.")
