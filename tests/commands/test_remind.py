"""``crm remind``: due reminders delivered once (stdout or SMTP), --dry-run, twice and overlapping runs,
and an unreachable SMTP server (reminders stay unsent and are retried; the error names the server).

The SMTP server is aiosmtpd, started by the tests on 127.0.0.1.
"""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from crmcli.store.models.schedule import Reminder
from tests.commands.test_bad_input import assert_refused  # noqa: F401

NOW = "2026-11-20T10:00:00+00:00"
LATER = "2026-11-24T09:00:00+00:00"


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)


def ok(result):
    assert result.code == 0, result
    return result


@pytest.fixture
def smtp():
    """A local SMTP server collecting messages: yields (port, messages)."""
    pytest.importorskip("aiosmtpd")
    from aiosmtpd.controller import Controller

    messages: list = []

    class Handler:
        delay = 0.0

        async def handle_DATA(self, server, session, envelope):
            import asyncio
            from email import message_from_bytes

            if Handler.delay:
                await asyncio.sleep(Handler.delay)
            messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, messages, Handler
    finally:
        controller.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def due(crm):
    """Reminders due at LATER: a task (admin), an event (admin and bob), a customer's next contact (bob)."""
    for args in (("user", "add", "bob", "--name", "Bob", "--email", "bob@example.com"),
                 ("user", "edit", "admin", "--email", "admin@example.com"),
                 ("task", "add", "Call Acme", "--due", "2026-11-24 10:00", "--remind", "1h"),
                 ("task", "add", "No reminder", "--due", "2026-11-24 10:00"),
                 ("task", "add", "Not yet", "--due", "2026-11-30 10:00", "--remind", "1d"),
                 ("event", "add", "Demo", "--start", "2026-11-24 09:30", "-p", "bob", "--remind", "30min"),
                 ("customer", "add", "Acme", "--owner", "bob", "--next", "2026-11-23 16:00")):
        ok(crm(*args))


def sent(session) -> list[tuple]:
    with session() as s:
        return [tuple(r) for r in s.execute(select(Reminder.source, Reminder.record_id, Reminder.user_id,
                                                   Reminder.channel, Reminder.sent_at.is_not(None))
                                            .order_by(Reminder.source, Reminder.record_id, Reminder.user_id))]


def test_dry_run_lists_and_writes_nothing(crm, session, due, monkeypatch):
    monkeypatch.setenv("CRM_NOW", LATER)
    rows = ok(crm("remind", "--dry-run", "--format", "tsv")).rows()
    assert [(r[1], r[2], r[3]) for r in rows[1:]] == [
        ("bob", "customer:1", "Contact Acme"), ("admin", "event:1", "Demo"), ("bob", "event:1", "Demo"),
        ("admin", "task:1", "Call Acme")]
    assert sent(session) == []


def test_stdout_delivery_once(crm, session, due, monkeypatch):
    monkeypatch.setenv("CRM_NOW", LATER)
    first = ok(crm("remind", "--json"))
    assert [(r["source"], r["ref"], r["user"], r["channel"]) for r in first.json()] == [
        ("followup:customer", "customer:1", "bob", "stdout"), ("event", "event:1", "admin", "stdout"),
        ("event", "event:1", "bob", "stdout"), ("task", "task:1", "admin", "stdout")]
    assert first.err == "4 reminders delivered.\n"
    second = ok(crm("remind", "--json"))
    assert second.json() == []
    assert len(sent(session)) == 4
    # moving the reminder makes a new one; a done task is not reminded
    ok(crm("task", "edit", "1", "--remind", "2026-11-24 08:59"))
    assert [r["ref"] for r in ok(crm("remind", "--json")).json()] == ["task:1"]


def test_a_rep_reminds_only_within_their_scope(crm, session, due, monkeypatch):
    monkeypatch.setenv("CRM_NOW", LATER)
    ok(crm("user", "add", "rep", "--role", "sales_rep"))
    assert ok(crm("remind", "--json", user="rep")).json() == []


def test_email_delivery(crm, session, due, smtp, monkeypatch):
    port, messages, _handler = smtp
    ok(crm("config", "set", "smtp.host", "127.0.0.1"))
    ok(crm("config", "set", "smtp.port", str(port)))
    ok(crm("config", "set", "smtp.from", "crm@starsea.example.com"))
    monkeypatch.setenv("CRM_NOW", LATER)
    result = ok(crm("remind", "--json"))
    assert {r["channel"] for r in result.json()} == {"email"}
    assert sorted((m[0][0], m[1]["Subject"]) for m in messages) == [
        ("admin@example.com", "[crm] Reminder: Call Acme"), ("admin@example.com", "[crm] Reminder: Demo"),
        ("bob@example.com", "[crm] Reminder: Contact Acme"), ("bob@example.com", "[crm] Reminder: Demo")]
    body = [m[1] for m in messages if m[1]["Subject"] == "[crm] Reminder: Call Acme"][0].get_payload()
    assert "When: 2026-11-24 10:00 UTC" in body and "Record: task:1" in body
    ok(crm("remind"))
    assert len(messages) == 4


def test_an_unreachable_smtp_server_leaves_reminders_unsent_for_the_next_run(crm, session, due, smtp, monkeypatch):
    port, messages, _handler = smtp
    dead = free_port()
    ok(crm("config", "set", "smtp.host", "127.0.0.1"))
    ok(crm("config", "set", "smtp.port", str(dead)))
    monkeypatch.setenv("CRM_NOW", LATER)
    result = crm("remind", "--json")
    assert result.code == 1
    assert result.err.startswith(f"0 reminders delivered.\ncrm: error: cannot reach the SMTP server 127.0.0.1:{dead}: ")
    assert result.err.endswith("(4 reminders stay unsent and are retried by the next run)\n")
    with session() as s:
        rows = list(s.execute(select(Reminder)).scalars())
    assert len(rows) == 4
    assert all(r.sent_at is None and r.claim is None and r.attempts == 1 for r in rows)
    assert all(r.last_error.startswith(f"cannot reach the SMTP server 127.0.0.1:{dead}") for r in rows)
    # the server is back: the next run sends them, once
    ok(crm("config", "set", "smtp.port", str(port)))
    assert len(ok(crm("remind", "--json")).json()) == 4
    assert len(messages) == 4
    with session() as s:
        assert s.execute(select(func.max(Reminder.attempts))).scalar() == 2


def test_a_user_without_email_gets_it_on_stdout(crm, session, smtp, monkeypatch):
    port, messages, _handler = smtp
    ok(crm("config", "set", "smtp.host", "127.0.0.1"))
    ok(crm("config", "set", "smtp.port", str(port)))
    ok(crm("task", "add", "X", "--due", "2026-11-20 11:00", "--remind", "2026-11-20 09:00"))
    assert [r["channel"] for r in ok(crm("remind", "--json")).json()] == ["stdout"]
    assert messages == []


def test_overlapping_runs_send_nothing_twice(crm, session, smtp, db_url, tmp_path):
    port, messages, handler = smtp
    handler.delay = 0.02
    ok(crm("user", "edit", "admin", "--email", "admin@example.com"))
    for i in range(40):
        ok(crm("task", "add", f"T{i}", "--due", "2026-11-20 11:00", "--remind", "2026-11-20 09:00"))
    config = tmp_path / "cron.toml"
    config.write_text(f'[smtp]\nhost = "127.0.0.1"\nport = {port}\n', encoding="utf-8")
    env = {"CRM_DATABASE_URL": db_url, "CRM_USER": "admin", "CRM_NOW": NOW, "CRM_CONFIG": str(config),
           "CRM_LANG": "en", "TZ": "UTC"}
    import os

    full = {**os.environ, **env}
    procs = [subprocess.Popen([sys.executable, "-m", "crmcli", "remind", "--json"], env=full,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    import json

    delivered = [r["record_id"] for out, _err in outputs for r in json.loads(out)]
    assert sorted(delivered) == list(range(1, 41))
    assert len(messages) == 40
    assert len({m[1]["Subject"] for m in messages}) == 40


def test_the_config_keys(crm, monkeypatch, tmp_path):
    import os
    import tomllib

    shown = {r["key"] for r in ok(crm("config", "show", "--json")).json()}
    assert {"urgency.due", "urgency.overdue", "urgency.priority.high", "urgency.age", "urgency.age_days",
            "urgency.amount", "urgency.amount_max", "urgency.participants", "smtp.host", "smtp.port", "smtp.user",
            "smtp.password", "smtp.from", "smtp.tls"} <= shown
    for key, value in (("urgency.due", "10"), ("urgency.age", "1.5"), ("urgency.age_days", "180"),
                       ("smtp.port", "587"), ("smtp.tls", "starttls")):
        ok(crm("config", "set", key, value))
    data = tomllib.loads(open(os.environ["CRM_CONFIG"], encoding="utf-8").read())
    assert data == {"urgency": {"due": 10.0, "age": 1.5, "age_days": 180.0}, "smtp": {"port": 587, "tls": "starttls"}}
    assert_refused(crm("config", "set", "urgency.due", "lots"), 6, "crm: error: 'lots' is not a number\n")
    assert_refused(crm("config", "set", "smtp.port", "70000"), 6,
                   "crm: error: '70000' is not a port number (1-65535)\n")
    assert_refused(crm("config", "set", "smtp.tls", "tls1.3"), 6,
                   "crm: error: unknown TLS mode 'tls1.3' (hint: one of: none, starttls, ssl)\n")
