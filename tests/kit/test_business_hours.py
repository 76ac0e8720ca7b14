"""Business hours: open or closed now, when the team is back, and what a tenant may save."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from frontdesk.kit.business_hours import BusinessHours, is_open, next_opening

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS_9_TO_18 = {
    day: [{"start": "09:00", "end": "12:30"}, {"start": "14:00", "end": "18:00"}]
    for day in ("mon", "tue", "wed", "thu", "fri")
}


def hours(**overrides: object) -> BusinessHours:
    return BusinessHours.model_validate({"timezone": "Europe/Paris", "weekly": WEEKDAYS_9_TO_18, **overrides})


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


def test_open_during_an_interval_and_closed_at_lunch_at_night_and_on_weekends() -> None:
    h = hours()
    assert is_open(h, paris(2026, 12, 1, 10, 0))  # a Tuesday morning
    assert not is_open(h, paris(2026, 12, 1, 13, 0))  # lunch
    assert not is_open(h, paris(2026, 12, 1, 18, 0))  # the end is exclusive
    assert not is_open(h, paris(2026, 12, 5, 11, 0))  # Saturday
    assert is_open(h, datetime(2026, 12, 1, 9, 30, tzinfo=UTC))  # 10:30 in Paris


def test_the_visitor_is_told_when_the_team_is_back() -> None:
    h = hours()
    assert next_opening(h, paris(2026, 12, 1, 10, 0)) == paris(2026, 12, 1, 10, 0)  # open now
    assert next_opening(h, paris(2026, 12, 1, 13, 0)) == paris(2026, 12, 1, 14, 0)
    assert next_opening(h, paris(2026, 12, 4, 19, 0)) == paris(2026, 12, 7, 9, 0)  # Friday night → Monday
    closed = hours(closed_dates=[date(2026, 12, 24), date(2026, 12, 25)])
    assert next_opening(closed, paris(2026, 12, 23, 18, 30)) == paris(2026, 12, 28, 9, 0)
    assert next_opening(hours(weekly={}), paris(2026, 12, 1, 10, 0)) is None  # never open: no answer


def test_nine_oclock_is_nine_oclock_local_across_a_daylight_saving_change() -> None:
    h = hours()
    # Paris moves to summer time on Sunday 29 March 2026: Monday opens at 9:00 local = 07:00 UTC
    assert next_opening(h, paris(2026, 3, 27, 19, 0)) == paris(2026, 3, 30, 9, 0)
    assert next_opening(h, paris(2026, 3, 27, 19, 0)).astimezone(UTC).hour == 7  # type: ignore[union-attr]
    assert is_open(h, datetime(2026, 3, 30, 7, 30, tzinfo=UTC))
    assert not is_open(h, datetime(2026, 3, 30, 7, 30, tzinfo=UTC).replace(day=27, hour=7))  # winter: 8:30


def test_until_midnight() -> None:
    h = hours(weekly={"sat": [{"start": "20:00", "end": "24:00"}]})
    assert is_open(h, paris(2026, 12, 5, 23, 59))
    assert not is_open(h, paris(2026, 12, 6, 0, 0))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "IANA time zone"),
        ({"timezone": "../../etc/passwd"}, "IANA time zone"),
        ({"timezone": "UTC", "weekly": {"mon": [{"start": "9:00", "end": "18:00"}]}}, "HH:MM"),
        (
            {"timezone": "UTC", "weekly": {"mon": [{"start": "09:00", "end": "25:00"}]}},
            "between 00:00 and 24:00",
        ),
        (
            {"timezone": "UTC", "weekly": {"mon": [{"start": "18:00", "end": "09:00"}]}},
            "start must be before end",
        ),
        (
            {
                "timezone": "UTC",
                "weekly": {"mon": [{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]},
            },
            "overlap",
        ),
        (
            {
                "timezone": "UTC",
                "weekly": {"mon": [{"start": f"{h:02}:00", "end": f"{h:02}:30"} for h in range(7)]},
            },
            "at most 6",
        ),
        ({"timezone": "UTC", "weekly": {"someday": []}}, "someday"),
        ({"timezone": "UTC", "closed_dates": ["2026-01-01"] * 367}, "at most 366"),
    ],
)
def test_a_schedule_that_makes_no_sense_is_refused_when_saved(body: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        BusinessHours.model_validate(body)
