"""The search box the pipeline and the record lists share: ``/`` opens it, the view follows the typing.

The screen composes a hidden ``Input`` with the id ``search`` and says what a search does
(:meth:`SearchBox.search_for`) and where the focus goes back to (:meth:`SearchBox.refocus`).
Typing waits :data:`SEARCH_DELAY` for a pause before searching, so a fast typist costs one
query, not one per key; ``enter`` searches at once and keeps the text (an empty box hides);
``esc`` (:meth:`SearchBox.leave_search`) clears it and brings the full view back.
"""

from __future__ import annotations

from textual.timer import Timer
from textual.widgets import Input

from crmcli.tui.crash import guarded

SEARCH_DELAY = 0.3  # seconds of no typing before the view follows the search box


class SearchBox:
    """A mixin for a Textual screen with a hidden ``#search`` input (see the module docstring)."""

    _search_timer: Timer | None = None

    # -- what the screen says ------------------------------------------------------------

    def search_for(self, text: str) -> None:
        """Show what matches ``text`` (an empty text: everything); called only after a pause."""
        raise NotImplementedError

    def refocus(self) -> None:
        """Give the focus back to the view (the search box has closed or been submitted)."""
        raise NotImplementedError

    # -- the box ---------------------------------------------------------------------------

    def action_search(self) -> None:
        box = self.query_one("#search", Input)  # type: ignore[attr-defined]
        box.display = True
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "search":
            return
        self._stop_search_timer()
        text = event.value
        self._search_timer = self.set_timer(  # type: ignore[attr-defined]
            SEARCH_DELAY, guarded(self, lambda: self.search_for(text)))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "search":
            return
        self._stop_search_timer()
        self.search_for(event.value)
        if not event.value.strip():
            event.input.display = False
        self.refocus()

    def leave_search(self) -> bool:
        """``esc``: clear and hide the box if it is open (True), else nothing (False)."""
        box = self.query_one("#search", Input)  # type: ignore[attr-defined]
        if not box.display:
            return False
        self._stop_search_timer()
        box.value = ""
        box.display = False
        self.refocus()
        self.search_for("")
        return True

    def _stop_search_timer(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
