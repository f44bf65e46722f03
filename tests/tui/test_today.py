"""Pilot tests of the today view: crm today's sections, completing and snoozing tasks, following up,
opening a record."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from tests.tui.conftest import pilot_test, settle, toast_messages

SIZE = (80, 24)


def _table(app):
    return app.screen.query_one("#due")


async def _cursor_to(pilot, key: str) -> None:
    table = _table(pilot.app)
    table.move_cursor(row=table.keys.index(key))
    await pilot.pause()


def _task(session, task_id: int):
    from crmcli.store.models.schedule import Task

    with session() as s:
        return s.get(Task, task_id)


def _notes(app) -> list[str]:
    return toast_messages(app)


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


@pilot_test
async def test_today_shows_the_sections_of_crm_today(make_app, seeded):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.current_mode == "today"
        table = _table(app)
        assert table.keys == ["section:tasks", "task:2", "task:1", "task:3",  # not task 4, due next week
                              "section:followups", "customer:1", "lead:3", "lead:5"]  # lead 1's is task 1
        assert table.selected_key == "task:2"  # the cursor starts on the first item, not a heading
        overdue = table.values("task:2")["when"]
        assert overdue.plain == "2026-11-19 18:00" and "red" in str(overdue.style)
        assert table.values("section:tasks")["when"].plain == "Tasks (3)"
        assert "Today: 6 to do" in str(app.screen.query_one("#due-title").render())
    listed = seeded("today", "--format", "tsv").rows()[1:]
    assert [f"{row[1]}:{row[2]}" for row in listed] == [k for k in table.keys if not k.startswith("section")]


@pilot_test
async def test_space_completes_the_task(make_app, session):
    from crmcli.store.models import AuditLog

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("space")
        await settle(pilot)
        assert "task:2" not in _table(app).keys
        assert "Task 2 done." in _notes(app)
    task = _task(session, 2)
    assert task.status == "done"
    with session() as s:
        logged = s.execute(select(AuditLog).where(AuditLog.action == "task.done", AuditLog.record_id == 2)).scalar_one()
    assert logged.command == "crm tui: task done 2"


@pilot_test
async def test_a_task_done_meanwhile_is_reported(make_app, seeded, session):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert seeded("task", "done", "2").code == 0  # in another terminal
        await pilot.press("space")
        await settle(pilot)
        assert any("task 2 is already done" in n for n in _notes(app))


@pilot_test
async def test_space_on_something_else_than_a_task_says_so(make_app, session):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _cursor_to(pilot, "lead:3")
        await pilot.press("space", "s")
        await settle(pilot)
        assert any("Only a task" in n for n in _notes(app))
        assert app.screen is not None and app.current_mode == "today"


@pilot_test
async def test_snooze_asks_until_when_and_checks_it_through_the_service(make_app, session):
    from textual.widgets import Input, Static

    from crmcli.tui.screens.ask import AskScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _cursor_to(pilot, "task:3")
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, AskScreen)
        box = app.screen.query_one("#answer", Input)
        assert box.value == "tomorrow 09:00"
        box.value = "2026-11-01"
        await pilot.press("enter")
        await settle(pilot)
        assert "snooze until a time in the future" in str(app.screen.query_one("#error", Static).render())
        assert _task(session, 3).snoozed_until is None
        app.screen.query_one("#answer", Input).value = "tomorrow 09:00"
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, AskScreen)
        assert "task:3" not in _table(app).keys
    assert _as_utc(_task(session, 3).snoozed_until) == datetime(2026, 11, 21, 1, 0, tzinfo=timezone.utc)


@pilot_test
async def test_f_follows_up_the_record(make_app, session):
    from crmcli.store.models import FollowUp
    from crmcli.tui.screens.follow_up import FollowUpScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _cursor_to(pilot, "customer:1")
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, FollowUpScreen) and app.screen.kind == "customer"
        await pilot.press(*"打过电话", "ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, FollowUpScreen)
        assert "customer:1" not in _table(app).keys  # followed up: no longer due
    with session() as s:
        entries = list(s.execute(select(FollowUp).where(FollowUp.record_type == "customer")).scalars())
    assert [(e.record_id, e.content) for e in entries] == [(1, "打过电话")]


@pilot_test
async def test_enter_opens_the_record(make_app):
    from crmcli.tui.screens.customer_360 import Customer360Screen
    from crmcli.tui.screens.lead_detail import LeadDetailScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _cursor_to(pilot, "lead:3")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LeadDetailScreen) and app.screen.lead_id == 3
        await pilot.press("escape")
        await settle(pilot)
        await _cursor_to(pilot, "customer:1")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, Customer360Screen) and app.screen.customer_id == 1
        await pilot.press("escape")
        await settle(pilot)
        await _cursor_to(pilot, "task:2")
        await pilot.press("enter")  # a task: says how to see it
        await settle(pilot)
        assert app.current_mode == "today" and any("crm task show" in n for n in _notes(app))


@pilot_test
async def test_readonly_completes_nothing(make_app, session):
    app = make_app(readonly=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("space")
        await settle(pilot)
        assert any("read-only" in n for n in _notes(app))
    assert _task(session, 2).status == "open"
