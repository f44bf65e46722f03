"""Where the database is, and engines configured for it.

SQLite gets WAL, foreign keys, a busy timeout, and ``BEGIN IMMEDIATE`` for
write transactions (so two writers queue instead of failing on lock upgrade);
PostgreSQL goes through psycopg 3.  Connection problems become one clear
``CrmError`` instead of a driver traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from crmcli import settings
from crmcli.errors import CrmError, UsageError
from crmcli.i18n import _
from crmcli.store import schema

SQLITE_BUSY_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class Target:
    """A resolved database location."""

    url: str
    is_default: bool  # the per-user SQLite file nobody named explicitly

    @property
    def dialect(self) -> str:
        return "sqlite" if self.url.startswith("sqlite") else "postgresql"

    @property
    def sqlite_path(self) -> Path | None:
        if self.dialect != "sqlite":
            return None
        db = make_url(self.url).database
        return Path(db) if db and db != ":memory:" else None

    def display(self) -> str:
        """The URL with any password hidden."""
        return make_url(self.url).render_as_string(hide_password=True)


def resolve(raw: str | None) -> Target:
    """``--db``, then ``CRM_DATABASE_URL``, then the config file, then the default SQLite file."""
    value = raw or os.environ.get("CRM_DATABASE_URL") or settings.get("database")
    if not value:
        path = settings.default_database_path()
        return Target(f"sqlite:///{path}", is_default=True)
    return Target(normalise_url(value), is_default=False)


def normalise_url(value: str) -> str:
    value = value.strip()
    if "://" not in value:
        if not value or value.startswith(("postgres", "sqlite:")):
            raise _bad_url(value)
        return f"sqlite:///{Path(value).expanduser().resolve()}"
    try:
        url = make_url(value)
    except ArgumentError:
        raise _bad_url(value) from None
    backend, _plus, driver = url.drivername.partition("+")
    if backend in ("postgresql", "postgres"):
        if driver not in ("", "psycopg"):
            raise _bad_url(value)
        if not url.database:
            raise _bad_url(value)
        url = url.set(drivername="postgresql+psycopg")
    elif backend == "sqlite":
        if driver not in ("", "pysqlite"):
            raise _bad_url(value)
        url = url.set(drivername="sqlite")
        if url.database and url.database != ":memory:":
            url = url.set(database=str(Path(url.database).expanduser().resolve()))
    else:
        raise _bad_url(value)
    return url.render_as_string(hide_password=False)


def _bad_url(value: str) -> UsageError:
    return UsageError(
        _("not a database URL crm can use: '{value}'").format(value=value),
        hint=_("give a SQLite path, sqlite:///PATH, or postgresql+psycopg://USER@HOST:PORT/DB"),
    )


_engines: dict[str, Engine] = {}


def engine_for(target: Target) -> Engine:
    """One engine per URL per process (``crm batch`` and the TUI reuse it)."""
    engine = _engines.get(target.url)
    if engine is None:
        engine = _make_engine(target)
        _engines[target.url] = engine
    return engine


def dispose_all() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


def _make_engine(target: Target) -> Engine:
    if target.dialect == "sqlite":
        path = target.sqlite_path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(target.url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    try:
        return create_engine(target.url, pool_pre_ping=False, connect_args={"connect_timeout": 10})
    except (NoSuchModuleError, ModuleNotFoundError):
        raise CrmError(
            _("PostgreSQL support is not installed"),
            hint=_("pip install 'crmcli[postgres]'"),
        ) from None


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (the documented pysqlite recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _sqlite_on_begin(conn: Any) -> None:
    mode = "IMMEDIATE" if conn.get_execution_options().get("crm_write") else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


def describe_connect_error(target: Target, exc: Exception) -> CrmError:
    """Turn a driver error at connect time into one line a person understands."""
    detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if target.dialect == "sqlite":
        if "not a database" in detail or "file is encrypted" in detail:
            return CrmError(
                _("{path} is not a SQLite database").format(path=target.sqlite_path),
                hint=_("check --db or CRM_DATABASE_URL"),
            )
        return CrmError(_("cannot open the database {path}: {detail}").format(path=target.sqlite_path, detail=detail))
    url = make_url(target.url)
    return CrmError(
        _("cannot connect to PostgreSQL at {host}:{port}/{db}: {detail}").format(
            host=url.host or "localhost", port=url.port or 5432, db=url.database, detail=detail
        ),
        hint=_("is the server running, and does CRM_DATABASE_URL name it correctly?"),
    )


def current_revision(connection: Any) -> str | None:
    """The database's schema revision, or None when it has not been initialised."""
    from sqlalchemy import inspect

    if not inspect(connection).has_table("alembic_version"):
        return None
    row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
    return row[0] if row else None


def check_revision(revision: str | None, target: Target) -> None:
    """Refuse to work on a database this program cannot read correctly."""
    if revision is None:
        raise CrmError(
            _("no crm database at {where}").format(where=target.display()),
            hint=_("run crm init to create it"),
        )
    if revision == schema.HEAD:
        return
    if revision in schema.KNOWN_REVISIONS:
        raise CrmError(
            _("the database schema is at {have}; this crm needs {need}").format(have=revision, need=schema.HEAD),
            hint=_("run crm db upgrade (a SQLite database is backed up first)"),
        )
    raise CrmError(
        _("the database was written by a newer crm (schema {have}); this crm knows up to {need}").format(
            have=revision, need=schema.HEAD
        ),
        hint=_("upgrade crmcli: pip install -U crmcli"),
    )
