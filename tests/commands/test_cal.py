"""``crm cal``: day/week/month views of events and dated tasks in the user's zone, --user/--team/--dept
with data scope, and ``crm cal export --ics`` / ``crm task export --ics`` (parsed strictly by icalendar,
imported by ``khal import --batch`` when khal is installed)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.commands.test_bad_input import assert_refused

NOW = "2026-11-20T10:00:00+00:00"  # a Friday


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)


def ok(result):
    assert result.code == 0, result
    return result


@pytest.fixture
def org(crm):
    for args in (("dept", "add", "Sales"), ("dept", "add", "East", "--parent", "Sales"),
                 ("user", "add", "mgr", "--dept", "Sales", "--role", "sales_manager", "--email", "mgr@example.com"),
                 ("user", "add", "rep", "--dept", "East", "--role", "sales_rep", "--timezone", "Asia/Shanghai"),
                 ("user", "add", "rep2", "--dept", "East", "--role", "sales_rep"),
                 ("event", "add", "Rep call", "--start", "2026-11-20 01:30", "--duration", "30min", "-p", "rep"),
                 ("event", "add", "Standup", "--start", "2026-11-18 09:00", "-p", "rep,rep2"),
                 ("event", "add", "Expo", "--start", "2026-11-23", "--end", "2026-11-24", "--all-day", "-p", "mgr"),
                 ("task", "add", "Report", "--due", "2026-11-21 17:00", "--assignee", "rep")):
        ok(crm(*args))


def test_week_for_a_user_in_their_time_zone(crm, org):
    result = ok(crm("cal", "--week", "--format", "plain", user="rep"))
    assert result.err == "Calendar of rep, 2026-11-16 to 2026-11-22 (Asia/Shanghai)\n"
    out = result.out
    assert "2026-11-18 Wed\nwhen         type   id  subject  participants      location\n" \
           "17:00–18:00  event   2  Standup  admin, rep, rep2\n" in out
    assert "2026-11-20 Fri\nwhen         type   id  subject   participants  location\n" \
           "09:30–10:00  event   1  Rep call  admin, rep\n" in out
    assert "2026-11-21 Sat\n\n  (nothing)" in out
    assert "2026-11-22 Sun\nwhen       type  id  subject  participants  location\ndue 01:00  task   1  Report   rep\n" in out  # 17:00 UTC on the 21st is 01:00 on the 22nd in Shanghai


def test_machine_output_and_month(crm, org):
    rows = ok(crm("cal", "--month", "--team", "--json")).json()
    assert [(r["ref"], r["start"]) for r in rows] == [
        ("event:2", "2026-11-18T09:00:00+00:00"), ("event:1", "2026-11-20T01:30:00+00:00"),
        ("task:1", "2026-11-21T17:00:00+00:00"), ("event:3", "2026-11-23T00:00:00+00:00")]
    grid = ok(crm("cal", "--month", "--team", "--format", "plain")).out
    assert "    16     17   18·1     19 [20·1]   21·1     22" in grid
    assert "  23·1   24·1     25     26     27     28     29" in grid


def test_day_and_dept_and_scope(crm, org):
    rows = ok(crm("cal", "--day", "--date", "2026-11-18", "--dept", "East", "--json", user="mgr")).json()
    assert [r["title"] for r in rows] == ["Standup"]
    assert_refused(crm("cal", "--user", "rep2", user="rep"), 4,
                   "crm: error: rep2's calendar is outside your data scope\n")
    assert_refused(crm("cal", "--dept", "Sales", user="rep"), 4,
                   "crm: error: department Sales is outside your data scope\n")
    assert_refused(crm("cal", "--day", "--week"), 2, "crm: error: give one of --day, --week and --month\n")


def test_ics_export_parses_strictly_and_is_stable(crm, org, tmp_path):
    icalendar = pytest.importorskip("icalendar")
    ok(crm("task", "add", "Weekly", "--due", "2026-11-27 17:00", "--recur", "every 2 weeks", "--remind", "1h",
           "--priority", "high", "-d", "line one\nline two; with, commas", "--assignee", "mgr"))
    ok(crm("event", "edit", "3", "--remind", "1d", "-d", "长描述" * 30))
    path = tmp_path / "mgr.ics"
    result = ok(crm("cal", "export", "--ics", path, "--tasks", user="mgr"))
    assert result.err == f"Wrote 1 events and 1 tasks to {path}.\n"
    data = path.read_bytes()
    assert data.startswith(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    assert b"\n" not in data.replace(b"\r\n", b"")
    cal = icalendar.Calendar.from_ical(data.decode("utf-8"))
    assert [(c.name, c.errors) for c in cal.walk() if c.errors] == []  # nothing icalendar had to tolerate
    assert [c.name for c in cal.walk()] == ["VCALENDAR", "VEVENT", "VALARM", "VTODO", "VALARM"]
    [event] = cal.walk("VEVENT")
    assert str(event["UID"]) == "crm-event-3@crmcli"
    assert event.decoded("DTSTART").isoformat() == "2026-11-23"
    assert event.decoded("DTEND").isoformat() == "2026-11-25"
    assert str(event["DESCRIPTION"]) == "长描述" * 30
    assert int(event["SEQUENCE"]) == 1
    [alarm] = event.walk("VALARM")
    assert str(alarm.decoded("TRIGGER")) == "-1 day, 0:00:00"
    [todo] = cal.walk("VTODO")
    assert str(todo["UID"]) == "crm-task-2@crmcli"
    assert str(todo["DESCRIPTION"]) == "line one\nline two; with, commas"
    assert str(todo["RRULE"].to_ical(), "ascii") == "FREQ=DAILY;INTERVAL=2".replace("DAILY", "WEEKLY")
    assert int(todo["PRIORITY"]) == 1
    again = tmp_path / "again.ics"
    ok(crm("cal", "export", "--ics", again, "--tasks", user="mgr"))
    assert again.read_bytes() == data  # the same export, byte for byte (DTSTAMP is CRM_NOW)
    tasks_ics = ok(crm("task", "export", "--ics", "-", "--assignee", "mgr")).out
    parsed = icalendar.Calendar.from_ical(tasks_ics)
    assert [str(t["SUMMARY"]) for t in parsed.walk("VTODO")] == ["Weekly"]
    assert [c.errors for c in parsed.walk() if c.errors] == []


@pytest.mark.skipif(shutil.which("khal") is None, reason="khal is not installed")
def test_khal_imports_the_export_and_a_re_export_updates(crm, org, tmp_path):
    path = tmp_path / "crm.ics"
    ok(crm("cal", "export", "--ics", path, "--team"))
    cal_dir = tmp_path / "calendars" / "crm"
    cal_dir.mkdir(parents=True)
    config = tmp_path / "khal.conf"
    config.write_text(f"[calendars]\n[[crm]]\npath = {cal_dir}\n\n[locale]\ntimeformat = %H:%M\n"
                      "dateformat = %Y-%m-%d\nlongdateformat = %Y-%m-%d\ndatetimeformat = %Y-%m-%d %H:%M\n"
                      "longdatetimeformat = %Y-%m-%d %H:%M\ndefault_timezone = UTC\nlocal_timezone = UTC\n",
                      encoding="utf-8")
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"), "PATH": "/usr/bin:/bin", "TZ": "UTC",
           "LANG": "C.UTF-8"}

    def khal(*args):
        return subprocess.run(["khal", "-c", str(config), *args], capture_output=True, text=True, env=env, timeout=60)

    imported = khal("import", "--batch", "-a", "crm", str(path))
    assert imported.returncode == 0, imported
    assert len(list(cal_dir.glob("*.ics"))) == 3
    ok(crm("event", "edit", "2", "--title", "Standup (moved)", "--allow-conflict"))
    ok(crm("cal", "export", "--ics", path, "--team"))
    again = khal("import", "--batch", "-a", "crm", str(path))
    assert again.returncode == 0, again
    assert len(list(cal_dir.glob("*.ics"))) == 3  # updated, not duplicated
    listed = khal("list", "2026-11-18", "3d")
    assert "Standup (moved)" in listed.stdout, listed


def test_exporting_tasks_needs_task_view(crm, org):
    """A calendar-only role exports events but not tasks (the tasks are checked in the calendar service)."""
    ok(crm("role", "add", "Calendar only", "--scope", "all"))
    ok(crm("role", "grant", "Calendar only", "event.view"))
    ok(crm("user", "add", "viewer", "--dept", "Sales", "--role", "Calendar only"))
    assert "BEGIN:VEVENT" in ok(crm("cal", "export", "--ics", "-", "--team", user="viewer")).out
    result = crm("cal", "export", "--ics", "-", "--team", "--tasks", user="viewer")
    assert result.code == 4, result
    assert "VTODO" not in result.out
