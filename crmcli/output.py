"""One writer for every result: table, plain, tsv, csv, json, jsonl, ids.

Data goes to stdout, messages to stderr.  On a terminal the default is a Rich
table; piped, it is tab-separated with no colour, no truncation and ISO-8601
times.  ``NO_COLOR`` is honoured.  JSON keys are the stable field names.

Data is never code: cells reach Rich as ``Text`` (a name like ``[bold]`` is shown as typed),
and control characters in the text formats (table, plain, tsv) are shown as ``^[``
(:mod:`crmcli.printable`), never sent to the terminal.  JSON and CSV carry the data exactly.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any, Iterable, Sequence

from crmcli.i18n import _
from crmcli.printable import clean


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    justify: str = "left"
    # Display names for coded values (status, source …): shown translated in table and plain
    # output only; tsv, csv and json keep the stable code.
    labels: dict[str, str] | None = None

    def human(self, value: Any, tz: tzinfo | None) -> str:
        if self.labels is not None and isinstance(value, str) and value in self.labels:
            return _(self.labels[value])
        return _human(value, tz)


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def _iso(value: Any, tz: tzinfo | None) -> Any:
    if isinstance(value, datetime):
        return (value.astimezone(tz) if tz else value).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _human(value: Any, tz: tzinfo | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return (value.astimezone(tz) if tz else value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(_human(v, tz) for v in value)
    if isinstance(value, dict):
        return clean(json.dumps(value, ensure_ascii=False, default=str))
    return clean(value)


def _machine(value: Any, tz: tzinfo | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date)):
        return _iso(value, tz)
    if isinstance(value, (list, tuple)):
        return ",".join(_machine(v, tz) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return clean(_one_line(str(value)))


def _one_line(text: str) -> str:
    """Tabs and line breaks as spaces: a row of tsv or csv is one line."""
    return text.replace("\t", " ").replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


def _csv_cell(value: Any, tz: tzinfo | None) -> str:
    """A ``--format csv`` cell: :func:`_machine` (but the data exact: CSV is read by programs), with text a
    spreadsheet would run as a formula escaped."""
    text = _one_line(value) if isinstance(value, str) else _machine(value, tz)
    if value is None or isinstance(value, (int, float, Decimal)):
        return text
    from crmcli.formulas import escape

    return escape(text)


def _jsonable(value: Any, tz: tzinfo | None) -> Any:
    if isinstance(value, (datetime, date)):
        return _iso(value, tz)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, tz) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v, tz) for k, v in value.items()}
    return value


class Output:
    """Renders results in the chosen format; built once per command by the runtime."""

    def __init__(self, fmt: str, tz: tzinfo | None = None, quiet: bool = False, stream: Any = None) -> None:
        self.fmt = fmt
        self.tz = tz
        self.quiet = quiet
        self._stream = stream

    @property
    def stream(self) -> Any:
        return self._stream or sys.stdout

    # -- lists ------------------------------------------------------------------------

    def rows(self, columns: Sequence[Column], rows: Iterable[dict[str, Any]], title: str | None = None) -> None:
        rows = list(rows)
        fmt = self.fmt
        if fmt == "json":
            self._write(json.dumps([self._json_row(r) for r in rows], ensure_ascii=False, indent=2) + "\n")
        elif fmt == "jsonl":
            self._write("".join(json.dumps(self._json_row(r), ensure_ascii=False) + "\n" for r in rows))
        elif fmt == "ids":
            self._write("".join(f"{r['id']}\n" for r in rows if r.get("id") is not None))
        elif fmt == "csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            writer.writerow([c.key for c in columns])
            for r in rows:  # for spreadsheets: text that would be a formula is escaped (crmcli/formulas.py)
                writer.writerow([_csv_cell(r.get(c.key), self.tz) for c in columns])
            self._write(buffer.getvalue())
        elif fmt == "tsv":
            # _machine already turned tabs and line breaks into spaces: no quoting or escaping needed,
            # so JSON values and backslashes come out as they are
            lines = ["\t".join(c.key for c in columns)]
            lines += ["\t".join(_machine(r.get(c.key), self.tz) for c in columns) for r in rows]
            self._write("\n".join(lines) + "\n")
        elif fmt == "plain":
            self._plain_table(columns, rows)
        else:
            self._rich_table(columns, rows, title)

    def _json_row(self, row: dict[str, Any]) -> dict[str, Any]:
        return {k: _jsonable(v, self.tz) for k, v in row.items()}

    def _plain_table(self, columns: Sequence[Column], rows: list[dict[str, Any]]) -> None:
        from rich.cells import cell_len

        cells = [[c.header for c in columns]] + [[c.human(r.get(c.key), self.tz) for c in columns] for r in rows]
        widths = [max(cell_len(row[i]) for row in cells) for i in range(len(columns))]
        lines = []
        for row in cells:
            parts = []
            for i, text in enumerate(row):
                pad = " " * (widths[i] - cell_len(text))
                parts.append(pad + text if columns[i].justify == "right" else text + pad)
            lines.append("  ".join(parts).rstrip())
        self._write("\n".join(lines) + "\n")

    def _rich_table(self, columns: Sequence[Column], rows: list[dict[str, Any]], title: str | None) -> None:
        from rich import box
        from rich.table import Table
        from rich.text import Text

        table = Table(box=box.SIMPLE_HEAD, title=Text(clean(title)) if title else None, show_edge=False,
                      pad_edge=False)
        for c in columns:
            table.add_column(Text(c.header), justify=c.justify, overflow="fold")
        for r in rows:  # Text, never markup: a name like "[bold]x" is shown as typed
            table.add_row(*[Text(c.human(r.get(c.key), self.tz)) for c in columns])
        self._console().print(table)
        if not rows:
            self.message(_("(nothing to show)"))

    def _console(self):
        from rich.console import Console

        return Console(file=self.stream, no_color=bool(os.environ.get("NO_COLOR")), highlight=False,
                       force_terminal=None if self._stream is None else False)

    # -- one record -------------------------------------------------------------------

    def record(self, fields: Sequence[tuple[str, str, Any]], data: dict[str, Any] | None = None) -> None:
        """A single record: ``fields`` is (key, label, value); JSON gets ``data`` or the keys."""
        payload = data if data is not None else {k: v for k, _label, v in fields}
        if self.fmt in ("json", "jsonl"):
            indent = 2 if self.fmt == "json" else None
            self._write(json.dumps(self._json_row(payload), ensure_ascii=False, indent=indent) + "\n")
        elif self.fmt == "ids":
            if payload.get("id") is not None:
                self._write(f"{payload['id']}\n")
        elif self.fmt in ("csv", "tsv"):
            # a field that ``data`` nests (custom.FIELD under custom) keeps its shown value
            row = {**{k: v for k, _label, v in fields}, **payload}
            self.rows([Column(k, label) for k, label, _v in fields], [row])
        else:
            from rich.cells import cell_len

            width = max((cell_len(label) for _k, label, _v in fields), default=0)
            lines = [f"{label}{' ' * (width - cell_len(label))}  {_human(value, self.tz)}"
                     for _k, label, value in fields]
            self._write("\n".join(lines) + "\n")

    def section(self, title: str) -> None:
        """A heading between parts of a multi-part view (text formats only)."""
        if self.fmt in ("table", "plain"):
            self._write(f"\n{clean(title)}\n")

    # -- messages ---------------------------------------------------------------------

    def message(self, text: str) -> None:
        """A human message on stderr (suppressed by --quiet)."""
        if not self.quiet:
            sys.stderr.write(clean(text) + "\n")

    def _write(self, text: str) -> None:
        self.stream.write(text)
