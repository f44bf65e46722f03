"""Record files: CSV, TSV, JSONL and JSON read as a stream of rows with line numbers, and written a row at a time.

Reading never holds a whole file: bytes are decoded chunk by chunk (strictly, so a file in
another encoding is refused with the line and byte that gave it away, and a guess for
``--encoding``), and rows come out one at a time with the line they start on, so a
rejected row can be named.  A row whose field count differs from the header's (a
"ragged" row) is not an error of the file: it comes out with ``problem`` set, and the
importer rejects that row alone.

* CSV: RFC 4180 (quoted fields may hold commas, quotes and line breaks; CRLF or LF).  CSV is
  what spreadsheets open, so text cells that would be formulas are written escaped (``'=…``) and
  read back unescaped (:mod:`crmcli.formulas`).
* TSV: tab-separated, no quoting (what ``crm … --format tsv`` writes; tabs and line breaks
  inside values are written as spaces, so TSV is the one lossy format).
* JSONL: one JSON object per line.
* JSON: one array of objects, parsed incrementally.

A UTF-8 byte-order mark is skipped.  Writers turn values into text the way importing reads
them back: times in ISO 8601 with their offset, booleans ``true``/``false``, lists
comma-separated (CSV/TSV) and JSON values as JSON.
"""

from __future__ import annotations

import codecs
import csv
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import PurePath
from typing import IO, Any, Iterator

from crmcli import formulas
from crmcli.errors import ValidationError
from crmcli.i18n import _

FORMATS = ("csv", "tsv", "jsonl", "json")
WRAPPER_KEYS = ("records", "data", "items", "rows", "results")  # {"records": [...]}: the array inside
EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}
CHUNK = 1 << 16
csv.field_size_limit(1 << 24)  # one field up to 16 MB (a long note), not the default 128 KB


def format_of(name: str | None, given: str | None = None) -> str | None:
    """The format asked for, else the one the file name's extension says (None: look at the content)."""
    if given:
        value = given.strip().lower()
        if value not in FORMATS:
            raise ValidationError(_("unknown file format '{format}'").format(format=given),
                                  hint=_("one of: {choices}").format(choices=", ".join(FORMATS)))
        return value
    if name and name != "-":
        return EXTENSIONS.get(PurePath(name).suffix.lower())
    return None


def check_encoding(encoding: str | None) -> str:
    value = (encoding or "utf-8").strip()
    try:
        info = codecs.lookup(value)
    except LookupError:
        raise ValidationError(_("unknown encoding '{encoding}'").format(encoding=value),
                              hint=_("for example utf-8, gb18030, gbk, cp1252, latin-1 or utf-16")) from None
    return "utf-8-sig" if info.name == "utf-8" else info.name  # a BOM is skipped, not read as text


@dataclass
class Row:
    """One record of the file: the line it starts on, its fields (a list, or a dict for JSON), a problem if any."""

    line: int
    values: Any
    problem: str | None = None


class Reader:
    """A stream of :class:`Row` from a binary file object; ``header`` is set for CSV and TSV once opened."""

    def __init__(self, stream: IO[bytes], name: str, fmt: str | None = None, encoding: str | None = None,
                 size: int | None = None) -> None:
        self.stream = stream
        self.name = name
        self.encoding = check_encoding(encoding)
        self.size = size  # bytes, when known (a file, not stdin): for progress
        self.position = 0  # bytes read so far
        self.header: list[str] | None = None
        self._newlines = 0  # line breaks in the text decoded so far (to name the line of a decoding error)
        self._decoder = codecs.getincrementaldecoder(self.encoding)(errors="strict")
        first = ""
        while not first.strip():  # read until there is something to look at
            more = self._read_text()
            if more is None:
                raise ValidationError(_("{name} is empty").format(name=name),
                                      hint=_("give a file with a header line and at least one row"))
            first += more
        self._first: str | None = first
        self.format = fmt or self._sniff(self._first)
        self._rows: Iterator[Row] = self._json_rows() if self.format == "json" else (
            self._jsonl_rows() if self.format == "jsonl" else self._csv_rows())
        if self.format in ("csv", "tsv"):
            self._open_csv()

    # -- bytes to text -------------------------------------------------------------------

    def _read_text(self) -> str | None:
        """The next decoded piece of text ('' possible), or None at the end of the file."""
        chunk = self.stream.read(CHUNK)
        final = not chunk
        try:
            text = self._decoder.decode(chunk, final)
        except UnicodeDecodeError as exc:
            raise self._decode_error(exc) from None
        self.position += len(chunk)
        self._newlines += text.count("\n")
        if final:
            return text or None
        return text

    def _decode_error(self, exc: UnicodeDecodeError) -> ValidationError:
        data = exc.object if isinstance(exc.object, (bytes, bytearray)) else b""
        line = self._newlines + data[:exc.start].count(b"\n") + 1
        bad = data[exc.start:exc.end] or data[exc.start:exc.start + 1]
        guess = guess_encoding(data[max(0, exc.start - 2000):exc.start + 2000], exc.start - max(0, exc.start - 2000))
        shown = self.encoding.replace("utf-8-sig", "utf-8").upper().replace("_", "-")
        return ValidationError(
            _("{name} is not {encoding} text: line {line} has the byte {byte}, which {encoding} does not allow there").format(
                name=self.name, encoding=shown, line=line, byte="0x" + bad[:1].hex()),
            hint=_("say the file's encoding with --encoding, e.g. --encoding {guess}").format(guess=guess))

    def _text_lines(self) -> Iterator[str]:
        """Lines ending in '\\n' (the last may lack it), decoded chunk by chunk."""
        carry = ""
        text = self._first
        self._first = ""
        while text is not None:
            if carry:
                text = carry + text
            parts = text.split("\n")
            carry = parts.pop()
            for part in parts:
                yield part + "\n"
            text = self._read_text()
        if carry:
            yield carry

    # -- CSV and TSV ---------------------------------------------------------------------

    def _open_csv(self) -> None:
        """Read the header: a name that two columns share is refused (one of them would be lost)."""
        lines = self._text_lines()
        if self.format == "tsv":
            self._csv = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE, strict=False)
        else:
            self._csv = csv.reader(lines, strict=False)
        header = None
        try:
            for fields in self._csv:
                if fields and any(f.strip() for f in fields):
                    header = fields
                    break
        except csv.Error as exc:
            raise self._csv_error(exc) from None
        if header is None:
            raise ValidationError(_("{name} is empty").format(name=self.name),
                                  hint=_("give a file with a header line and at least one row"))
        self.header = [h.strip() for h in header]
        seen: dict[str, int] = {}
        for name in self.header:
            if name:
                seen[name] = seen.get(name, 0) + 1
        twice = [name for name, n in seen.items() if n > 1]
        if twice:
            raise ValidationError(_("{name}: more than one column is named {columns}").format(
                name=self.name, columns=", ".join(f"'{t}'" for t in twice)),
                hint=_("rename one of them in the header, so that no column is silently lost"))
        if "\x00" in "".join(self.header):
            raise ValidationError(_("{name}, line {line}: {problem}").format(
                name=self.name, line=1, problem=nul_problem(h for h in self.header if "\x00" in h)))

    def _csv_error(self, exc: Exception) -> ValidationError:
        return ValidationError(_("{name}, line {line}: {problem}").format(
            name=self.name, line=self._csv.line_num, problem=str(exc)))

    def _csv_rows(self) -> Iterator[Row]:
        width = len(self.header or [])
        reader = self._csv
        unescape = self.format == "csv"  # CSV from crm or a spreadsheet: '=… is the text =…
        header = self.header or []
        last = reader.line_num
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise self._csv_error(exc) from None
            start, last = last + 1, reader.line_num
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue  # a blank line is no row
            joined = "\n" + "\n".join(fields)  # (one C-speed test per row for what is rare)
            if "\x00" in joined:
                yield Row(start, fields, nul_problem(header[i] if i < len(header) else str(i + 1)
                                                     for i, f in enumerate(fields) if "\x00" in f))
                continue
            if unescape and "\n'" in joined:
                fields = [formulas.unescape(f) for f in fields]
            if len(fields) != width:
                yield Row(start, fields, _("it has {n} fields, the header has {width}").format(n=len(fields), width=width))
            else:
                yield Row(start, fields)

    # -- JSON lines and JSON -------------------------------------------------------------

    def _jsonl_rows(self) -> Iterator[Row]:
        decode = _UNIQUE_KEYS.decode
        for number, line in enumerate(self._text_lines(), start=1):
            if not line.strip():
                continue
            try:
                value = decode(line)
            except DuplicateKey as exc:
                yield Row(number, line.rstrip("\r\n"), exc.problem)
                continue
            except ValueError as exc:
                yield Row(number, line.rstrip("\r\n"), _("not valid JSON: {problem}").format(
                    problem=getattr(exc, "msg", str(exc))))
                continue
            if not isinstance(value, dict):
                yield Row(number, value, _("not a JSON object"))
            else:
                yield Row(number, value)

    def _json_rows(self) -> Iterator[Row]:
        decoder = json.JSONDecoder()
        unique = _UNIQUE_KEYS
        state = {"buf": self._first or "", "i": 0, "line": 1, "eof": False}
        self._first = ""

        def more() -> bool:
            if state["eof"]:
                return False
            text = self._read_text()
            if text is None:
                state["eof"] = True
                return False
            state["buf"] = state["buf"][state["i"]:] + text
            state["i"] = 0
            return True

        def skip_space() -> str | None:
            while True:
                buf, i = state["buf"], state["i"]
                while i < len(buf) and buf[i] in " \t\r\n":
                    if buf[i] == "\n":
                        state["line"] += 1
                    i += 1
                state["i"] = i
                if i < len(buf):
                    return buf[i]
                if not more():
                    return None

        def bad(what: str) -> ValidationError:
            return ValidationError(_("{name}, line {line}: {problem}").format(
                name=self.name, line=state["line"], problem=what),
                hint=_("a .json file holds one array of objects; one object per line is --input-format jsonl"))

        def whole() -> Any:
            """One whole JSON value (a key, or a member skipped) at the current position."""
            while True:
                try:
                    found, end = decoder.raw_decode(state["buf"], state["i"])
                    break
                except json.JSONDecodeError as exc:
                    if exc.pos < len(state["buf"]) - 1 or not more():
                        state["line"] += state["buf"].count("\n", state["i"], exc.pos)
                        raise bad(_("not valid JSON: {problem}").format(problem=exc.msg)) from None
            state["line"] += state["buf"].count("\n", state["i"], end)
            state["i"] = end
            return found

        def members_until_array() -> bool:
            """Inside a wrapping object: skip members up to the one that holds the records (True), or to the end."""
            while True:
                ch = skip_space()
                if ch == "}":
                    state["i"] += 1
                    return False
                if ch == ",":
                    state["i"] += 1
                    ch = skip_space()
                if ch != '"':
                    raise bad(_("not a JSON array"))
                key = whole()
                if skip_space() != ":":
                    raise bad(_("not valid JSON: {problem}").format(problem="':'"))
                state["i"] += 1
                if skip_space() == "[" and key in WRAPPER_KEYS:
                    return True
                whole()

        # one array of objects; or an object that wraps one under "records" (a Salesforce export), "data" …
        wrapped = skip_space() == "{"
        if wrapped:
            state["i"] += 1
            if not members_until_array():
                raise bad(_("not a JSON array"))
        if skip_space() != "[":
            raise bad(_("not a JSON array"))
        state["i"] += 1
        first = True
        while True:
            ch = skip_space()
            if ch is None:
                raise bad(_("the array is not closed"))
            if ch == "]":
                state["i"] += 1
                if wrapped and members_until_array():
                    raise bad(_("text after the end of the array"))
                if skip_space() is not None:
                    raise bad(_("text after the end of the array"))
                return
            if not first:
                if ch != ",":
                    raise bad(_("expected ',' between objects"))
                state["i"] += 1
                if skip_space() is None:
                    raise bad(_("the array is not closed"))
            first = False
            problem = None
            while True:
                try:
                    try:
                        value, end = unique.raw_decode(state["buf"], state["i"])
                    except DuplicateKey as exc:
                        problem = exc.problem
                        value, end = decoder.raw_decode(state["buf"], state["i"])
                    break
                except json.JSONDecodeError as exc:
                    if exc.pos < len(state["buf"]) - 1 or not more():
                        state["line"] += state["buf"].count("\n", state["i"], exc.pos)
                        raise bad(_("not valid JSON: {problem}").format(problem=exc.msg)) from None
            start = state["line"]
            state["line"] += state["buf"].count("\n", state["i"], end)
            state["i"] = end
            if problem is not None:
                yield Row(start, value, problem)
            else:
                yield Row(start, value) if isinstance(value, dict) else Row(start, value, _("not a JSON object"))

    # -- the rest ------------------------------------------------------------------------

    @staticmethod
    def _sniff(text: str) -> str:
        head = text.lstrip("\ufeff \t\r\n")
        if head.startswith("{"):
            return "jsonl"
        if head.startswith("["):
            return "json"
        first = head.split("\n", 1)[0]
        return "tsv" if first.count("\t") > first.count(",") else "csv"

    def __iter__(self) -> Iterator[Row]:
        return self._rows


class DuplicateKey(ValueError):
    """A JSON object names a key twice (json keeps the last silently: one value would be lost)."""

    def __init__(self, key: str) -> None:
        self.problem = _("the key '{key}' appears more than once in the object").format(key=key)
        super().__init__(self.problem)


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise DuplicateKey(key)
            seen.add(key)
    return found


_UNIQUE_KEYS = json.JSONDecoder(object_pairs_hook=_unique_pairs)


def nul_problem(fields: Iterator[str] | list[str]) -> str:
    """The reason a row with a NUL character is refused (PostgreSQL cannot store one; SQLite must not either)."""
    names = ", ".join(dict.fromkeys(str(f).replace("\x00", "\\0") for f in fields))
    return _("{fields}: text may not contain a NUL character (\\0)").format(fields=names)


def guess_encoding(data: bytes, at: int = 0) -> str:
    """A likely encoding for bytes that are not UTF-8: GB18030 when they read as Chinese, else cp1252."""
    window = data[max(0, at - 1):at + 64]
    for start in (at, max(0, at - 1)):
        try:
            text = data[start:start + 2].decode("gb18030")
        except UnicodeDecodeError:
            continue
        if any("\u4e00" <= ch <= "\u9fff" for ch in text):
            return "gb18030"
    try:
        window.decode("utf-16")
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return "utf-16"
    except UnicodeDecodeError:
        pass
    return "cp1252"


# --- writing ------------------------------------------------------------------------------


def text_value(value: Any) -> str:
    """A value as one CSV/TSV cell, in the form importing reads back."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ",".join(text_value(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def csv_cell(value: Any) -> str:
    """A value as one cell of CSV meant for spreadsheets: :func:`text_value`, formulas escaped (numbers never)."""
    if value is None or isinstance(value, (int, float, Decimal)):  # (bool is an int: true/false is no formula)
        return text_value(value)
    return formulas.escape(text_value(value))


def json_value(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    return value


class Writer:
    """Writes rows (dicts) to a text stream in one format; ``close()`` ends a JSON array.

    CSV is for spreadsheets: its text cells that would be formulas are escaped
    (:mod:`crmcli.formulas`) unless ``escape_formulas`` is False; TSV and JSON are written as they are.
    """

    def __init__(self, stream: IO[str], fmt: str, columns: list[str], escape_formulas: bool = True) -> None:
        if fmt not in FORMATS:
            raise ValidationError(_("unknown file format '{format}'").format(format=fmt),
                                  hint=_("one of: {choices}").format(choices=", ".join(FORMATS)))
        self.stream, self.fmt, self.columns = stream, fmt, list(columns)
        self.count = 0
        self._cell = csv_cell if escape_formulas else text_value
        if fmt == "csv":
            self._csv = csv.writer(stream, lineterminator="\n")
            self._csv.writerow(self.columns)
        elif fmt == "tsv":
            stream.write("\t".join(self.columns) + "\n")
        elif fmt == "json":
            stream.write("[")

    def write(self, row: dict[str, Any]) -> None:
        fmt = self.fmt
        if fmt == "csv":
            cell = self._cell
            self._csv.writerow([cell(row.get(c)) for c in self.columns])
        elif fmt == "tsv":
            self.stream.write("\t".join(_tsv_cell(text_value(row.get(c))) for c in self.columns) + "\n")
        else:
            text = json.dumps({c: json_value(row.get(c)) for c in self.columns}, ensure_ascii=False)
            if fmt == "jsonl":
                self.stream.write(text + "\n")
            else:
                self.stream.write(("\n" if self.count == 0 else ",\n") + text)
        self.count += 1

    def close(self) -> None:
        if self.fmt == "json":
            self.stream.write("\n]\n" if self.count else "]\n")
        self.stream.flush()


def _tsv_cell(text: str) -> str:
    return text.replace("\r\n", " ").replace("\t", " ").replace("\n", " ").replace("\r", " ")


class Rejects:
    """The rejects file: every rejected row with its line number and the reason.

    CSV/TSV input gives CSV/TSV rejects with the columns ``line``, ``reason`` and then the file's
    own columns (a fixed file can be imported again: ``line`` and ``reason`` map to nothing);
    JSONL/JSON input gives JSONL, one ``{"line", "reason", "row"}`` object per rejected row.
    """

    def __init__(self, stream: IO[str], fmt: str, header: list[str] | None) -> None:
        self.stream = stream
        self.fmt = "jsonl" if fmt in ("jsonl", "json") else fmt
        self.count = 0
        if self.fmt == "csv":
            self._csv = csv.writer(stream, lineterminator="\n")
            self._csv.writerow(["line", "reason", *map(formulas.escape, header or [])])
        elif self.fmt == "tsv":
            stream.write("\t".join(["line", "reason", *(header or [])]) + "\n")

    def add(self, row: Row, reason: str) -> None:
        self.count += 1
        if self.fmt == "jsonl":
            self.stream.write(json.dumps({"line": row.line, "reason": reason, "row": json_value(row.values)},
                                         ensure_ascii=False) + "\n")
            return
        values = row.values if isinstance(row.values, list) else [text_value(row.values)]
        if self.fmt == "csv":
            self._csv.writerow([row.line, formulas.escape(reason), *map(formulas.escape, values)])
        else:
            self.stream.write("\t".join([str(row.line), _tsv_cell(reason), *map(_tsv_cell, values)]) + "\n")

    def close(self) -> None:
        self.stream.flush()
