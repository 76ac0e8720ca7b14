"""Access tokens: short-lived JWTs (HS256, PyJWT), keyed from the deployment secret.

Claims: ``sub`` user id, ``sid`` session id, ``tid`` tenant id (absent for platform users),
``role`` tenant role, ``prole`` platform role, ``typ`` "access", ``iat``/``exp``. A token is
checked against its session on use (a revoked session's tokens stop at once).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

import jwt

from frontdesk.kit.time import utcnow

ALGORITHM = "HS256"
ISSUER = "frontdesk"
ACCESS_TTL = timedelta(minutes=15)
REFRESH_TTL = timedelta(days=30)


def _signing_key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), b"frontdesk-jwt-v1", hashlib.sha256).digest()


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    tenant_id: uuid.UUID | None
    role: str | None
    platform_role: str | None


class TokenError(Exception):
    pass


def issue_access(secret_key: str, claims: AccessClaims, *, ttl: timedelta = ACCESS_TTL) -> str:
    now = utcnow()
    payload: dict[str, object] = {
        "iss": ISSUER,
        "typ": "access",
        "sub": str(claims.user_id),
        "sid": str(claims.session_id),
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    if claims.tenant_id is not None:
        payload["tid"] = str(claims.tenant_id)
        payload["role"] = claims.role
    if claims.platform_role:
        payload["prole"] = claims.platform_role
    return jwt.encode(payload, _signing_key(secret_key), algorithm=ALGORITHM)


def read_access(secret_key: str, token: str) -> AccessClaims:
    try:
        data = jwt.decode(
            token,
            _signing_key(secret_key),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "sid", "typ"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("The access token has expired: refresh it.") from None
    except jwt.PyJWTError:
        raise TokenError("Invalid access token.") from None
    if data.get("typ") != "access":
        raise TokenError("Invalid access token.")
    try:
        return AccessClaims(
            user_id=uuid.UUID(data["sub"]),
            session_id=uuid.UUID(data["sid"]),
            tenant_id=uuid.UUID(data["tid"]) if data.get("tid") else None,
            role=data.get("role"),
            platform_role=data.get("prole"),
        )
    except (ValueError, TypeError):
        raise TokenError("Invalid access token.") from None


def new_opaque_token() -> str:
    """Refresh, invitation and reset tokens: random, shown once, stored as SHA-256."""
    return secrets.token_urlsafe(32)


def invitation_token(secret_key: str, invitation_id: uuid.UUID) -> str:
    """An invitation's link token: the same every time it is made for the same invitation (a job
    that runs twice mails the same, still valid, link), unguessable without the secret key."""
    mac = hmac.new(secret_key.encode(), b"frontdesk.invitation:" + invitation_id.bytes, hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
