#!/usr/bin/env python3
"""Keep the zh_CN catalog in step with the code (stdlib only).

Usage (from the repository root)::

    python tools/i18n.py extract [-o FILE]   # every _()/N_() literal, as a .pot template (stdout by default)
    python tools/i18n.py check               # missing / untranslated / obsolete msgids; exit 1 if work is left
    python tools/i18n.py update              # append missing msgids (empty msgstr) to the end of the .po file
    python tools/i18n.py --po crmcli/locale/zh_CN/LC_MESSAGES/pool.po update   # ... of an area catalog

The zh_CN catalog is ``crmcli.po`` plus one area catalog per capability beside
it (``pool.po``, ``pipeline.po``, ...), merged by the program; ``check`` with
the default ``--po`` checks the code against all of them together.

Strings are found with :mod:`ast` in ``crmcli/**/*.py``: the first argument of a
call to ``_`` or ``N_`` (also ``i18n._``) when it is a string literal, including
implicitly concatenated literals (``"a" "b"``) and ``"a" + "b"``.  Calls whose
argument is anything else (a variable, an f-string with fields, ...) cannot be
extracted; they are reported as warnings with ``file:line`` — such strings must
be marked with ``N_("...")`` where they are defined.

``update`` never rewrites existing entries: it only appends new ones, each with a
``#: file:line`` reference comment, so someone can then fill in the translations.
``check`` exits 1 while any msgid used in the code is missing from the catalog,
has an empty msgstr, is marked fuzzy, or whose translation does not keep the
msgid's ``{placeholders}``; obsolete entries (no longer in the code) are listed
but do not fail the check.

The catalog format is what :func:`crmcli.i18n.parse_po` reads: entries separated
by one blank line, no blank lines inside an entry, UTF-8.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "crmcli"
LANG = "zh_CN"
PO_PATH = PACKAGE / "locale" / LANG / "LC_MESSAGES" / "crmcli.po"

MARKERS = ("_", "N_")
WRAP_WIDTH = 76  # display columns of a string's content per .po line

HEADER = (
    "# Simplified Chinese (zh_CN) messages for crmcli.\n"
    "# Read directly by crmcli/i18n.py; there is no .mo compile step.\n"
    "# New strings: python tools/i18n.py update, then fill in each empty msgstr;\n"
    "# python tools/i18n.py check must pass before committing.\n"
    "#\n"
    'msgid ""\n'
    'msgstr ""\n'
    '"Project-Id-Version: crmcli\\n"\n'
    '"Language: zh_CN\\n"\n'
    '"MIME-Version: 1.0\\n"\n'
    '"Content-Type: text/plain; charset=UTF-8\\n"\n'
    '"Content-Transfer-Encoding: 8bit\\n"\n'
    '"Plural-Forms: nplurals=1; plural=0;\\n"\n'
)

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+|\[[^\]]*\])*(?:![rsa])?(?::[^{}]*)?)\}")


# --- extraction ------------------------------------------------------------------------


@dataclass
class Extracted:
    messages: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # msgid -> [(file, line)]
    warnings: list[str] = field(default_factory=list)


def _literal(node: ast.AST) -> str | None:
    """The string a literal expression stands for, or None when it is not a plain literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value  # implicit concatenation is already folded by the parser
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left), _literal(node.right)
        if left is not None and right is not None:
            return left + right
    if isinstance(node, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in node.values):
        return "".join(v.value for v in node.values)  # an f-string without fields
    return None


def _marker_name(func: ast.AST) -> str | None:
    if isinstance(func, ast.Name) and func.id in MARKERS:
        return func.id
    if isinstance(func, ast.Attribute) and func.attr in MARKERS and isinstance(func.value, ast.Name) \
            and func.value.id == "i18n":
        return f"i18n.{func.attr}"
    return None


def python_files(package: Path | None = None) -> list[Path]:
    package = package or PACKAGE
    return sorted(p for p in package.rglob("*.py") if "__pycache__" not in p.parts)


def extract(package: Path | None = None, root: Path | None = None) -> Extracted:
    """Every msgid marked in the package, with where it is used (paths relative to ``root``)."""
    package = package or PACKAGE
    root = root or package.parent
    result = Extracted()
    found: list[tuple[str, int, int, str]] = []
    for path in python_files(package):
        rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except SyntaxError as exc:
            result.warnings.append(f"{rel}:{exc.lineno}: cannot parse: {exc.msg}")
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _marker_name(node.func)
            if name is None:
                continue
            where = f"{rel}:{node.lineno}"
            if len(node.args) != 1 or node.keywords:
                result.warnings.append(f"{where}: {name}() takes exactly one string argument")
                continue
            text = _literal(node.args[0])
            if text is None:
                result.warnings.append(
                    f"{where}: {name}() with a non-literal argument cannot be extracted: {ast.unparse(node.args[0])}")
                continue
            if text == "":
                result.warnings.append(f"{where}: {name}(\"\") — the empty msgid is the catalog header")
                continue
            found.append((rel, node.lineno, node.col_offset, text))
    def where(warning: str) -> tuple[str, int]:
        file, _sep, rest = warning.partition(":")
        line = rest.split(":", 1)[0]
        return file, int(line) if line.isdigit() else 0

    result.warnings.sort(key=where)
    for rel, line, _col, text in sorted(found, key=lambda f: (f[0], f[1], f[2])):
        refs = result.messages.setdefault(text, [])
        if (rel, line) not in refs:
            refs.append((rel, line))
    return result


# --- reading the catalog ---------------------------------------------------------------

_UNESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}


def _unquote(s: str) -> str:
    s = s.strip()
    if len(s) < 2 or s[0] != '"' or s[-1] != '"':
        raise ValueError(f"not a quoted po string: {s!r}")
    out, i, body = [], 0, s[1:-1]
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            out.append(_UNESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


@dataclass
class Entry:
    msgid: str
    msgstr: str
    fuzzy: bool
    line: int  # where the entry starts in the file (1-based)
    file: Path | None = None  # which catalog it is in (set by load())


def read_po(text: str) -> list[Entry]:
    """All entries, the header (msgid "") included; obsolete (#~) entries are left out.

    Same block structure as the runtime reader, but keeps empty and fuzzy entries.
    """
    entries: list[Entry] = []
    line_no = 1
    for block in text.split("\n\n"):
        start = line_no
        line_no += block.count("\n") + 2
        parts: dict[str, list[str]] = {}
        current: list[str] | None = None
        fuzzy = False
        for raw in block.splitlines():
            line = raw.strip()
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            elif line.startswith(("msgid ", "msgstr ")):
                keyword, _sep, rest = line.partition(" ")
                current = parts.setdefault(keyword, [])
                current.append(_unquote(rest))
            elif line.startswith('"') and current is not None:
                current.append(_unquote(line))
        if "msgid" in parts:
            first = next((i for i, l in enumerate(block.splitlines()) if l.strip() and not l.startswith("#")), 0)
            entries.append(Entry("".join(parts["msgid"]), "".join(parts.get("msgstr", [])), fuzzy,
                                 start + first))
    return entries


def catalogs() -> list[Path]:
    """``crmcli.po`` and the area catalogs beside it (``pool.po``, ``pipeline.po``, ...)."""
    return sorted(PO_PATH.parent.glob("*.po"), key=lambda p: (p != PO_PATH, p.name))


def load(path: Path | None = None) -> list[Entry]:
    """The entries of one catalog, or of all of them (``path`` None) in load order."""
    entries: list[Entry] = []
    for p in [path] if path else catalogs():
        if p.exists():
            for e in read_po(p.read_text(encoding="utf-8")):
                e.file = p
                entries.append(e)
    return entries


# --- writing entries -------------------------------------------------------------------


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            .replace("\t", "\\t").replace("\r", "\\r"))


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


_BREAK_AFTER = set(" ，。；：、！？）)")


def _chunks(segment: str, width: int = WRAP_WIDTH) -> list[str]:
    """Split one line of text into pieces of at most ``width`` columns, preferring to break after
    a space or CJK punctuation. Joining the pieces gives back the segment exactly."""
    pieces: list[str] = []
    while _width(_escape(segment)) > width:
        used, cut, best = 0, 0, 0
        for i, ch in enumerate(segment):
            used += _width(_escape(ch))
            if used > width:
                break
            cut = i + 1
            if ch in _BREAK_AFTER:
                best = i + 1
        cut = best if best > width // 3 else max(cut, 1)
        if _width(_escape(segment[cut:])) < 8:  # no stub of a line for the last few characters
            break
        pieces.append(segment[:cut])
        segment = segment[cut:]
    if segment:
        pieces.append(segment)
    return pieces


def format_string(keyword: str, text: str) -> str:
    """``msgid "..."`` — on several lines (gettext style) when it has newlines or is long."""
    one = f'{keyword} "{_escape(text)}"'
    if "\n" not in text.rstrip("\n") and _width(one) <= WRAP_WIDTH + 4:
        return one + "\n"
    lines = [f'{keyword} ""']
    for segment in re.split(r"(?<=\n)", text):
        lines.extend(f'"{_escape(piece)}"' for piece in _chunks(segment))
    return "\n".join(lines) + "\n"


def format_entry(msgid: str, msgstr: str = "", refs: list[tuple[str, int]] | None = None,
                 fuzzy: bool = False) -> str:
    out = []
    if refs:
        line = "#:"
        for file, n in refs:
            ref = f" {file}:{n}"
            if len(line) + len(ref) > 79 and line != "#:":
                out.append(line)
                line = "#:"
            line += ref
        out.append(line)
    if fuzzy:
        out.append("#, fuzzy")
    text = "\n".join(out) + "\n" if out else ""
    return text + format_string("msgid", msgid) + format_string("msgstr", msgstr)


# --- commands --------------------------------------------------------------------------


def placeholders(text: str) -> set[str]:
    return {m.group(0) for m in PLACEHOLDER.finditer(text)}


@dataclass
class Report:
    missing: list[str]
    untranslated: list[Entry]
    fuzzy: list[Entry]
    mismatched: list[Entry]
    obsolete: list[Entry]
    duplicates: list[Entry]

    @property
    def ok(self) -> bool:
        return not (self.missing or self.untranslated or self.fuzzy or self.mismatched or self.duplicates)


def compare(extracted: Extracted, entries: list[Entry]) -> Report:
    seen: dict[str, Entry] = {}
    duplicates = []
    for e in entries:
        if e.msgid in seen:
            duplicates.append(e)
        seen[e.msgid] = e
    used = extracted.messages
    return Report(
        missing=[m for m in used if m not in seen],
        untranslated=[seen[m] for m in used if m in seen and not seen[m].msgstr],
        fuzzy=[seen[m] for m in used if m in seen and seen[m].msgstr and seen[m].fuzzy],
        mismatched=[seen[m] for m in used if m in seen and seen[m].msgstr
                    and placeholders(m) != placeholders(seen[m].msgstr)],
        obsolete=[e for e in entries if e.msgid and e.msgid not in used],
        duplicates=duplicates,
    )


def _short(text: str, limit: int = 70) -> str:
    shown = text.replace("\n", "\\n")
    return shown if len(shown) <= limit else shown[:limit - 1] + "…"


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def _print_warnings(extracted: Extracted) -> None:
    for w in extracted.warnings:
        print(f"warning: {w}", file=sys.stderr)


def cmd_extract(args: argparse.Namespace) -> int:
    extracted = extract()
    _print_warnings(extracted)
    pot = ['msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n']
    pot += [format_entry(m, "", refs) for m, refs in extracted.messages.items()]
    text = "\n".join(pot)
    if args.output and args.output != "-":
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    files = {f for refs in extracted.messages.values() for f, _n in refs}
    print(f"{len(extracted.messages)} msgids in {len(files)} files, {len(extracted.warnings)} warnings",
          file=sys.stderr)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    extracted = extract()
    _print_warnings(extracted)
    po = Path(args.po)
    if not po.exists():
        print(f"{_rel(po)} does not exist; run: python tools/i18n.py update", file=sys.stderr)
        return 1
    # The default catalog stands for all of them: crmcli.po and the area catalogs beside it.
    entries = load() if po.resolve() == PO_PATH else load(po)
    report = compare(extracted, [e for e in entries if e.msgid])

    def where(e: Entry) -> str:
        return f"{_rel(e.file or po)}:{e.line}"

    for m in report.missing:
        refs = extracted.messages[m]
        print(f"missing: {refs[0][0]}:{refs[0][1]}: {_short(m)}")
    for e in report.untranslated:
        print(f"untranslated: {where(e)}: {_short(e.msgid)}")
    for e in report.fuzzy:
        print(f"fuzzy: {where(e)}: {_short(e.msgid)}")
    for e in report.mismatched:
        print(f"placeholders differ: {where(e)}: {_short(e.msgid)} "
              f"({' '.join(sorted(placeholders(e.msgid))) or 'none'} vs "
              f"{' '.join(sorted(placeholders(e.msgstr))) or 'none'})")
    for e in report.duplicates:
        print(f"duplicate entry: {where(e)}: {_short(e.msgid)}")
    for e in report.obsolete:
        print(f"obsolete (not in the code any more): {where(e)}: {_short(e.msgid)}")
    translated = len(extracted.messages) - len(report.missing) - len(report.untranslated) - len(report.fuzzy)
    print(f"{LANG}: {translated}/{len(extracted.messages)} translated; {len(report.missing)} missing, "
          f"{len(report.untranslated)} untranslated, {len(report.fuzzy)} fuzzy, "
          f"{len(report.mismatched)} with different placeholders, {len(report.obsolete)} obsolete",
          file=sys.stderr)
    if report.missing:
        print("run: python tools/i18n.py update, then translate the new entries", file=sys.stderr)
    return 0 if report.ok else 1


def cmd_update(args: argparse.Namespace) -> int:
    extracted = extract()
    _print_warnings(extracted)
    po = Path(args.po)
    text = po.read_text(encoding="utf-8") if po.exists() else ""
    entries = read_po(text)
    if not any(e.msgid == "" for e in entries):
        if text.strip():
            print(f"{_rel(po)} has no header entry; adding none to an existing file", file=sys.stderr)
        else:
            text = HEADER
    known = {e.msgid for e in entries}
    if po.resolve().parent == PO_PATH.parent:  # an area catalog: what another catalog already has is not new
        known |= {e.msgid for e in load()}
    new = [m for m in extracted.messages if m not in known]
    if new:
        text = text.rstrip("\n") + "\n"
        text += "".join("\n" + format_entry(m, "", extracted.messages[m]) for m in new)
    if new or not po.exists():
        po.parent.mkdir(parents=True, exist_ok=True)
        po.write_text(text, encoding="utf-8")
    for m in new:
        refs = extracted.messages[m]
        print(f"added: {refs[0][0]}:{refs[0][1]}: {_short(m)}")
    print(f"{len(new)} new msgids appended to {_rel(po)}" if new else f"{_rel(po)} already has every msgid",
          file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/i18n.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--po", default=str(PO_PATH), help="the catalog (default: the zh_CN crmcli.po)")
    po_anywhere = argparse.ArgumentParser(add_help=False)
    po_anywhere.add_argument("--po", default=argparse.SUPPRESS, help="the catalog (default: the zh_CN crmcli.po)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("extract", parents=[po_anywhere], help="print every _()/N_() string as a .pot template")
    p.add_argument("-o", "--output", help="write the template to this file instead of stdout")
    sub.add_parser("check", parents=[po_anywhere],
                   help="list msgids missing, untranslated, fuzzy or obsolete in the catalog; exit 1 if work is left")
    sub.add_parser("update", parents=[po_anywhere],
                   help="append missing msgids (empty msgstr, #: file:line) to the end of the catalog")
    args = parser.parse_args(argv)
    return {"extract": cmd_extract, "check": cmd_check, "update": cmd_update}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
