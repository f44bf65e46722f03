"""The project's one gettext function, ``_``, and the language switch.

Every user-facing string goes through ``_``.  Catalogs are ``.po`` files under
``crmcli/locale/<lang>/LC_MESSAGES/``: ``crmcli.po`` and one ``<area>.po`` per
capability added since (so that people working on different areas never edit
the same catalog); they are merged when loaded and read directly (no
compiled ``.mo`` step, so a source checkout is always in sync) and only when a
language other than English is active, which keeps ``crm --help`` fast.
"""

from __future__ import annotations

import os
from pathlib import Path

SUPPORTED = ("en", "zh_CN")
_LOCALE_DIR = Path(__file__).parent / "locale"

_language = "en"
_catalog: dict[str, str] = {}


def normalise_language(value: str | None) -> str | None:
    """Map what people type (``zh``, ``zh-CN``, ``zh_CN.UTF-8``, ``中文``) to a supported code."""
    if not value:
        return None
    v = value.strip().split(".")[0].replace("-", "_").lower()
    if v in ("zh", "zh_cn", "zh_hans", "zh_sg", "chinese", "中文", "简体中文"):
        return "zh_CN"
    if v in ("en", "c", "posix") or v.startswith("en_"):
        return "en"
    return None


def detect_language(configured: str | None = None) -> str:
    """``CRM_LANG``, then the config file's setting, then the OS locale, then English."""
    for candidate in (os.environ.get("CRM_LANG"), configured):
        lang = normalise_language(candidate)
        if lang:
            return lang
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return normalise_language(value) or "en"
    return "en"


def set_language(lang: str) -> None:
    global _language, _catalog
    lang = normalise_language(lang) or "en"
    if lang == _language:
        return
    _language = lang
    _catalog = {} if lang == "en" else load_catalog(lang)


def current_language() -> str:
    return _language


def _(message: str) -> str:
    """Translate ``message`` into the active language (English is the source)."""
    if not _catalog:
        return message
    return _catalog.get(message) or message


def N_(message: str) -> str:
    """Mark a string for translation without translating it yet (translated where shown)."""
    return message


def catalog_path(lang: str) -> Path:
    return _LOCALE_DIR / lang / "LC_MESSAGES" / "crmcli.po"


def catalog_paths(lang: str) -> list[Path]:
    """Every catalog of ``lang``: ``crmcli.po`` first, then the area catalogs by name."""
    directory = catalog_path(lang).parent
    if not directory.is_dir():
        return []
    return sorted(directory.glob("*.po"), key=lambda p: (p.name != "crmcli.po", p.name))


def load_catalog(lang: str) -> dict[str, str]:
    catalog: dict[str, str] = {}
    for path in catalog_paths(lang):
        catalog.update(parse_po(path.read_text(encoding="utf-8")))
    return catalog


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}


def _unquote(s: str) -> str:
    s = s.strip()
    if len(s) < 2 or s[0] != '"' or s[-1] != '"':
        raise ValueError(f"not a quoted po string: {s!r}")
    body = s[1:-1]
    if "\\" not in body:
        return body
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            out.append(_ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def parse_po(text: str) -> dict[str, str]:
    """A small ``.po`` reader: entries separated by blank lines; fuzzy ones skipped."""
    catalog: dict[str, str] = {}
    for block in text.split("\n\n"):
        parts: dict[str, list[str]] = {}
        current: list[str] | None = None
        fuzzy = False
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            elif line.startswith(("msgid ", "msgstr ")):
                keyword, _sep, rest = line.partition(" ")
                current = parts.setdefault(keyword, [])
                current.append(_unquote(rest))
            elif line.startswith('"') and current is not None:
                current.append(_unquote(line))
        key, value = "".join(parts.get("msgid", [])), "".join(parts.get("msgstr", []))
        if key and value and not fuzzy:
            catalog[key] = value
    return catalog
