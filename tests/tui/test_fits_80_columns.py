"""At 80 columns a read-only session keeps ? and q on the footer, and ? shows every global key."""

from __future__ import annotations

import pytest

from tests.tui.conftest import pilot_test, settle

SIZE = (80, 24)


def _lines(app) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


@pytest.mark.parametrize("view", ["pipeline", "today", "customers", "leads"])
@pilot_test
async def test_read_only_keeps_keys_and_quit_on_the_footer(make_app, view):
    """Before, "(read-only)" after every writing key pushed ? and q off the footer."""
    app = make_app(readonly=True, start=view)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        footer = _lines(app)[-1]
        assert "? Keys" in footer and "q Quit" in footer, footer
        assert "(read-only)" not in footer
        assert "read-only" in _lines(app)[0]  # the view bar says it
        await pilot.press("question_mark")
        await settle(pilot)
        shown = "\n".join(_lines(app))
        assert "(read-only)" in shown  # ? still lists the keys that write, marked


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
@pilot_test
async def test_the_keys_box_shows_the_global_keys_whole(make_app, lang):
    """Before, the two columns of ? were cut at the box's edge: "Ever", a key without its name."""
    from crmcli.i18n import _

    app = make_app(readonly=True, start="pipeline", lang=lang)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        box = app.screen.query_one("#keys-box")
        while box.scroll_y < box.max_scroll_y:  # what does not fit scrolls (j)
            await pilot.press("j")
            await pilot.pause()
        seen = "\n".join(_lines(app))
        for word in (_("Everywhere"), _("Commands"), _("Quit"), _("Customers")):
            assert word in seen, (word, seen)
