"""Split a command line into words as ``shlex.split(line, comments=True)`` does, in linear time.

``shlex`` builds each word one character at a time (``token = token + char``), which is
quadratic: a 1 MB line in ``crm batch`` took a minute.  This is the same POSIX subset — quotes,
backslash escapes, ``#`` comments, no variables or globs — as one regular expression.
"""

from __future__ import annotations

import re

_WHITESPACE = " \t\r\n"  # shlex's; other Unicode spaces are part of words, as there
_TOKEN = re.compile(r"""
    (?P<space>[ \t\r\n]+)
  | (?P<single>'[^']*')
  | (?P<double>"(?:[^"\\]|\\.)*")
  | (?P<escape>\\.)
  | (?P<comment>\#.*)
  | (?P<plain>[^ \t\r\n'"\\\#]+)
  | (?P<open>['"])
  | (?P<dangling>\\)
""", re.VERBOSE | re.DOTALL)
_DOUBLE_ESCAPE = re.compile(r'\\([\\"])')


def split(line: str) -> list[str]:
    """The words of ``line``; ``ValueError`` for an unclosed quote or a trailing backslash (as shlex)."""
    words: list[str] = []
    pieces: list[str] = []
    in_word = False
    for match in _TOKEN.finditer(line):
        kind = match.lastgroup
        value = match.group()
        if kind == "space" or kind == "comment":
            if in_word:
                words.append("".join(pieces))
                pieces, in_word = [], False
            if kind == "comment":
                break
            continue
        if kind == "open":
            raise ValueError("No closing quotation")
        if kind == "dangling":
            raise ValueError("No escaped character")
        in_word = True
        if kind == "single":
            pieces.append(value[1:-1])
        elif kind == "double":
            pieces.append(_DOUBLE_ESCAPE.sub(r"\1", value[1:-1]))
        elif kind == "escape":
            pieces.append(value[1])
        else:
            pieces.append(value)
    if in_word:
        words.append("".join(pieces))
    return words
