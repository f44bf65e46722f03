"""SVG snapshots of the views at 80×24 and 120×40, on the seeded data with a frozen clock.

After a deliberate change of the look: ``pytest tests/tui --snapshot-update``, then
open the changed ``__snapshots__/test_snapshots/*.svg`` files and look at them.
"""

from __future__ import annotations

import pytest

from tests.tui.conftest import settle

SMALL = (80, 24)
LARGE = (120, 40)


def steps(*keys: str, cursor: int | None = None):
    """A run_before: press ``keys`` (waiting for the database after each), optionally after moving
    the list's cursor to lead ``cursor``."""

    async def run(pilot) -> None:
        await settle(pilot)
        for key in keys:
            if key == "@cursor":
                from crmcli.tui.widgets.record_table import RecordTable

                table = pilot.app.screen.query_one(RecordTable)
                table.move_cursor(row=table.keys.index(str(cursor)))
            else:
                await pilot.press(key)
            await settle(pilot)

    return run


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_today(make_app, snap_compare, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=steps())


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_leads(make_app, snap_compare, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=steps("4"))


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_lead_detail(make_app, snap_compare, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=steps("4", "@cursor", "enter", cursor=1))


def test_follow_up_modal_with_an_error(make_app, snap_compare):
    assert snap_compare(make_app(), terminal_size=SMALL,
                        run_before=steps("4", "@cursor", "f", "ctrl+s", cursor=3))


def test_keys_of_the_leads_view(make_app, snap_compare):
    assert snap_compare(make_app(), terminal_size=SMALL, run_before=steps("4", "question_mark"))


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_pipeline(make_app, snap_compare, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=steps("1"))


def test_pipeline_after_a_move(make_app, snap_compare):
    assert snap_compare(make_app(), terminal_size=SMALL, run_before=steps("1", "L"))


def test_lose_form_with_an_error(make_app, snap_compare):
    assert snap_compare(make_app(), terminal_size=SMALL, run_before=steps("1", "x", "ctrl+s"))


def test_pipeline_without_colour(make_app, snap_compare, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(make_app(), terminal_size=SMALL, run_before=steps("1"))


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_pipeline_in_chinese(make_app, snap_compare, size):
    assert snap_compare(make_app(lang="zh_CN"), terminal_size=size, run_before=steps("1"))


def test_opportunity(make_app, snap_compare):
    assert snap_compare(make_app(), terminal_size=SMALL, run_before=steps("1", "enter"))


def test_today_in_chinese(make_app, snap_compare):
    assert snap_compare(make_app(lang="zh_CN"), terminal_size=SMALL, run_before=steps())


def test_snooze_form(make_app, snap_compare):
    assert snap_compare(make_app(), terminal_size=SMALL, run_before=steps("s"))


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_customers(make_app, snap_compare, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=steps("3"))


def test_the_public_pool(make_app, snap_compare):
    assert snap_compare(make_app(), terminal_size=SMALL, run_before=steps("3", "o", "o"))


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_customer_360(make_app, snap_compare, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=steps("3", "@cursor", "enter", cursor=1))


def test_customer_360_in_chinese(make_app, snap_compare):
    assert snap_compare(make_app(lang="zh_CN"), terminal_size=SMALL,
                        run_before=steps("3", "@cursor", "enter", cursor=1))


def test_keys_of_the_pipeline(make_app, snap_compare):
    assert snap_compare(make_app(), terminal_size=SMALL, run_before=steps("1", "question_mark"))


def test_leads_read_only(make_app, snap_compare):
    assert snap_compare(make_app(readonly=True), terminal_size=SMALL, run_before=steps("4"))


def test_leads_without_colour(make_app, snap_compare, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(make_app(), terminal_size=SMALL, run_before=steps("4"))


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_leads_in_chinese(make_app, snap_compare, size):
    assert snap_compare(make_app(lang="zh_CN"), terminal_size=size, run_before=steps("4"))


def test_lead_detail_in_chinese(make_app, snap_compare):
    assert snap_compare(make_app(lang="zh_CN"), terminal_size=SMALL,
                        run_before=steps("4", "@cursor", "enter", cursor=1))


def test_follow_up_modal_in_chinese(make_app, snap_compare):
    assert snap_compare(make_app(lang="zh_CN"), terminal_size=SMALL,
                        run_before=steps("4", "@cursor", "f", "ctrl+s", cursor=3))
