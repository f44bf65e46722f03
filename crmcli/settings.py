"""The user's config file: where it lives, what keys it may hold, reading and writing it.

The file is TOML in the XDG config dir (``~/.config/crmcli/config.toml`` on
Linux; ``CRM_CONFIG`` names another file).  It holds personal defaults only —
output format, time zone, language, acting login, database URL.  Settings that
belong to the whole team live in the database instead.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from crmcli.errors import CrmError, PermissionDenied, ValidationError
from crmcli.i18n import N_, _

APP_NAME = "crmcli"
FORMATS = ("table", "plain", "tsv", "csv", "json", "jsonl", "ids")


def _xdg(env: str, fallback: str) -> Path:
    value = os.environ.get(env)
    return Path(value) if value and os.path.isabs(value) else Path.home() / fallback


def config_dir() -> Path:
    if sys.platform.startswith("linux") or os.environ.get("XDG_CONFIG_HOME"):
        return _xdg("XDG_CONFIG_HOME", ".config") / APP_NAME
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME))


def config_path() -> Path:
    explicit = os.environ.get("CRM_CONFIG")
    return Path(explicit) if explicit else config_dir() / "config.toml"


def default_database_path() -> Path:
    return data_dir() / "crm.sqlite"


# --- keys -----------------------------------------------------------------------------


def _check_format(value: str) -> str:
    if value not in FORMATS:
        raise ValidationError(
            _("unknown output format '{value}'").format(value=value),
            hint=_("one of: {choices}").format(choices=", ".join(FORMATS)),
        )
    return value


def _check_timezone(value: str) -> str:
    from crmcli.timezones import load_zone

    load_zone(value)
    return value


def _check_language(value: str) -> str:
    from crmcli.i18n import SUPPORTED, normalise_language

    lang = normalise_language(value)
    if lang is None:
        raise ValidationError(
            _("unknown language '{value}'").format(value=value),
            hint=_("one of: {choices}").format(choices=", ".join(SUPPORTED)),
        )
    return lang


def _check_text(value: str) -> str:
    if not value.strip():
        raise ValidationError(_("the value may not be empty"))
    return value.strip()


@dataclass(frozen=True)
class Key:
    name: str
    help: str
    check: Callable[[str], Any]


KEYS: dict[str, Key] = {
    k.name: k
    for k in (
        Key("format", N_("default output format on a terminal (table, plain, tsv, csv, json, jsonl, ids)"), _check_format),
        Key("timezone", N_("time zone for showing and reading times, e.g. Asia/Shanghai"), _check_timezone),
        Key("language", N_("interface language: en or zh_CN"), _check_language),
        Key("user", N_("the login to act as when --user and CRM_USER are not given"), _check_text),
        Key("database", N_("database URL or SQLite path used when --db and CRM_DATABASE_URL are not given"), _check_text),
    )
}


def register_key(name: str, help: str, check: Callable[[str], Any]) -> None:
    """Later capabilities add their keys (e.g. ``smtp.host``) here."""
    KEYS[name] = Key(name, help, check)


# --- reading and writing --------------------------------------------------------------

_cache: dict[str, Any] | None = None
_checked: dict[str, Any] = {}


def _repair_hint() -> str:
    return _("fix it in an editor, or move it aside and start afresh with crm config reset --yes")


def _read_text(path: Path) -> str | None:
    """The file's text, None when there is none; a directory or an unreadable file is one line."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise ValidationError(_("the config file {path} is a directory").format(path=path),
                              hint=_("remove it, or name a file with CRM_CONFIG")) from None
    except PermissionError:
        raise PermissionDenied(_("cannot read the config file {path}: permission denied").format(path=path),
                               hint=_("check its permissions, or name another file with CRM_CONFIG")) from None
    except UnicodeDecodeError as exc:
        raise ValidationError(_("the config file {path} is not UTF-8 text (byte {at})").format(
            path=path, at=exc.start), hint=_repair_hint()) from None
    except OSError as exc:
        raise CrmError(_("cannot read the config file {path}: {reason}").format(
            path=path, reason=exc.strerror or exc)) from None


def load() -> dict[str, Any]:
    """The config as a flat ``{"dotted.key": value}`` dict, as written; empty when there is no file.

    Values are not checked here (``get`` checks each when it is used), so ``crm config set``
    and ``unset`` can repair a file that holds a bad value.
    """
    global _cache
    if _cache is not None:
        return _cache
    path = config_path()
    content = _read_text(path)
    if content is None:
        _cache = {}
        return _cache
    import tomllib

    try:
        data = tomllib.loads(content)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(
            _("the config file {path} is not valid TOML: {error}").format(path=path, error=exc),
            hint=_repair_hint(),
        ) from None
    _cache = _flatten(data)
    return _cache


def get(name: str, default: Any = None) -> Any:
    """A setting's value, checked by its key (a bad value names the key and the file; exit 6)."""
    if name in _checked:
        return _checked[name]
    value = load().get(name)
    key = KEYS.get(name)
    if value is None:
        return default
    if key is None:
        return value
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        problem = _("a single value is needed, not {value}").format(value=_toml_value(value))
    else:
        try:
            _checked[name] = key.check(value if isinstance(value, str) else str(value))
            return _checked[name]
        except CrmError as exc:
            problem = exc.message
    raise ValidationError(
        _("the config file {path}: {key} = {value}: {problem}").format(
            path=config_path(), key=name, value=_toml_value(value), problem=problem),
        hint=_("crm config set {key} VALUE, or crm config unset {key}").format(key=name),
    )


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def dump(flat: dict[str, Any]) -> str:
    """Write a flat dict back as TOML: top-level keys first, then one table per prefix."""
    top = {k: v for k, v in flat.items() if "." not in k}
    tables: dict[str, dict[str, Any]] = {}
    for key, value in flat.items():
        if "." in key:
            table, _sep, leaf = key.rpartition(".")
            tables.setdefault(table, {})[leaf] = value
    lines = [f"{k} = {_toml_value(v)}" for k, v in sorted(top.items())]
    for table in sorted(tables):
        lines.append("")
        lines.append(f"[{table}]")
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in sorted(tables[table].items()))
    return "\n".join(lines) + "\n"


def set_value(name: str, raw: str) -> Any:
    """Validate and store one key; returns the value as stored."""
    key = KEYS.get(name)
    if key is None:
        raise ValidationError(
            _("unknown setting '{name}'").format(name=name),
            hint=_("see crm config show for the settings there are"),
        )
    value = key.check(raw)
    flat = dict(load())
    flat[name] = value
    _write(flat)
    return value


def unset_value(name: str) -> None:
    flat = dict(load())
    if name not in flat:
        raise ValidationError(_("'{name}' is not set").format(name=name))
    del flat[name]
    _write(flat)


def _write(flat: dict[str, Any]) -> None:
    global _cache
    path = config_path()
    if path.is_dir():
        _read_text(path)  # "is a directory", as reading says it
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(dump(flat), encoding="utf-8")
        os.replace(tmp, path)
    except PermissionError:
        raise PermissionDenied(_("cannot write the config file {path}: permission denied").format(path=path)) from None
    except OSError as exc:
        raise CrmError(_("cannot write the config file {path}: {reason}").format(
            path=path, reason=exc.strerror or exc)) from None
    finally:
        tmp.unlink(missing_ok=True)
    _cache = flat
    _checked.clear()


def reset() -> Path | None:
    """Move the config file aside (``FILE.bak-TIME``) so every key has its default again."""
    from crmcli import clock

    global _cache
    path = config_path()
    if not path.exists() and not path.is_symlink():
        return None
    if path.is_dir():
        _read_text(path)
    kept = path.with_name(f"{path.name}.bak-{clock.now():%Y%m%dT%H%M%S}")
    try:
        os.replace(path, kept)
    except OSError as exc:
        raise CrmError(_("cannot move the config file {path} aside: {reason}").format(
            path=path, reason=exc.strerror or exc)) from None
    _cache = None
    _checked.clear()
    return kept


def reset_cache() -> None:
    global _cache
    _cache = None
    _checked.clear()
