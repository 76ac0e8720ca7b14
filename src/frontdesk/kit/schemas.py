"""Base for request bodies: unknown fields rejected, no NUL characters (PostgreSQL refuses them)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator


def _reject_nul(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    if isinstance(value, list | tuple | set):
        for item in value:
            _reject_nul(item)
    if isinstance(value, dict):
        for key, item in value.items():
            _reject_nul(key)
            _reject_nul(item)
    return value


CleanStr = Annotated[str, AfterValidator(_reject_nul)]

EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$"
_EMAIL = re.compile(EMAIL_PATTERN)


def normalize_email(value: str) -> str:
    """Trimmed and lower-cased, then checked: lower-casing can lengthen text ("İ" → "i̇")."""
    email = value.strip().lower()
    if len(email) > 320 or not _EMAIL.match(email):
        raise ValueError("must be a valid email address (at most 320 characters)")
    return email


# Every email the API accepts: the form it is stored and compared in.
Email = Annotated[str, Field(max_length=320, examples=["owner@example.com"]), AfterValidator(normalize_email)]


class InputModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return _reject_nul(value)
