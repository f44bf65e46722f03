"""Pilot tests of the pipeline view: the board, moving cards (checked in the database), win and lose
through their form, stale cards, filters, read-only, and opening a card."""

from __future__ import annotations

from sqlalchemy import select

from tests.tui.conftest import pilot_test, settle, toast_messages

SIZE = (80, 24)


async def _open_board(pilot) -> None:
    await settle(pilot)
    await pilot.press("1")
    await settle(pilot)


def _board(app) -> dict[str, list[int]]:
    return {c.column.title: [card.id for card in c.cards.cards] for c in app.screen.columns}


def _focused(app):
    column, card = app.screen._current()
    return (column.column.title if column else None), (card.id if card else None)


def _opp(session, opp_id: int):
    from crmcli.store.models.pipeline import Opportunity, Stage

    with session() as s:
        opp = s.get(Opportunity, opp_id)
        return opp.status, s.get(Stage, opp.stage_id).key, opp.lost_reason


def _changes(session, opp_id: int) -> list[tuple[str, str | None]]:
    from crmcli.store.models.pipeline import StageChange

    with session() as s:
        return [(c.move, c.reason) for c in s.execute(select(StageChange).where(
            StageChange.opportunity_id == opp_id).order_by(StageChange.id)).scalars()]


def _notes(app) -> list[str]:
    return toast_messages(app)


@pilot_test
async def test_the_board_has_a_column_per_open_stage_with_totals(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open_board(pilot)
        assert _board(app) == {"new": [1], "needs confirmed": [2], "proposal/quote": [3],
                               "negotiation/contract": []}  # not wangfang's 4
        columns = {c.column.title: c.column for c in app.screen.columns}
        new = columns["new"]
        assert (new.count, new.amount, new.weighted, new.probability) == (1, "350k CNY", "35k CNY", 10)
        assert columns["needs confirmed"].weighted == "36k USD"
        card = columns["needs confirmed"].cards[0]
        assert (card.name, card.customer, card.amount, card.close, card.close_passed, card.owner) == (
            "CRM licences", "Contoso Ltd", "120,000.00 USD", "2026-11-10", True, "admin")
        assert _focused(app) == ("new", 1)
        summary = str(app.screen.query_one("#summary").render())
        assert "owner: admin" in summary and "3 open" in summary


@pilot_test
async def test_l_advances_the_card_and_h_moves_it_back(make_app, session):
    from crmcli.store.models import AuditLog

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open_board(pilot)
        await pilot.press("L")
        await settle(pilot)
        assert _opp(session, 1) == ("open", "confirmed", None)
        assert _board(app)["needs confirmed"] == [1, 2]  # by amount: 350000 CNY before 120000 USD
        assert _focused(app) == ("needs confirmed", 1)  # the cursor went with the card
        assert "Opportunity 1: advanced, new → needs confirmed." in _notes(app)
        await pilot.press("l", "j")  # vim keys: the next column is proposal/quote; j stays on its only card
        assert _focused(app) == ("proposal/quote", 3)
        await pilot.press("h", "j")
        assert _focused(app) == ("needs confirmed", 2)
        await pilot.press("H")
        await settle(pilot)
        assert _opp(session, 2) == ("open", "new", None)
        assert _board(app)["new"] == [2]
    assert _changes(session, 1) == [("create", None), ("advance", None)]
    assert _changes(session, 2) == [("create", None), ("advance", None), ("back", None)]
    with session() as s:
        logged = s.execute(select(AuditLog.command).where(AuditLog.action == "opportunity.advance",
                                                          AuditLog.record_id == 2).order_by(AuditLog.id)).scalars()
        assert list(logged)[-1] == "crm tui: opp back 2"


@pilot_test
async def test_the_services_refusals_are_shown(make_app, session):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open_board(pilot)
        await pilot.press("H")  # opportunity 1 is in the first stage
        await settle(pilot)
        assert any("opportunity 1 is in the first stage" in n for n in _notes(app))
        assert _opp(session, 1) == ("open", "new", None)


@pilot_test
async def test_a_card_moved_meanwhile_is_not_moved_again(make_app, seeded, session):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open_board(pilot)
        assert seeded("opp", "advance", "1").code == 0  # a colleague, meanwhile
        await pilot.press("L")
        await settle(pilot)
        assert any("opportunity 1 changed meanwhile: it is now in stage needs confirmed" in n for n in _notes(app))
        assert _opp(session, 1) == ("open", "confirmed", None)  # advanced once, not twice
        assert _changes(session, 1) == [("create", None), ("advance", None)]
        await pilot.press("r")  # refresh: the card is where the colleague put it
        await settle(pilot)
        assert _board(app)["needs confirmed"] == [1, 2]


@pilot_test
async def test_lose_asks_why_and_the_form_shows_the_services_error(make_app, session):
    from textual.widgets import Static

    from crmcli.tui.screens.ask import AskScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open_board(pilot)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, AskScreen)
        await pilot.press("ctrl+s")  # no reason
        await settle(pilot)
        assert isinstance(app.screen, AskScreen)
        error = app.screen.query_one("#error", Static)
        assert error.display and "say why" in str(error.render())
        assert _opp(session, 1) == ("open", "new", None)
        await pilot.press(*"价格太高", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, AskScreen)
        assert _board(app)["new"] == []
    assert _opp(session, 1) == ("lost", "lost", "价格太高")


@pilot_test
async def test_win_marks_the_customer_as_having_a_deal(make_app, session):
    from crmcli.store.models import Customer

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open_board(pilot)
        await pilot.press("l", "w")
        await pilot.pause()
        await pilot.press("enter")  # the reason is optional
        await settle(pilot)
        assert _board(app)["needs confirmed"] == []
    assert _opp(session, 2)[:2] == ("won", "won")
    with session() as s:
        assert s.get(Customer, 2).deal_status == "won"


@pilot_test
async def test_esc_cancels_the_form_and_nothing_is_written(make_app, session):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open_board(pilot)
        await pilot.press("w")
        await pilot.pause()
        await pilot.press("escape")
        await settle(pilot)
        assert app.current_mode == "pipeline" and _board(app)["new"] == [1]
    assert _opp(session, 1) == ("open", "new", None)


@pilot_test
async def test_readonly_moves_nothing(make_app, session):
    app = make_app(readonly=True)
    async with app.run_test(size=SIZE) as pilot:
        await _open_board(pilot)
        described = {b.binding.action: b.binding.description for b in app.screen.active_bindings.values()}
        assert described["advance"] == "Advance (read-only)"
        await pilot.press("L", "w", "x")
        await settle(pilot)
        assert any("read-only" in n for n in _notes(app))
        assert app.current_mode == "pipeline" and _board(app)["new"] == [1]
    assert _opp(session, 1) == ("open", "new", None)


@pilot_test
async def test_owner_period_and_search_filters(make_app):
    from textual.widgets import Input, Static

    from crmcli.tui.screens.ask import AskScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open_board(pilot)
        await pilot.press("o")
        await pilot.pause()
        box = app.screen.query_one("#answer", Input)
        box.value = "nobody"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AskScreen)
        assert "no user or department named 'nobody'" in str(app.screen.query_one("#error", Static).render())
        app.screen.query_one("#answer", Input).value = "wangfang"
        await pilot.press("enter")
        await settle(pilot)
        assert _board(app) == {"new": [4], "needs confirmed": [], "proposal/quote": [], "negotiation/contract": []}
        assert "owner: wangfang" in str(app.screen.query_one("#summary").render())

        await pilot.press("o")
        await pilot.pause()
        app.screen.query_one("#answer", Input).value = "Office"  # a department, with the ones below it
        await pilot.press("enter")
        await settle(pilot)
        assert _board(app) == {"new": [1, 4], "needs confirmed": [2], "proposal/quote": [3],
                               "negotiation/contract": []}

        await pilot.press("p")  # closing this month (November 2026)
        await settle(pilot)
        assert _board(app) == {"new": [], "needs confirmed": [2], "proposal/quote": [], "negotiation/contract": []}
        assert "closing: this month" in str(app.screen.query_one("#summary").render())
        for _ in range(6):  # round to "any time"
            await pilot.press("p")
        await settle(pilot)
        await pilot.press("slash", *"ERP")
        await pilot.pause(0.5)
        await settle(pilot)
        assert _board(app)["new"] == [1]
        await pilot.press("escape")
        await settle(pilot)
        assert _board(app)["new"] == [1, 4]


@pilot_test
async def test_a_column_shows_its_top_cards_and_counts_the_rest(make_app):
    from crmcli.runtime import Runtime
    from crmcli.services import opportunities
    from crmcli.tui.data_pipeline import CARDS

    with Runtime(user="admin").transaction() as (s, me):
        for i in range(CARDS + 5):
            opportunities.add(s, me, "1", f"Deal {i:02d}", amount=1000 + i)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open_board(pilot)
        new = next(c for c in app.screen.columns if c.column.title == "new")
        assert new.column.count == CARDS + 6
        assert len(new.cards.cards) == CARDS and new.cards.cards[0].id == 1  # the largest first
        assert new.column.more == 6
        assert new.cards.option_count == CARDS + 1  # the cards (with lines between them), then "+6 more"
        assert "+6 more" in str(new.cards.get_option("more").prompt)


@pilot_test
async def test_enter_opens_the_opportunity_and_esc_comes_back(make_app):
    from crmcli.tui.screens.opportunity import OpportunityScreen
    from crmcli.tui.screens.pipeline import PipelineScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open_board(pilot)
        await pilot.press("l", "enter")
        await settle(pilot)
        assert isinstance(app.screen, OpportunityScreen)
        fields = dict(app.screen.detail.fields)
        assert fields["customer"] == "#2 Contoso Ltd" and fields["amount"] == "120,000.00 USD"
        assert fields["stage"] == "needs confirmed (30%)"
        assert any("advanced: new → needs confirmed" in row.what for row in app.screen.detail.timeline)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, PipelineScreen)
        assert _focused(app) == ("needs confirmed", 2)


@pilot_test
async def test_a_slow_query_does_not_freeze_the_keys(make_app, monkeypatch):
    """The board loads in a thread worker: while the database is slow, keys still work."""
    import threading

    from crmcli.tui.data import Data

    release = threading.Event()
    board = Data.board

    def slow(self, *args, **kwargs):
        release.wait(10)
        return board(self, *args, **kwargs)

    monkeypatch.setattr(Data, "board", slow)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("1")  # the board starts loading, and hangs
        await pilot.pause()
        assert app.current_mode == "pipeline" and app.screen.board is None
        await pilot.press("2")  # keys still answer
        await pilot.pause()
        assert app.current_mode == "today"
        await pilot.press("1")
        release.set()
        await settle(pilot)
        assert _board(app)["new"] == [1]
