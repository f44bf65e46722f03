"""crmcli.dates (every date a user types) and crmcli.clock (CRM_NOW), with a fixed 'now'."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from crmcli import clock
from crmcli.dates import parse_date, parse_datetime, parse_due, parse_duration, parse_range
from crmcli.errors import ExitCode, UsageError, ValidationError

UTC = timezone.utc
SH = ZoneInfo("Asia/Shanghai")
# Wednesday 18 November 2026, 10:30 in Shanghai (02:30 UTC)
NOW = datetime(2026, 11, 18, 2, 30, tzinfo=UTC)


def sh(*args) -> datetime:
    """A Shanghai wall-clock time as the UTC instant the parser returns."""
    return datetime(*args, tzinfo=SH).astimezone(UTC)


@pytest.mark.parametrize("text, expected", [
    ("now", NOW),
    ("today", sh(2026, 11, 18)),
    ("TODAY", sh(2026, 11, 18)),
    ("tomorrow", sh(2026, 11, 19)),
    ("yesterday", sh(2026, 11, 17)),
    ("今天", sh(2026, 11, 18)),
    ("明天", sh(2026, 11, 19)),
    ("后天", sh(2026, 11, 20)),
    ("昨天", sh(2026, 11, 17)),
    # weekday names: the next such day after today (today is a Wednesday)
    ("friday", sh(2026, 11, 20)),
    ("next friday", sh(2026, 11, 20)),
    ("fri", sh(2026, 11, 20)),
    ("monday", sh(2026, 11, 23)),
    ("wednesday", sh(2026, 11, 25)),
    ("thu", sh(2026, 11, 19)),
    ("周一", sh(2026, 11, 23)),
    ("星期天", sh(2026, 11, 22)),
    # offsets in days and more count from today's midnight; hours and minutes from now
    ("+3d", sh(2026, 11, 21)),
    ("-2w", sh(2026, 11, 4)),
    ("+1mo", sh(2026, 12, 18)),
    ("+2months", sh(2027, 1, 18)),
    ("+1y", sh(2027, 11, 18)),
    ("+ 10 days", sh(2026, 11, 28)),
    ("+4h", NOW + timedelta(hours=4)),
    ("-30min", NOW - timedelta(minutes=30)),
    ("+30m", NOW + timedelta(minutes=30)),  # m is minutes, everywhere
    ("+3mo", sh(2027, 2, 18)),  # mo is months
    # period starts and ends
    ("sod", sh(2026, 11, 18)),
    ("eod", sh(2026, 11, 18, 23, 59, 59)),
    ("sow", sh(2026, 11, 16)),
    ("eow", sh(2026, 11, 22, 23, 59, 59)),
    ("som", sh(2026, 11, 1)),
    ("eom", sh(2026, 11, 30, 23, 59, 59)),
    ("soy", sh(2026, 1, 1)),
    ("eoy", sh(2026, 12, 31, 23, 59, 59)),
    # anything dateutil reads; no offset means the user's zone
    ("2026-12-01", sh(2026, 12, 1)),
    ("2026-12-01 14:30", sh(2026, 12, 1, 14, 30)),
    ("2026-12-01T14:30:00+00:00", datetime(2026, 12, 1, 14, 30, tzinfo=UTC)),
    ("2026-12-01T14:30:00Z", datetime(2026, 12, 1, 14, 30, tzinfo=UTC)),
    ("Dec 3", sh(2026, 12, 3)),
    ("  2026-12-01  ", sh(2026, 12, 1)),
])
def test_parse_datetime(text, expected):
    result = parse_datetime(text, SH, NOW)
    assert result == expected
    assert result.tzinfo == UTC


@pytest.mark.parametrize("text, expected", [
    ("tomorrow 10:00", sh(2026, 11, 19, 10, 0)),
    ("next monday 10:00", sh(2026, 11, 23, 10, 0)),
    ("fri 3pm", sh(2026, 11, 20, 15, 0)),
    ("fri at 3:30pm", sh(2026, 11, 20, 15, 30)),
    ("+2d 9:30", sh(2026, 11, 20, 9, 30)),
    ("today 18:00", sh(2026, 11, 18, 18, 0)),
    ("明天 10点", sh(2026, 11, 19, 10, 0)),
    ("明天 10点半", sh(2026, 11, 19, 10, 30)),
    ("周五 14:00", sh(2026, 11, 20, 14, 0)),
])
def test_a_day_word_with_a_time_of_day(text, expected):
    assert parse_datetime(text, SH, NOW) == expected
    assert parse_due(text, SH, NOW) == expected  # a time was given: not the end of the day


@pytest.mark.parametrize("text", ["tomorrow 25:00", "tomorrow 10:75", "fri 13pm", "+4h 10:00"])
def test_a_day_word_with_an_impossible_time_is_refused(text):
    with pytest.raises(ValidationError):
        parse_datetime(text, SH, NOW)


def test_month_offsets_keep_to_the_end_of_shorter_months():
    jan31 = datetime(2027, 1, 31, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
    assert parse_datetime("+1mo", SH, jan31) == sh(2027, 2, 28)
    assert parse_datetime("-3mo", SH, jan31) == sh(2026, 10, 31)
    assert parse_datetime("+1mo", SH, datetime(2028, 1, 31, 4, tzinfo=UTC)) == sh(2028, 2, 29)
    assert parse_datetime("+1y", SH, datetime(2028, 2, 29, 4, tzinfo=UTC)) == sh(2029, 2, 28)


def test_today_is_the_users_day_not_utcs():
    late = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)  # already 01:00 on the 23rd in Shanghai
    assert parse_date("today", SH, late) == date(2026, 11, 23)
    assert parse_date("today", UTC, late) == date(2026, 11, 22)
    assert parse_datetime("today", SH, late) == datetime(2026, 11, 22, 16, 0, tzinfo=UTC)
    new_york = ZoneInfo("America/New_York")
    assert parse_date("today", new_york, late) == date(2026, 11, 22)


def test_eow_on_a_sunday_is_that_same_sunday():
    sunday = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
    assert parse_date("eow", SH, sunday) == date(2026, 11, 22)
    assert parse_date("sunday", SH, sunday) == date(2026, 11, 29)


def test_parse_due_means_the_end_of_a_day_given_without_a_time():
    assert parse_due("2026-12-01", SH, NOW) == sh(2026, 12, 1, 23, 59, 59)
    assert parse_due("tomorrow", SH, NOW) == sh(2026, 11, 19, 23, 59, 59)
    assert parse_due("+3d", SH, NOW) == sh(2026, 11, 21, 23, 59, 59)
    assert parse_due("2026-12-01 14:30", SH, NOW) == sh(2026, 12, 1, 14, 30)
    assert parse_due("+4h", SH, NOW) == NOW + timedelta(hours=4)


@pytest.mark.parametrize("text, expected", [
    ("Dec 1 3pm", sh(2026, 12, 1, 15)),
    ("2026-12-01 9 a.m.", sh(2026, 12, 1, 9)),
    ("2026-12-01T14", sh(2026, 12, 1, 14)),
    ("14:30", sh(2026, 11, 18, 14, 30)),
])
def test_parse_due_keeps_a_time_of_day_however_it_is_written(text, expected):
    assert parse_due(text, SH, NOW) == expected


def test_parse_date_gives_a_calendar_day():
    assert parse_date("tomorrow", SH, NOW) == date(2026, 11, 19)
    assert parse_date("eom", SH, NOW) == date(2026, 11, 30)
    assert parse_date("2027-02-03", SH, NOW) == date(2027, 2, 3)


@pytest.mark.parametrize("text, since, until", [
    ("2026-11-01..2026-11-30", sh(2026, 11, 1), sh(2026, 11, 30, 23, 59, 59)),
    ("-7d..", sh(2026, 11, 11), None),
    ("..eom", None, sh(2026, 11, 30, 23, 59, 59)),
    ("2026-11-01", sh(2026, 11, 1), None),
    ("today..tomorrow", sh(2026, 11, 18), sh(2026, 11, 19, 23, 59, 59)),
    ("2026-11-01 09:00..2026-11-01 18:00", sh(2026, 11, 1, 9), sh(2026, 11, 1, 18)),
])
def test_parse_range(text, since, until):
    assert parse_range(text, SH, NOW) == (since, until)


@pytest.mark.parametrize("text", ["..", "", "nope..", "2026-11-01..nope"])
def test_bad_ranges(text):
    with pytest.raises(ValidationError):
        parse_range(text, SH, NOW)


@pytest.mark.parametrize("text, expected", [
    ("30min", timedelta(minutes=30)), ("12h", timedelta(hours=12)), ("7d", timedelta(days=7)),
    ("2w", timedelta(weeks=2)), ("1mo", timedelta(days=30)), ("1y", timedelta(days=365)),
    (" 3 days ", timedelta(days=3)), ("2 Hours", timedelta(hours=2)), ("0d", timedelta(0)),
])
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "-3d", "+3d", "3", "3 fortnights", "1.5d"])
def test_bad_durations(text):
    with pytest.raises(ValidationError) as info:
        parse_duration(text)
    assert info.value.message == f"cannot read the duration '{text}'"
    assert info.value.hint == "for example 30m, 12h, 7d, 2w or 1mo (m is minutes, mo months)"
    assert info.value.exit_code == ExitCode.VALIDATION


@pytest.mark.parametrize("text, expected", [
    ("30m", timedelta(minutes=30)), ("15 m", timedelta(minutes=15)), ("3mo", timedelta(days=90)),
    ("2 months", timedelta(days=60)), ("100y", timedelta(days=36_500)),
])
def test_m_is_minutes_and_mo_months_in_durations(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["101y", "36526d", "99999999999999999999d", "9" * 5000 + "m"])
def test_durations_past_a_hundred_years_are_refused(text):
    with pytest.raises(ValidationError) as info:
        parse_duration(text)
    assert info.value.message.startswith("the duration '") and info.value.message.endswith("' is out of range")
    assert info.value.hint == "durations go up to 100 years"


# --- the range: 1900-01-01 … 2200-12-31 -------------------------------------------------------


@pytest.mark.parametrize("text", ["9999-12-31", "0001-01-01", "1899-12-31", "2201-01-01", "+100000y", "-200y",
                                  "+99999999999999999999d", "+9999999999w", "+999999999999h", "-3000000mo",
                                  "9999-12-31 23:59", "+100000y 10:00"])
def test_dates_outside_the_range_are_refused(text):
    with pytest.raises(ValidationError) as info:
        parse_datetime(text, SH, NOW)
    assert info.value.message == f"the date '{text}' is out of range"
    assert info.value.hint == "dates go from 1900-01-01 to 2200-12-31"
    assert info.value.exit_code == ExitCode.VALIDATION
    with pytest.raises(ValidationError):
        parse_due(text, SH, NOW)
    with pytest.raises(ValidationError):
        parse_date(text, SH, NOW)


@pytest.mark.parametrize("text", ["1900-01-01", "2200-12-31", "2200-12-31 23:59"])
def test_the_ends_of_the_range_are_accepted_in_any_zone(text):
    for zone in (SH, UTC, ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Pacific/Pago_Pago")):
        assert parse_datetime(text, zone, NOW).tzinfo == UTC
        assert parse_due(text, zone, NOW).tzinfo == UTC


def test_a_refused_value_is_quoted_short_and_without_control_characters():
    with pytest.raises(ValidationError) as info:
        parse_datetime("\x1b[31m" + "x" * 100_000, SH, NOW)
    assert info.value.message == "cannot read the date '\\x1b[31m" + "x" * 55 + "…'"


@pytest.mark.parametrize("text", ["notadate", "", "   ", "2026-13-45", "+3x", "next blursday", "99:99"])
def test_bad_dates_are_validation_errors(text):
    with pytest.raises(ValidationError) as info:
        parse_datetime(text, SH, NOW)
    assert info.value.message == f"cannot read the date '{text}'"
    assert info.value.exit_code == ExitCode.VALIDATION == 6


# --- the clock and CRM_NOW ------------------------------------------------------------------


def test_crm_now_fixes_the_time(monkeypatch):
    monkeypatch.setenv("CRM_NOW", "2026-11-22T09:00:00+08:00")
    assert clock.now() == datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
    assert clock.now().tzinfo == UTC
    # and every relative date follows it
    assert parse_date("tomorrow", SH) == date(2026, 11, 23)
    assert parse_datetime("now", UTC) == datetime(2026, 11, 22, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize("value, expected", [
    ("2026-11-22T09:00:00Z", datetime(2026, 11, 22, 9, tzinfo=UTC)),
    ("2026-11-22T09:00:00", datetime(2026, 11, 22, 9, tzinfo=UTC)),  # no offset: UTC
    ("2026-11-22", datetime(2026, 11, 22, tzinfo=UTC)),
    (" 2026-11-22T09:00:00-05:00 ", datetime(2026, 11, 22, 14, tzinfo=UTC)),
])
def test_crm_now_forms(monkeypatch, value, expected):
    monkeypatch.setenv("CRM_NOW", value)
    assert clock.now() == expected


def test_a_malformed_crm_now_is_a_usage_error(monkeypatch):
    monkeypatch.setenv("CRM_NOW", "soon")
    with pytest.raises(UsageError) as info:
        clock.now()
    assert info.value.message == "CRM_NOW is not an ISO 8601 time: soon"
    assert info.value.exit_code == 2


def test_without_crm_now_the_clock_is_real(monkeypatch):
    monkeypatch.delenv("CRM_NOW", raising=False)
    before = datetime.now(UTC)
    now = clock.now()
    after = datetime.now(UTC)
    assert now.tzinfo == UTC
    assert before <= now <= after
