"""Date-range query parameters: ISO 8601, UTC when no offset is given, ``since`` before ``until``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator

from frontdesk.kit.time import to_utc


def _to_utc(value: datetime) -> datetime:
    try:
        return to_utc(value)
    except OverflowError as exc:
        raise ValueError("date is out of range") from exc


UtcDatetime = Annotated[datetime, AfterValidator(_to_utc)]


def check_range(since: datetime | None, until: datetime | None) -> None:
    """422 (like any validation error) when the range is empty."""
    if since is not None and until is not None and since >= until:
        raise RequestValidationError(
            [{"loc": ("query", "until"), "msg": "must be later than 'since'", "type": "value_error"}]
        )
