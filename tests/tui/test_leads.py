"""Pilot tests of the leads view: list, filters, detail, the follow-up modal, read-only, refresh."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from tests.tui.conftest import pilot_test, settle, toast_messages

SIZE = (80, 24)


def _table(app, name: str = "#records"):
    from crmcli.tui.widgets.record_table import RecordTable

    return app.screen.query_one(name, RecordTable)


async def _open_leads(pilot) -> None:
    await pilot.press("4")
    await settle(pilot)


async def _cursor_to(pilot, lead_id: int, table: str = "#records") -> None:
    keys = _table(pilot.app, table).keys
    _table(pilot.app, table).move_cursor(row=keys.index(str(lead_id)))
    await pilot.pause()


def _followups(session, lead_id: int) -> list:
    from crmcli.store.models import FollowUp

    with session() as s:
        return list(s.execute(select(FollowUp).where(FollowUp.record_type == "lead", FollowUp.record_id == lead_id)
                              .order_by(FollowUp.id)).scalars())


def _lead(session, lead_id: int):
    from crmcli.store.models import Lead

    with session() as s:
        return s.get(Lead, lead_id)


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


@pilot_test
async def test_leads_view_lists_my_leads_newest_first(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open_leads(pilot)
        assert app.current_mode == "leads"
        assert _table(app).keys == ["6", "5", "4", "3", "2", "1"]  # not wangfang's 7, not the pool's 8
        assert _table(app).has_focus
        summary = str(app.screen.query_one("#summary").render())
        assert "owner: me" in summary and "6 shown" in summary


@pilot_test
async def test_owner_and_status_filters(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open_leads(pilot)
        await pilot.press("o")  # everyone in my data scope
        await settle(pilot)
        assert _table(app).keys == ["8", "7", "6", "5", "4", "3", "2", "1"]
        await pilot.press("o")  # the lead pool
        await settle(pilot)
        assert _table(app).keys == ["8"]
        await pilot.press("o", "s")  # back to me; status: new
        await settle(pilot)
        assert _table(app).keys == ["5", "4", "3", "2"]
        await pilot.press("s", "s")  # qualifying, then converted (none: an empty state says so)
        await settle(pilot)
        assert not _table(app).display
        assert app.screen.query_one("#no-records").display


@pilot_test
async def test_search_filters_and_esc_clears_it(make_app):
    from textual.widgets import Input

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open_leads(pilot)
        await pilot.press("slash")
        box = app.screen.query_one("#search", Input)
        assert box.has_focus
        await pilot.press(*"Contoso")
        await pilot.pause(0.5)  # the search follows typing after a short pause
        await settle(pilot)
        assert _table(app).keys == ["2"]
        await pilot.press("q")  # typed into the search box: does not quit
        assert app.is_running and box.value == "Contosoq"
        await pilot.press("escape")
        await settle(pilot)
        assert not box.display
        assert _table(app).keys == ["6", "5", "4", "3", "2", "1"]


@pilot_test
async def test_enter_opens_the_lead_and_esc_comes_back(make_app):
    from crmcli.tui.screens.lead_detail import LeadDetailScreen
    from crmcli.tui.screens.leads import LeadsScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open_leads(pilot)
        await _cursor_to(pilot, 1)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LeadDetailScreen)
        fields = dict(app.screen.detail.fields)
        assert fields["company"] == "华为技术有限公司"
        assert fields["status"] == "qualifying"
        assert fields["next contact"] == "2026-11-20 11:00"  # Asia/Shanghai, the user's zone
        assert any("约了下周演示" in row.what for row in app.screen.detail.timeline)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LeadsScreen)
        assert _table(app).selected_key == "1"  # the cursor stayed on the lead


@pilot_test
async def test_follow_up_through_the_modal_is_written(make_app, session):
    from textual.widgets import Input, Select

    from crmcli.store.models import AuditLog
    from crmcli.tui.screens.follow_up import FollowUpScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open_leads(pilot)
        await _cursor_to(pilot, 3)
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, FollowUpScreen)
        app.screen.query_one("#via", Select).value = "wechat"
        await pilot.press(*"发了报价")
        app.screen.query_one("#next", Input).value = "2026-11-25 10:00"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, FollowUpScreen)
        row = _table(app)._records[_table(app).keys.index("3")][1]
        assert row["status"].plain == "qualifying" and row["next_contact"].plain == "2026-11-25 10:00"

    entries = _followups(session, 3)
    assert [(e.via, e.content) for e in entries] == [("wechat", "发了报价")]
    lead = _lead(session, 3)
    assert _as_utc(lead.next_contact_at) == datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)
    assert lead.status == "qualifying"
    with session() as s:
        logged = s.execute(select(AuditLog).where(AuditLog.action == "followup.add", AuditLog.record_id == 3)).scalar_one()
    assert logged.command == "crm tui: lead follow 3"


@pilot_test
async def test_the_modal_shows_the_services_validation_errors(make_app, session):
    from textual.widgets import Input, Static

    from crmcli.tui.screens.follow_up import FollowUpScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open_leads(pilot)
        await _cursor_to(pilot, 2)
        await pilot.press("f")
        await pilot.pause()
        await pilot.press("ctrl+s")  # no note
        await settle(pilot)
        assert isinstance(app.screen, FollowUpScreen)
        error = app.screen.query_one("#error", Static)
        assert error.display and "a follow-up needs a note" in str(error.render())

        await pilot.press(*"rang")
        app.screen.query_one("#next", Input).value = "someday"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "cannot read the date 'someday'" in str(app.screen.query_one("#error", Static).render())

        app.screen.query_one("#next", Input).value = "2026-11-01"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "the next contact must be after the follow-up" in str(app.screen.query_one("#error", Static).render())

        await pilot.press("escape")  # cancel: nothing written
        await pilot.pause()
        assert not isinstance(app.screen, FollowUpScreen)
    assert _followups(session, 2) == []


@pilot_test
async def test_a_closed_lead_refuses_a_follow_up_in_the_modal(make_app, session):
    from textual.widgets import Static

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open_leads(pilot)
        await _cursor_to(pilot, 6)
        await pilot.press("f")
        await pilot.pause()
        await pilot.press(*"again")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "lead 6 is invalid: it takes no more follow-ups" in str(app.screen.query_one("#error", Static).render())
    assert _followups(session, 6) == []


@pilot_test
async def test_readonly_refuses_writes_and_says_so(make_app, session):
    from crmcli.errors import PermissionDenied
    from crmcli.tui.screens.follow_up import FollowUpScreen

    app = make_app(readonly=True)
    async with app.run_test(size=SIZE) as pilot:
        await _open_leads(pilot)
        await _cursor_to(pilot, 2)
        described = {b.binding.action: b.binding.description for b in app.screen.active_bindings.values()}
        assert described["follow"] == "Follow up (read-only)"
        await pilot.press("f")
        await pilot.pause()
        assert not isinstance(app.screen, FollowUpScreen)
        assert any("read-only" in message for message in toast_messages(app))
        await pilot.press("enter")  # reading still works
        await settle(pilot)
        await pilot.press("f")
        await pilot.pause()
        assert not isinstance(app.screen, FollowUpScreen)
    # the data layer refuses too, whatever a screen does
    try:
        app.data.follow_lead(2, "phone", "sneaky")
    except PermissionDenied as exc:
        assert "read-only" in exc.message
    else:
        raise AssertionError("a read-only session wrote a follow-up")
    assert _followups(session, 2) == []


@pilot_test
async def test_refresh_shows_another_process_s_changes(make_app, seeded):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open_leads(pilot)
        assert "9" not in _table(app).keys
        assert seeded("lead", "add", "周杰", "--company", "新公司").code == 0  # another crm, meanwhile
        assert seeded("lead", "invalidate", "2", "--reason", "duplicate").code == 0
        await pilot.press("r")
        await settle(pilot)
        assert _table(app).keys[0] == "9"
        row = _table(app)._records[_table(app).keys.index("2")][1]
        assert row["status"].plain == "invalid"


@pilot_test
async def test_pages_load_as_the_cursor_nears_the_end(make_app, seeded):
    from crmcli.runtime import Runtime
    from crmcli.services import leads

    with Runtime(user="admin").transaction() as (s, me):
        for i in range(130):
            leads.add(s, me, {"name": f"Lead {i:03d}", "company": "Bulk Co"})
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open_leads(pilot)
        assert _table(app).row_count == 100
        assert "100 shown+" in str(app.screen.query_one("#summary").render())
        await pilot.press("G")  # vim: the last row
        await settle(pilot)
        assert _table(app).row_count == 136
        assert "136 shown" in str(app.screen.query_one("#summary").render())
        await pilot.press("g", "j", "j", "k")
        assert _table(app).cursor_row == 1


@pilot_test
async def test_views_keys_help_and_palette(make_app):
    from textual.command import CommandPalette

    from crmcli.tui.screens.key_help import KeysScreen
    from crmcli.tui.screens.pipeline import PipelineScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("1")
        await settle(pilot)
        assert isinstance(app.screen, PipelineScreen)
        await pilot.press("3")
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, KeysScreen)
        here = dict((d, k) for k, d in app.screen.here)
        assert here["Follow up"] == "f" and here["Search"] == "/" and here["Down"] == "j"
        assert ("4", "Leads") in app.screen.everywhere
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, KeysScreen)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert CommandPalette.is_open(app)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


@pilot_test
async def test_commands_in_the_palette_are_the_views_and_the_view_s_keys(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open_leads(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert titles[:4] == ["Go to Pipeline", "Go to Today", "Go to Customers", "Go to Leads"]
        assert {"Follow up", "Search", "Status", "Owner", "Refresh", "Keys", "Quit"} <= set(titles)


@pilot_test
async def test_the_palette_runs_crm_commands(make_app, session):
    from textual.widgets import Input, Static

    from crmcli.tui.screens.ask import AskScreen
    from crmcli.tui.screens.cli_output import CliOutputScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open_leads(pilot)
        app.action_run_command("lead add 周杰 --company 新公司")
        await pilot.pause()
        assert isinstance(app.screen, AskScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CliOutputScreen)
        assert app.screen.result.code == 0 and "周杰" in app.screen.result.out
        await pilot.press("escape")
        await settle(pilot)
        assert _table(app).keys[0] == "9"  # the view shows what the command changed
        app.action_run_command("opp advance 999")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.result.code == 3 and "crm: error:" in app.screen.result.err
        await pilot.press("escape")
        await pilot.pause()
        app.action_run_command("tui")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert "already running" in str(app.screen.query_one("#error", Static).render())
        assert app.screen.query_one("#answer", Input).value == "tui"
    assert _lead(session, 9).name == "周杰"


@pilot_test
async def test_a_read_only_palette_runs_only_reading_commands(make_app, session):
    from crmcli.tui.screens.cli_output import CliOutputScreen

    app = make_app(readonly=True)
    async with app.run_test(size=SIZE) as pilot:
        await _open_leads(pilot)
        app.action_run_command("lead add show --company x")  # "show" once passed for a reading verb
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CliOutputScreen)  # it ran, and the database session refused it
        assert app.screen.result.code == 4 and "this session is read-only" in app.screen.result.err
        await pilot.press("escape")
        await settle(pilot)
        app.action_run_command("lead list --format tsv")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CliOutputScreen) and "Alice Brown" in app.screen.result.out
    assert _lead(session, 2).status == "new"
