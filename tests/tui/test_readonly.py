"""Read-only sessions are enforced where writes happen: the database session refuses them.

``crm tui --readonly`` (or ``crm --read-only tui``) runs the app and every palette command on
a read-only runtime, so no screen, form or command line can write — not only the keys that
know they write.
"""

from __future__ import annotations

from sqlalchemy import func, select

from tests.tui.conftest import pilot_test, settle, toast_messages

SIZE = (80, 24)


def _count(session, model) -> int:
    with session() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def _toasts(app) -> list[str]:
    return toast_messages(app)


@pilot_test
async def test_the_palette_runs_any_command_read_only(make_app, session):
    """Before, `task add show …` ran: "show" looked like a reading verb."""
    from crmcli.store.models.schedule import Task
    from crmcli.tui.screens.cli_output import CliOutputScreen

    tasks = _count(session, Task)
    app = make_app(readonly=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.action_run_command("task add show --due today")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CliOutputScreen)
        result = app.screen.result
        assert result.code == 4
        assert "this session is read-only" in result.err
        await pilot.press("escape")
        await settle(pilot)
        app.action_run_command("task list --format tsv")  # reading works as before
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.result.code == 0 and "准备报价单" in app.screen.result.out
    assert _count(session, Task) == tasks


@pilot_test
async def test_a_screen_that_forgets_read_only_is_refused_by_the_session(make_app, session, monkeypatch):
    from crmcli.store.models.schedule import Task
    from crmcli.tui.screens.base import ViewScreen

    monkeypatch.setattr(ViewScreen, "refuse_write", lambda self: False)
    app = make_app(readonly=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#due").selected_key == "task:2"
        await pilot.press("space")
        await settle(pilot)
        assert app.is_running
        assert any(t.startswith("this session is read-only; nothing was written") for t in _toasts(app)), _toasts(app)
        assert not any("done" in t for t in _toasts(app))
    with session() as s:
        assert s.get(Task, 2).status == "open"


def test_every_write_of_the_data_layer_is_refused(make_app, session):
    from crmcli.errors import ReadOnlySession
    from crmcli.store.models import AuditLog
    from crmcli.tui.data_pipeline import BoardFilter

    app = make_app(readonly=True)
    data = app.data
    card = data.board(BoardFilter()).columns[0].cards[0]
    logged = _count(session, AuditLog)
    writes = {
        "done": lambda: data.complete_task(2),
        "snooze": lambda: data.snooze_task(3, "tomorrow 09:00"),
        "follow": lambda: data.follow("customer", 1, "phone", "note"),
        "follow lead": lambda: data.follow_lead(1, "phone", "note"),
        "claim": lambda: data.claim_customer(4),
        "transfer": lambda: data.transfer_customer(1, "wangfang"),
        "advance": lambda: data.move_card(card, 1),
        "win": lambda: data.win_card(card, ""),
        "lose": lambda: data.lose_card(card, "too dear"),
    }
    for name, write in writes.items():
        try:
            said = write()
        except ReadOnlySession as exc:
            assert exc.exit_code == 4 and "this session is read-only" in exc.message, name
        else:
            raise AssertionError(f"{name} wrote in a read-only session: {said}")
    assert _count(session, AuditLog) == logged


@pilot_test
async def test_the_global_read_only_option_makes_the_app_read_only(seeded):
    """``crm --read-only tui`` (or CRM_READ_ONLY=1): the runtime says so, the app follows."""
    from crmcli.runtime import Runtime
    from crmcli.tui.app import CrmApp
    from crmcli.tui.data import Data

    data = Data(Runtime(user="admin", command_line="crm tui", read_only=True))
    data.open()
    assert data.readonly and data.session.readonly
    app = CrmApp(data, start="today")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        described = {b.binding.action: b.binding.description for b in app.screen.active_bindings.values()}
        assert described["done"] == "Done (read-only)"


@pilot_test
async def test_a_palette_command_that_changes_without_inserting_is_refused_too(make_app, session):
    """A change only a commit would flush (an UPDATE) is refused too, not reported done."""
    from crmcli.store.models import Lead

    app = make_app(readonly=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.action_run_command("lead invalidate 2 --reason x")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        result = app.screen.result
    with session() as s:
        assert s.get(Lead, 2).status == "new"
    assert result.code == 4 and "this session is read-only" in result.err, result
