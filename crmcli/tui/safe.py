"""Data is never code: how text from records, files and errors reaches the screen.

Textual reads a ``str`` given to a ``Static``, a ``Label`` or ``notify`` as markup, so a
name like ``回电话 [/b] 确认报价`` would crash the app and ``[VIP]`` would vanish.  Every
piece of data therefore reaches a widget as a :class:`rich.text.Text` (made by :func:`text`),
and the app's ``notify`` never reads markup (:meth:`crmcli.tui.app.CrmApp.notify`).

Neither Rich nor Textual removes the terminal's escape character, so a name holding
``\\x1b[31m`` would be written to the terminal as a command.  :func:`clean` shows control
characters the way ``cat -v`` does (``^[``, ``M-^[``) instead; everything the data layer
returns is passed through :func:`clean_all` on its way from the worker thread to the screen
(:func:`crmcli.tui.screens.base.run_in_thread`), and error messages through :func:`clean`.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from rich.text import Text

# C0 controls but tab and newline, DEL, and the C1 controls (0x9b is a one-byte CSI)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _caret(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code == 0x7F:
        return "^?"
    if code >= 0x80:
        return "M-^" + chr(code - 0x80 + 0x40)
    return "^" + chr(code + 0x40)


def clean(value: Any) -> str:
    """``value`` as a string whose control characters are visible (``^[``) instead of obeyed."""
    string = "" if value is None else str(value)
    if not _CONTROL.search(string):
        return string
    return _CONTROL.sub(_caret, string.replace("\r\n", "\n"))


def text(value: Any, style: str = "", **kwargs: Any) -> Text:
    """Data as a Rich ``Text``: shown literally, brackets and all, never as markup."""
    return Text(clean(value), style=style, **kwargs)


def clean_all(value: Any) -> Any:
    """Every string inside ``value`` (dataclasses, lists, tuples, dicts) made safe by :func:`clean`.

    Returns ``value`` itself when nothing needed changing, so the common case costs a scan.
    """
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, (list, tuple)):
        items = [clean_all(item) for item in value]
        if all(new is old for new, old in zip(items, value)):
            return value
        return type(value)(items) if isinstance(value, list) or type(value) is tuple else type(value)(*items)
    if isinstance(value, dict):
        changed = {key: clean_all(item) for key, item in value.items()}
        if all(changed[key] is item for key, item in value.items()):
            return value
        return changed
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for spec in dataclasses.fields(value):
            if not spec.init:
                continue
            old = getattr(value, spec.name)
            new = clean_all(old)
            if new is not old:
                changes[spec.name] = new
        return dataclasses.replace(value, **changes) if changes else value
    return value
