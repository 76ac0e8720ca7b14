"""When a team is there to answer: a weekly schedule in the business's time zone, plus closed days.

``BusinessHours`` is what a tenant saves (validated then: a real IANA zone, ``HH:MM`` times with
the start before the end, at most ``MAX_INTERVALS`` a day and ``MAX_CLOSED_DATES`` closed days).
``is_open(hours, at)`` and ``next_opening(hours, at)`` answer in UTC-aware datetimes; the search for
the next opening looks at most ``MAX_DAYS_AHEAD`` days ahead, so a schedule closed every day costs
the same as any other. Local wall times go through ``zoneinfo``: on a daylight-saving change, 9:00
is 9:00 local on both sides of it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, field_validator, model_validator

from frontdesk.kit.schemas import InputModel

MAX_INTERVALS = 6  # a day's opening intervals
MAX_CLOSED_DATES = 366
MAX_DAYS_AHEAD = 400  # a year of closed days, then a week
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _clock(value: str) -> str:
    hours, sep, minutes = value.partition(":")
    if not (sep and len(hours) == 2 and len(minutes) == 2 and hours.isdigit() and minutes.isdigit()):
        raise ValueError("must be a time as HH:MM")
    if not ((int(hours) < 24 and int(minutes) < 60) or value == "24:00"):
        raise ValueError("must be a time between 00:00 and 24:00")
    return value


Clock = Annotated[str, Field(examples=["09:00"]), AfterValidator(_clock)]


class Interval(InputModel):
    start: Clock
    end: Clock  # "24:00": until midnight

    @model_validator(mode="after")
    def _ordered(self) -> Interval:
        if self.start >= self.end:
            raise ValueError("start must be before end (split a night shift at midnight)")
        return self


class BusinessHours(InputModel):
    timezone: str = Field(examples=["Europe/Paris"], max_length=64)
    weekly: dict[Weekday, list[Interval]] = Field(default_factory=dict)
    closed_dates: list[date] = Field(default_factory=list, max_length=MAX_CLOSED_DATES)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone such as Europe/Paris") from None
        return value

    @field_validator("weekly")
    @classmethod
    def _intervals(cls, value: dict[Weekday, list[Interval]]) -> dict[Weekday, list[Interval]]:
        for day, intervals in value.items():
            if len(intervals) > MAX_INTERVALS:
                raise ValueError(f"{day}: at most {MAX_INTERVALS} intervals a day")
            ordered = sorted(intervals, key=lambda i: i.start)
            for earlier, later in pairwise(ordered):
                if later.start < earlier.end:
                    raise ValueError(
                        f"{day}: intervals overlap ({earlier.start}–{earlier.end}, {later.start})"
                    )
            value[day] = ordered
        return value


def _at(day: date, clock: str, zone: ZoneInfo) -> datetime:
    if clock == "24:00":
        return datetime.combine(day + timedelta(days=1), time(0), zone)
    hours, minutes = clock.split(":")
    return datetime.combine(day, time(int(hours), int(minutes)), zone)


def _openings(hours: BusinessHours, day: date, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    if day in hours.closed_dates:
        return []
    return [
        (_at(day, i.start, zone), _at(day, i.end, zone))
        for i in hours.weekly.get(WEEKDAYS[day.weekday()], [])
    ]


def is_open(hours: BusinessHours, at: datetime) -> bool:
    """Whether ``at`` (timezone-aware) falls in an opening interval."""
    zone = ZoneInfo(hours.timezone)
    local = at.astimezone(zone)
    return any(start <= local < end for start, end in _openings(hours, local.date(), zone))


def next_opening(hours: BusinessHours, at: datetime) -> datetime | None:
    """When the team is next there, from ``at`` (``at`` itself when open now); None when the
    schedule has no opening in the next ``MAX_DAYS_AHEAD`` days."""
    zone = ZoneInfo(hours.timezone)
    local = at.astimezone(zone)
    for offset in range(MAX_DAYS_AHEAD):
        for start, end in _openings(hours, local.date() + timedelta(days=offset), zone):
            if local < end:
                return max(start, local)
    return None
