"""Lists come back after a filter that matched nothing, and Today's cursor stays where the work is."""

from __future__ import annotations

from tests.tui.conftest import pilot_test, settle

SIZE = (80, 24)


def _drawn(table) -> list[str]:
    """The row keys the DataTable really draws (not only what it was given)."""
    return [str(table.coordinate_to_cell_key((row, 0)).row_key.value) for row in range(table.row_count)]


def _summary(app) -> str:
    return str(app.screen.query_one("#summary").render())


@pilot_test
async def test_a_list_comes_back_after_a_search_that_matched_nothing(make_app):
    """Before, the customers stayed blank ("0 shown") after /zzz and esc, until r."""
    app = make_app(start="customers")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#records")
        assert _drawn(table) == ["2", "1"]
        await pilot.press("slash", "z", "z", "z", "enter")
        await settle(pilot)
        assert not table.display and "0 shown" in _summary(app)
        await pilot.press("slash", "escape")  # the box opens again; esc clears the search
        await settle(pilot)
        assert table.display
        assert _drawn(table) == ["2", "1"]
        assert "2 shown" in _summary(app)


@pilot_test
async def test_a_list_comes_back_after_an_owner_with_nothing(make_app, seeded):
    """Leads o o o: me, everyone, the pool, me — with the pool emptied, the pool is the blank one."""
    assert seeded("lead", "assign", "8", "--to", "admin").code == 0  # the lead pool is now empty
    app = make_app(start="leads")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#records")
        mine = list(table.keys)
        for _step in range(3):
            await pilot.press("o")
            await settle(pilot)
        assert app.screen.wanted.owner == "me"
        assert _drawn(table) == mine and table.display
        assert f"{len(mine)} shown" in _summary(app)


@pilot_test
async def test_space_down_the_list_completes_each_task_in_turn(make_app, session):
    """Before, the cursor went back to the top after each space, completing the wrong tasks."""
    from crmcli.store.models.schedule import Task

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#due")
        assert table.keys[:4] == ["section:tasks", "task:2", "task:1", "task:3"]
        table.move_cursor(row=table.keys.index("task:1"))  # the second task
        await pilot.press("space")
        await settle(pilot)
        assert table.selected_key == "task:3"  # the next row, not the top
        await pilot.press("space")
        await settle(pilot)
        assert table.selected_key == "customer:1"  # the next row: the first follow-up due
    with session() as s:
        assert [s.get(Task, i).status for i in (1, 2, 3)] == ["done", "open", "done"]


@pilot_test
async def test_snooze_keeps_the_place_too(make_app):
    from textual.widgets import Input

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#due")
        table.move_cursor(row=table.keys.index("task:2"))
        await pilot.press("s")
        await settle(pilot)
        app.screen.query_one("#answer", Input).value = "tomorrow 09:00"
        await pilot.press("enter")
        await settle(pilot)
        assert "task:2" not in table.keys
        assert table.selected_key == "task:1"


def _lines(widget) -> list[str]:
    """What a widget draws, line by line, scrolled or not."""
    return [widget.render_line(y).text.rstrip() for y in range(widget.size.height)]


@pilot_test
async def test_amounts_are_never_cut_in_the_360_at_80_columns(make_app, session):
    """Before, the 360's tables shrank every column: `123,456,7…` and Chinese headers `…`."""
    from decimal import Decimal

    from rich.cells import cell_len
    from sqlalchemy import update

    from crmcli.store.models.pipeline import Opportunity

    with session() as s:
        s.execute(update(Opportunity).where(Opportunity.id == 1).values(
            name="华南区全渠道数字化转型一期项目（含实施与培训服务）", amount=Decimal("123456789.00")))
        s.commit()
    app = make_app(start="customers", lang="zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#records")
        table.move_cursor(row=table.keys.index("1"))
        await pilot.press("enter")
        await settle(pilot)
        lines = _lines(app.screen.query_one("#sections"))
        text = "\n".join(lines)
        assert "123,456,789.00" in text and "80,000.00" in text
        assert "…" not in text, text
        assert max(cell_len(line) for line in lines) <= app.screen.query_one("#sections").size.width
        header = next(line for line in lines if "金额" in line)
        assert "名称" in header  # the name column stays (it wraps instead)
