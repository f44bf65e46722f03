"""Help text that wraps by terminal columns, so Chinese help fits the screen.

Click (vendored in Typer as ``typer._click``) measures and wraps help with
``len()``: a Chinese character counts as one column although it takes two, and
a paragraph without spaces is one unbreakable "word".  :func:`install` swaps in
a measure that counts East Asian wide characters as two columns and a wrapper
that may break between them.  English help wraps exactly as before.
"""

from __future__ import annotations

import re
import unicodedata

_WIDE = re.compile(r"[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]")
_ANSI = re.compile(r"\033\[[;?0-9]*[a-zA-Z]")


def width(text: str) -> int:
    """Terminal columns taken by ``text`` (ANSI codes take none, wide characters two)."""
    text = _ANSI.sub("", text)
    if not _WIDE.search(text):
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _wrapper_class(base: type) -> type:
    class ColumnWrapper(base):  # type: ignore[misc, valid-type]
        """textwrap that splits between wide characters and counts them as two columns."""

        def _split(self, text: str) -> list[str]:
            chunks = super()._split(text)
            out: list[str] = []
            for chunk in chunks:
                if _WIDE.search(chunk):
                    # every wide character is a break opportunity; keep ASCII runs together
                    out.extend(p for p in re.split(r"([\u1100-\uffe6])", chunk) if p)
                else:
                    out.append(chunk)
            return out

        def _wrap_chunks(self, chunks: list[str]) -> list[str]:
            lines: list[str] = []
            chunks = list(reversed(chunks))
            while chunks:
                current: list[str] = []
                used = 0
                indent = self.subsequent_indent if lines else self.initial_indent
                room = self.width - width(indent)
                if self.drop_whitespace and chunks[-1].strip() == "" and lines:
                    chunks.pop()
                while chunks:
                    size = width(chunks[-1])
                    if used + size <= room:
                        current.append(chunks.pop())
                        used += size
                    else:
                        break
                if chunks and width(chunks[-1]) > room and not current:
                    # a single chunk wider than the line: cut it by columns
                    piece, rest, taken = "", chunks[-1], 0
                    for ch in rest:
                        w = width(ch)
                        if taken + w > max(room, 1):
                            break
                        piece += ch
                        taken += w
                    chunks[-1] = rest[len(piece):]
                    current.append(piece)
                if self.drop_whitespace and current and current[-1].strip() == "":
                    current.pop()
                if current:
                    lines.append(indent + "".join(current))
            return lines

    return ColumnWrapper


def install() -> None:
    """Make the vendored click format help by columns (idempotent)."""
    try:
        from typer._click import _textwrap, formatting
    except ImportError:  # another Typer layout: leave it alone
        return
    if getattr(formatting, "crm_columns", False):
        return
    _textwrap.TextWrapper = _wrapper_class(_textwrap.TextWrapper)
    formatting.term_len = width
    formatting.crm_columns = True
