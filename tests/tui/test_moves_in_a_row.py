"""A key pressed while a card is moving is not lost, and a write held up by a lock says so."""

from __future__ import annotations

import threading

from tests.tui.conftest import pilot_test, settle, toast_messages

SIZE = (120, 40)


def _stage(session, opp_id: int) -> str:
    from crmcli.store.models.pipeline import Opportunity, Stage

    with session() as s:
        return s.get(Stage, s.get(Opportunity, opp_id).stage_id).key


def _held_moves(monkeypatch) -> threading.Event:
    """Card moves wait until the returned event is set (as behind another writer's lock)."""
    from crmcli.tui.data import Data

    release = threading.Event()
    move = Data.move_card

    def held(self, *args, **kwargs):
        release.wait(30)
        return move(self, *args, **kwargs)

    monkeypatch.setattr(Data, "move_card", held)
    return release


@pilot_test
async def test_L_L_advances_the_card_twice(make_app, session, monkeypatch):
    """Before, the second L during the first move was dropped."""
    release = _held_moves(monkeypatch)
    app = make_app(start="pipeline")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        column, card = app.screen._current()
        assert card.id == 1 and _stage(session, 1) == "new"
        await pilot.press("L", "L")  # the first move is still waiting when the second key comes
        await pilot.pause()
        release.set()
        await settle(pilot, rounds=6)
        column, card = app.screen._current()
        assert card.id == 1
    assert _stage(session, 1) == "proposal"  # new → confirmed → proposal


@pilot_test
async def test_a_write_held_up_by_a_lock_says_it_is_waiting(make_app, session, monkeypatch):
    from crmcli.tui.screens import base

    monkeypatch.setattr(base, "WAIT_HINT", 0.01)
    release = _held_moves(monkeypatch)
    app = make_app(start="pipeline")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("L")
        for _round in range(1000):  # the hint comes while the write still waits
            if any("database is busy" in message for message in toast_messages(app)):
                break
            await pilot.pause(0.02)
        else:
            raise AssertionError("no word while the write waited")
        assert _stage(session, 1) == "new"
        release.set()
        await settle(pilot)
    assert _stage(session, 1) == "confirmed"
