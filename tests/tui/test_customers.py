"""Pilot tests of the customers view: my customers with days left, the public pool, claiming (and a
colleague's claim first), transferring, and the customer 360 view."""

from __future__ import annotations

from sqlalchemy import select

from tests.tui.conftest import pilot_test, settle, toast_messages

SIZE = (80, 24)


def _table(app):
    from crmcli.tui.widgets.record_table import RecordTable

    return app.screen.query_one("#records", RecordTable)


async def _open_customers(pilot) -> None:
    await settle(pilot)
    await pilot.press("3")
    await settle(pilot)


async def _cursor_to(pilot, record_id: int) -> None:
    table = _table(pilot.app)
    table.move_cursor(row=table.keys.index(str(record_id)))
    await pilot.pause()


def _owner(session, customer_id: int) -> str | None:
    from crmcli.store.models import Customer, User

    with session() as s:
        owner_id = s.get(Customer, customer_id).owner_id
        return s.get(User, owner_id).login if owner_id else None


def _notes(app) -> list[str]:
    return toast_messages(app)


@pilot_test
async def test_my_customers_everyone_s_and_the_pool(make_app):
    from crmcli.tui.screens.customers import CustomersScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open_customers(pilot)
        assert isinstance(app.screen, CustomersScreen)
        assert _table(app).keys == ["2", "1"]
        first = _table(app).values("1")
        assert first["name"].plain == "深圳华强电子有限公司" and "red" in str(first["next_contact"].style)
        assert first["days_left"].plain.lstrip("-").isdigit()  # crm customer list --days-left
        await pilot.press("o")
        await settle(pilot)
        assert _table(app).keys == ["4", "3", "2", "1"]
        await pilot.press("o")
        await settle(pilot)
        assert _table(app).keys == ["4"]
        assert _table(app).values("4")["days_left"].plain == "0d in pool"
        assert "owner: the public pool" in str(app.screen.query_one("#summary").render())
        await pilot.press("o", "slash", *"Contoso")
        await pilot.pause(0.5)
        await settle(pilot)
        assert _table(app).keys == ["2"]


@pilot_test
async def test_c_claims_from_the_pool(make_app, session):
    from crmcli.store.models import AuditLog

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open_customers(pilot)
        await pilot.press("c")  # not in the pool: c does nothing
        await settle(pilot)
        assert _owner(session, 2) == "admin"
        await pilot.press("o", "o")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert any("Claimed customer 4" in n for n in _notes(app))
        assert _table(app).keys == [] or "4" not in _table(app).keys
        assert app.screen.query_one("#no-records").display
    assert _owner(session, 4) == "admin"
    with session() as s:
        logged = s.execute(select(AuditLog).where(AuditLog.action == "customer.claim")).scalar_one()
    assert logged.command == "crm tui: pool claim 4"


@pilot_test
async def test_a_colleague_s_claim_first_is_reported(make_app, seeded, session):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open_customers(pilot)
        await pilot.press("o", "o")
        await settle(pilot)
        assert _table(app).keys == ["4"]
        claimed = seeded("pool", "claim", "4", user="liqiang")
        assert claimed.code == 0, claimed
        await pilot.press("c")
        await settle(pilot)
        assert any("customer 4 is not in a pool: it belongs to liqiang" in n for n in _notes(app))
        await pilot.press("r")  # refresh: the colleague's claim shows
        await settle(pilot)
        assert not _table(app).display
    assert _owner(session, 4) == "liqiang"


@pilot_test
async def test_t_transfers_through_the_service(make_app, session):
    from textual.widgets import Input, Static

    from crmcli.tui.screens.ask import AskScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open_customers(pilot)
        await _cursor_to(pilot, 2)
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, AskScreen)
        await pilot.press(*"nobody", "enter")
        await settle(pilot)
        assert isinstance(app.screen, AskScreen)
        assert "nobody" in str(app.screen.query_one("#error", Static).render())
        assert _owner(session, 2) == "admin"
        app.screen.query_one("#answer", Input).value = "wangfang"
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, AskScreen)
        assert _table(app).keys == ["1"]
    assert _owner(session, 2) == "wangfang"


@pilot_test
async def test_enter_opens_the_customer_360(make_app, session):
    from crmcli.store.models import FollowUp
    from crmcli.tui.screens.customer_360 import Customer360Screen
    from crmcli.tui.screens.customers import CustomersScreen
    from crmcli.tui.screens.follow_up import FollowUpScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _open_customers(pilot)
        await _cursor_to(pilot, 1)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, Customer360Screen)
        detail = app.screen.detail
        fields = dict(detail.fields)
        assert fields["name"] == "深圳华强电子有限公司" and fields["tier"] == "A" and fields["owner"] == "admin"
        sections = {s.title: s for s in detail.sections}
        assert [row[1] for row in sections["Opportunities"].rows] == ["ERP 一期", "运维服务"]
        assert {"Contacts", "Contracts", "Receivable plans", "Payments"} <= set(sections)
        assert detail.timeline
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, FollowUpScreen) and app.screen.kind == "customer"
        await pilot.press(*"拜访了", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, Customer360Screen)
        assert any("拜访了" in row.what for row in app.screen.detail.timeline)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen)
    with session() as s:
        assert s.execute(select(FollowUp.content).where(FollowUp.record_type == "customer",
                                                        FollowUp.record_id == 1)).scalars().all() == ["拜访了"]


@pilot_test
async def test_readonly_claims_nothing(make_app, session):
    app = make_app(readonly=True)
    async with app.run_test(size=SIZE) as pilot:
        await _open_customers(pilot)
        await pilot.press("o", "o")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert any("read-only" in n for n in _notes(app))
    assert _owner(session, 4) is None
