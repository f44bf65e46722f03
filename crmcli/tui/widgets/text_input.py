"""A one-line text box that never holds a terminal control character.

Textual's ``Input`` keeps whatever is pasted into it and draws it as it is, so a pasted
``\\x1b[31m`` would reach the terminal as a command (and then the database).  Control
characters are dropped as the value is set, whether typed, pasted or given by code.
"""

from __future__ import annotations

import re

from textual.widgets import Input

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


class TextInput(Input):
    def validate_value(self, value: str) -> str:
        return _CONTROL.sub("", value) if _CONTROL.search(value) else value
