"""Units of the schedule area: ICS writing (folding, escaping, durations), urgency, recurrence."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from crmcli.errors import ValidationError
from crmcli.services import ics, recurrence, urgency

UTC = timezone.utc
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


# --- ics ---------------------------------------------------------------------------------------------


def test_escape():
    assert ics.escape("a\\b;c,d\ne\r\nf") == "a\\\\b\\;c\\,d\\ne\\nf"


@pytest.mark.parametrize("text", ["x" * 74, "x" * 75, "x" * 76, "x" * 300, "长" * 100, "a" + "长" * 100, "é" * 80])
def test_fold_keeps_lines_within_75_octets_and_characters_whole(text):
    folded = ics.fold("SUMMARY:" + text)
    assert folded.endswith("\r\n")
    lines = folded[:-2].split("\r\n")
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    assert all(line.startswith(" ") for line in lines[1:])
    assert lines[0] + "".join(line[1:] for line in lines[1:]) == "SUMMARY:" + text


@pytest.mark.parametrize("delta, text", [
    (timedelta(minutes=-15), "-PT15M"), (timedelta(days=-1), "-P1D"), (timedelta(0), "PT0S"),
    (timedelta(hours=1, minutes=30), "PT1H30M"), (timedelta(days=-2, hours=-3), "-P2DT3H"),
])
def test_duration(delta, text):
    assert ics.duration(delta) == text


# --- urgency -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("days_overdue, factor", [(None, 0.0), (30, 1.0), (7, 1.0), (0, 0.7333), (-14, 0.2),
                                                  (-30, 0.2), (-7, 0.4667)])
def test_due_factor_follows_taskwarrior(days_overdue, factor):
    due = None if days_overdue is None else NOW - timedelta(days=days_overdue)
    assert urgency.due_factor(due, NOW) == factor


def test_terms_and_score():
    found = urgency.terms(due=NOW - timedelta(days=10), priority="medium", created=NOW - timedelta(days=730),
                          now=NOW, participants=2)
    assert {t.name: t.value for t in found} == {"due": 12.0, "overdue": 3.0, "priority": 3.9, "age": 2.0,
                                                "amount": 0.0, "participants": 1.0}
    assert urgency.score(found) == 21.9


# --- recurrence --------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, rule", [
    ("daily", (1, "day", "every")), ("Weekly", (1, "week", "every")), ("monthly", (1, "month", "every")),
    ("every 2 weeks", (2, "week", "every")), ("every 3d", (3, "day", "every")), ("every month", (1, "month", "every")),
    ("5 days after done", (5, "day", "after")), ("after 2w", (2, "week", "after")),
])
def test_parse(text, rule):
    parsed = recurrence.parse(text)
    assert (parsed.n, parsed.unit, parsed.mode) == rule


@pytest.mark.parametrize("text", ["every 0 days", "0 days after done", "every -1 weeks", "every 2 fortnights", "",
                                  "sometimes"])
def test_parse_refuses(text):
    with pytest.raises(ValidationError):
        recurrence.parse(text)


def test_next_due_keeps_local_time_across_dst_and_month_ends():
    berlin = ZoneInfo("Europe/Berlin")
    due = datetime(2026, 10, 20, 9, 0, tzinfo=berlin).astimezone(UTC)  # CEST
    following = recurrence.next_due(recurrence.Rule(1, "week", "every"), due, due, berlin)
    assert following.astimezone(berlin).hour == 9 and following.astimezone(berlin).day == 27  # CET by then
    jan31 = datetime(2027, 1, 31, 9, 0, tzinfo=UTC)
    assert recurrence.next_due(recurrence.Rule(1, "month", "every"), jan31, jan31, UTC) == datetime(2027, 2, 28, 9, 0,
                                                                                                      tzinfo=UTC)
    done = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    assert recurrence.next_due(recurrence.Rule(3, "day", "after"), None, done, UTC) == done + timedelta(days=3)


def test_next_due_past_the_date_range_ends_the_series():
    late = datetime(2200, 12, 20, 9, 0, tzinfo=UTC)
    assert recurrence.next_due(recurrence.Rule(1, "month", "every"), late, late, UTC) is None
    end_of_time = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)  # stored before the range existed
    assert recurrence.next_due(recurrence.Rule(1, "day", "every"), end_of_time, late, UTC) is None


def test_next_due_of_a_series_years_late_is_the_first_after_now():
    due = datetime(1990, 1, 31, 9, 0, tzinfo=UTC)
    done = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert recurrence.next_due(recurrence.Rule(1, "month", "every"), due, done, UTC) == datetime(
        2026, 11, 30, 9, 0, tzinfo=UTC)
    assert recurrence.next_due(recurrence.Rule(1, "day", "every"), due, done, UTC) == datetime(
        2026, 11, 21, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["every 3m", "every 2 min", "5 m after done", "every 2h"])
def test_a_recurrence_in_minutes_or_hours_is_refused_with_the_mo_hint(text):
    with pytest.raises(ValidationError) as info:
        recurrence.parse(text)
    assert info.value.hint == "m is minutes; write mo for months, e.g. 'every 3mo'"
    assert recurrence.parse(text.replace("3m", "3mo")).unit == "month" if "3m" in text else True


def test_ics_years_always_have_four_digits():
    assert ics.utc(datetime(1, 1, 1, tzinfo=UTC)) == "00010101T000000Z"
    assert ics.day(datetime(987, 6, 5).date()) == "09870605"
    assert ics.utc(datetime(2026, 12, 1, 14, 30, tzinfo=ZoneInfo("Asia/Shanghai"))) == "20261201T063000Z"
