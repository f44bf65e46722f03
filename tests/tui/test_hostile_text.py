"""Data is never code: names, notes and errors full of brackets, escapes, emoji, RTL text and
length go through every screen of ``crm tui`` and come out as the text that was typed.

Each hostile string is written straight into the database (as an import or an older version
could have left it), then the test walks the app: today (with snooze and done), the pipeline
(with the win and lose forms), an opportunity, customers, the 360, the public pool, leads, a
lead, the follow-up form, and an error toast and a form's error carrying the string.  After
each step the screen must be up (no crash), not stuck on "Loading…", show the string as typed
(its start: long strings are cut), and never carry a terminal escape.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from tests.tui.conftest import pilot_test, settle, shown_notes

SIZE = (120, 40)
LONG = ("很长的客户名称" * 20 + " Long name" * 20)[:200]  # 200 characters (the column's limit), 340 cells
HOSTILE = {
    "closing-tag": "回电话 [/b] 确认报价",
    "closing-bold": "Bad [/bold] name",
    "tag": "[VIP] 重要客户",
    "link": "[link=https://evil.example]click me[/link]",
    "style": "[bold red]not bold[/] [@click=app.quit]quit[/]",
    "escape": "\x1b[31mred\x1b[0m \x1b]0;pwned\x07 \x9b2J done",
    "emoji": "🎉 party 👍🏽 time",
    "rtl": "مرحبا بالعالم שלום עולם",
    "long": LONG,
}


def shown(value: str) -> str:
    """How the app writes a hostile string: control characters made visible."""
    from crmcli.tui.safe import clean

    return clean(value)


def start(value: str, cells: int = 10) -> str:
    """The beginning of ``value`` that fits any column it is shown in."""
    from rich.cells import cell_len

    n = len(value)
    while cell_len(value[:n]) > cells:
        n -= 1
    return value[:n].rstrip()


def screen_text(app: Any) -> str:
    """Every line the current screen paints, as plain text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def toasts(app: Any) -> str:
    """What the notifications said, expired ones included (on a loaded machine a toast can time out
    before the test looks); each must be plain text (Textual reads markup by default)."""
    notes = shown_notes(app)
    for note in notes:
        assert note.markup is False, note
    return "\n".join(str(n.message) for n in notes)


def _write(session, value: str, note: str) -> None:
    """Give the records the test walks through the hostile name (straight into the tables)."""
    from crmcli.store.models import Customer, FollowUp, Lead
    from crmcli.store.models.pipeline import Opportunity, Stage
    from crmcli.store.models.schedule import Task

    with session() as s:
        s.execute(update(Lead).where(Lead.id == 1).values(name=value))
        s.execute(update(Customer).where(Customer.id.in_([1, 4])).values(name=value))
        s.execute(update(Opportunity).where(Opportunity.id == 1).values(name=value))
        s.execute(update(Task).where(Task.id == 2).values(title=value))
        s.execute(update(FollowUp).where(FollowUp.record_type == "lead", FollowUp.record_id == 1).values(content=note))
        s.execute(update(Stage).where(Stage.key == "confirmed").values(name=value[:80]))
        s.commit()


class Walk:
    """The app, the string, and the checks made after every step."""

    def __init__(self, app: Any, pilot: Any, value: str) -> None:
        self.app, self.pilot, self.value = app, pilot, value
        self.start = start(shown(value))

    async def settle(self) -> None:
        await settle(self.pilot)

    def check(self, where: str, *, expect: bool = True) -> str:
        assert self.app.is_running, where
        assert self.app.return_code in (None, 0), where
        text = screen_text(self.app) + "\n" + toasts(self.app)
        assert "\x1b" not in text and "\x9b" not in text and "\x07" not in text, where
        assert "Loading…" not in text, (where, text)
        if expect:
            assert self.start in text, (where, self.start, text)
        return text


@pytest.mark.parametrize("key", list(HOSTILE))
@pilot_test
async def test_hostile_text_is_shown_as_typed_on_every_screen(make_app, session, key):
    from textual.widgets import Input

    from crmcli.errors import ValidationError
    from crmcli.tui.screens.ask import AskScreen
    from crmcli.tui.screens.follow_up import FollowUpScreen

    value = HOSTILE[key]
    _write(session, value, value + " · " + value)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        walk = Walk(app, pilot, value)
        await walk.settle()
        walk.check("today")
        table = app.screen.query_one("#due")
        table.move_cursor(row=table.keys.index("task:2"))
        await pilot.press("s")  # the snooze form's title names the task
        await walk.settle()
        assert isinstance(app.screen, AskScreen)
        walk.check("snooze form")
        await pilot.press("escape")
        await walk.settle()
        table.move_cursor(row=table.keys.index("customer:1"))  # the follow-up form names the customer
        await pilot.press("f")
        await walk.settle()
        assert isinstance(app.screen, FollowUpScreen)
        walk.check("follow-up form")
        await pilot.press("escape")
        await walk.settle()
        table.move_cursor(row=table.keys.index("task:2"))
        await pilot.press("space")
        await walk.settle()
        walk.check("today after done", expect=False)
        assert "Task 2 done." in toasts(app)

        await pilot.press("1")
        await walk.settle()
        walk.check("pipeline")
        for key_, button in (("w", "Win"), ("x", "Lose")):
            await pilot.press(key_)
            await walk.settle()
            assert isinstance(app.screen, AskScreen), key_
            walk.check(f"{button} form")
            await pilot.press("escape")
            await walk.settle()
        await pilot.press("L")  # into the stage named with the string: the toast says so
        await walk.settle()
        walk.check("pipeline after a move")
        await pilot.press("enter")
        await walk.settle()
        walk.check("opportunity")
        await pilot.press("escape")
        await walk.settle()

        await pilot.press("3")
        await walk.settle()
        walk.check("customers")
        table = app.screen.query_one("#records")
        table.move_cursor(row=table.keys.index("1"))
        await pilot.press("t")  # the transfer form: its title, then the service's error naming the string
        await walk.settle()
        app.screen.query_one("#answer", Input).value = value[:60]
        await pilot.press("enter")
        await walk.settle()
        assert isinstance(app.screen, AskScreen)
        typed = app.screen.query_one("#answer", Input).value  # a text box drops control characters
        assert typed == "".join(ch for ch in value[:60] if ch.isprintable() or ch == " ")
        assert start(shown(typed)) in walk.check("transfer form with an error", expect=False)
        await pilot.press("escape")
        await walk.settle()
        await pilot.press("enter")
        await walk.settle()
        walk.check("customer 360")
        await pilot.press("escape", "o", "o")
        await walk.settle()
        walk.check("public pool")

        await pilot.press("4")
        await walk.settle()
        walk.check("leads")
        table = app.screen.query_one("#records")
        table.move_cursor(row=table.keys.index("1"))
        await pilot.press("enter")
        await walk.settle()
        text = walk.check("lead")
        assert walk.start in text.split("Timeline")[-1], "the follow-up's note in the timeline"

        def boom(*_args: Any) -> Any:
            raise ValidationError(value)

        app.data.follow = boom
        await pilot.press("f")
        await walk.settle()
        app.screen.query_one("#note", Input).value = "x"
        await pilot.press("ctrl+s")
        await walk.settle()
        walk.check("the follow-up form's error")
        await pilot.press("escape")
        await walk.settle()
        app.data.lead = boom
        await pilot.press("r")  # a failed load: the error toast
        await walk.settle()
        walk.check("an error toast")
