"""Data is never code: how text from records, files and errors reaches the screen.

Textual reads a ``str`` given to a ``Static``, a ``Label`` or ``notify`` as markup, so a
name like ``回电话 [/b] 确认报价`` would crash the app and ``[VIP]`` would vanish.  Every
piece of data therefore reaches a widget as a :class:`rich.text.Text` (made by :func:`text`),
and the app's ``notify`` never reads markup (:meth:`crmcli.tui.app.CrmApp.notify`).

Neither Rich nor Textual removes the terminal's escape character, so a name holding
``\\x1b[31m`` would be written to the terminal as a command.  :func:`clean` shows control
characters the way ``cat -v`` does (``^[``, ``M-^[``: :mod:`crmcli.printable`, shared with the
command line) instead; everything the data layer returns is passed through :func:`clean_all` on its way from the worker thread to the screen
(:func:`crmcli.tui.screens.base.run_in_thread`), and error messages through :func:`clean`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from rich.text import Text

from crmcli.printable import clean

__all__ = ["clean", "clean_all", "text"]


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
