"""Looks: each widget and screen keeps its Textual CSS in a ``.tcss`` file beside its module."""

from __future__ import annotations

from pathlib import Path


def beside(module_file: str) -> str:
    """The text of the ``.tcss`` file next to ``module_file`` (used as ``DEFAULT_CSS``)."""
    return Path(module_file).with_suffix(".tcss").read_text(encoding="utf-8")


def due_style(due: str | None, no_color: bool = False) -> str:
    """How a next-contact time stands out: overdue in bold red (underlined without colour), today in bold."""
    if due == "overdue":
        return "bold underline" if no_color else "bold red"
    return "bold" if due == "today" else ""
