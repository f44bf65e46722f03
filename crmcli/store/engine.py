"""Where the database is, and engines configured for it.

SQLite gets WAL, foreign keys, and ``BEGIN IMMEDIATE`` for write transactions (so
two writers queue instead of failing on lock upgrade); the wait for another
writer is a Python loop of short waits (``CRM_BUSY_TIMEOUT`` seconds in all), so
Ctrl-C is acted on at once.  A file this process may not write is opened
read-only.  PostgreSQL goes through psycopg 3.  Every driver error becomes one
clear ``CrmError`` (``describe_db_error``) instead of a traceback with SQL.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from crmcli import settings
from crmcli.errors import Busy, Collision, CrmError, PermissionDenied, UsageError
from crmcli.i18n import _
from crmcli.store import schema

DEFAULT_BUSY_TIMEOUT = 30.0  # seconds a write waits for another crm's write lock (CRM_BUSY_TIMEOUT)
# SQLite's own busy handler sleeps in C, where Ctrl-C is not seen; it waits this long at a time
# and the Python loop in _sqlite_on_begin does the rest of the waiting.
SQLITE_SLICE_MS = 100


def busy_timeout() -> float:
    """``CRM_BUSY_TIMEOUT`` in seconds (default 30); a bad value is a usage error."""
    raw = os.environ.get("CRM_BUSY_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_BUSY_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 86_400:
        raise UsageError(_("CRM_BUSY_TIMEOUT must be a number of seconds from 0 to 86400, not '{value}'").format(
            value=raw))
    return value


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
    """``--db``, then ``CRM_DATABASE_URL``, then the config file, then the default SQLite file.

    An empty ``--db ''`` or ``CRM_DATABASE_URL=`` is refused rather than read as "unset": falling
    back to the default file would quietly create a new database with the caller as its
    administrator.
    """
    env = os.environ.get("CRM_DATABASE_URL")
    if raw is not None and raw == env:
        raw = None  # the option read the environment variable: name the variable in any error
    if raw is not None and not raw.strip():
        raise UsageError(_("--db is empty"), hint=_("give a SQLite path or URL, or leave --db out"))
    if raw is None and env is not None and not env.strip():
        raise UsageError(_("CRM_DATABASE_URL is set but empty"),
                         hint=_("unset it (unset CRM_DATABASE_URL) or give a database URL"))
    value = raw or env or settings.get("database")
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
        access = sqlite_access(path)
        url: Any = target.url if access == "rw" else _sqlite_readonly_url(path, access)
        engine = create_engine(url, connect_args={"timeout": SQLITE_SLICE_MS / 1000})
        event.listen(engine, "connect", _sqlite_on_connect_rw if access == "rw" else _sqlite_on_connect_ro)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    try:
        engine = create_engine(target.url, pool_pre_ping=False, connect_args={"connect_timeout": 10})
    except (NoSuchModuleError, ModuleNotFoundError):
        raise CrmError(
            _("PostgreSQL support is not installed"),
            hint=_("pip install 'crmcli[postgres]'"),
        ) from None
    event.listen(engine, "connect", _postgresql_on_connect)
    event.listen(engine, "begin", _postgresql_on_begin)
    return engine


def _postgresql_on_connect(dbapi_connection: Any, _record: Any) -> None:
    """A lock held by another crm is waited for CRM_BUSY_TIMEOUT seconds, then a collision (exit 5)."""
    milliseconds = max(1, int(busy_timeout() * 1000))  # 0 would mean "wait for ever"
    with dbapi_connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = {milliseconds}")
    dbapi_connection.commit()


def sqlite_access(path: Path | None) -> str:
    """How this process may open a SQLite file: "rw", "ro", or "immutable".

    A file this process may not write, or one in a directory where it may not create the
    ``-wal``/``-shm`` files beside it, is opened read-only (``mode=ro``), so reads work and
    writes are refused.  When even a read-only WAL open fails (no ``-shm`` and no way to
    create one) the file is opened ``immutable=1``: nobody can be writing it from here.
    """
    if path is None or not path.exists():
        return "rw"
    directory = path.parent
    if os.access(path, os.W_OK) and os.access(directory, os.W_OK | os.X_OK):
        return "rw"
    import sqlite3

    try:
        probe = sqlite3.connect(_sqlite_uri(path, "ro"), uri=True, timeout=SQLITE_SLICE_MS / 1000)
        try:
            probe.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            probe.close()
    except sqlite3.DatabaseError as exc:
        if "unable to open" in str(exc) or "readonly" in str(exc):
            return "immutable"
        return "ro"  # not a database, say; the real connection will say so
    return "ro"


def _sqlite_uri(path: Path, access: str) -> str:
    from urllib.parse import quote

    mode = "mode=ro&immutable=1" if access == "immutable" else "mode=ro"
    return f"file:{quote(str(path))}?{mode}"


def _sqlite_readonly_url(path: Path | None, access: str) -> Any:
    from urllib.parse import quote

    from sqlalchemy.engine import URL

    assert path is not None

    query = {"mode": "ro", "uri": "true"}
    if access == "immutable":
        query["immutable"] = "1"
    return URL.create("sqlite", database=f"file:{quote(str(path))}", query=query)


def _sqlite_pragmas(dbapi_connection: Any) -> Any:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (the documented pysqlite recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_SLICE_MS}")
    cursor.execute("PRAGMA foreign_keys = ON")
    return cursor


def _sqlite_on_connect_rw(dbapi_connection: Any, _record: Any) -> None:
    cursor = _sqlite_pragmas(dbapi_connection)
    wait_for_lock(lambda: cursor.execute("PRAGMA journal_mode = WAL"))
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _sqlite_on_connect_ro(dbapi_connection: Any, _record: Any) -> None:
    _sqlite_pragmas(dbapi_connection).close()  # journal_mode would be a write


def _is_locked(exc: BaseException) -> bool:
    text_ = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in text_ or "database table is locked" in text_ or "database is busy" in text_


def wait_for_lock(attempt: Any) -> Any:
    """Run ``attempt`` until SQLite stops saying "locked", for up to CRM_BUSY_TIMEOUT seconds.

    Each try waits SQLITE_SLICE_MS inside SQLite; between tries Python runs, so Ctrl-C
    interrupts the wait at once.  After the timeout the wait ends as ``Busy`` (exit 5).
    """
    import sqlite3

    deadline = time.monotonic() + busy_timeout()
    while True:
        try:
            return attempt()
        except sqlite3.OperationalError as exc:
            if not _is_locked(exc):
                raise
            if time.monotonic() >= deadline:
                raise busy_error() from None
            time.sleep(0.02)


def busy_error() -> Busy:
    return Busy(_("the database is busy (another crm is writing); try again"),
                hint=_("crm waited {seconds:g} s (CRM_BUSY_TIMEOUT)").format(seconds=busy_timeout()))


def _sqlite_on_begin(conn: Any) -> None:
    options = conn.get_execution_options()
    read_only = bool(options.get("crm_read_only"))
    write = options.get("crm_write") and not read_only
    if conn.info.get("crm_query_only", False) != read_only:  # the pooled connection keeps the pragma
        conn.exec_driver_sql(f"PRAGMA query_only = {'ON' if read_only else 'OFF'}")
        conn.info["crm_query_only"] = read_only
    if not write:
        conn.exec_driver_sql("BEGIN DEFERRED")
        return
    raw = conn.connection.driver_connection
    wait_for_lock(lambda: raw.execute("BEGIN IMMEDIATE"))


def _postgresql_on_begin(conn: Any) -> None:
    if conn.get_execution_options().get("crm_read_only"):
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")


# --- driver errors as one line ----------------------------------------------------------

# SQLSTATEs of PostgreSQL that mean "another transaction got in the way": deadlock, serialization
# failure, lock not available (lock_timeout, NOWAIT).
COLLISION_STATES = {"40P01", "40001", "55P03"}
READ_ONLY_STATES = {"25006"}
# Driver messages that mean the database could not be opened at all.
_OPEN_FAILURES = ("connect", "not a database", "file is encrypted", "unable to open database")


def driver_line(exc: BaseException) -> str:
    """The driver's first line, without SQLAlchemy's SQL and parameters."""
    orig = getattr(exc, "orig", None) or exc
    lines = [line for line in str(orig).strip().splitlines() if line.strip()]
    return lines[0].strip() if lines else type(orig).__name__


def _sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None) or exc
    return getattr(orig, "sqlstate", None) or getattr(getattr(orig, "diag", None), "sqlstate", None)


def is_read_only_error(exc: BaseException) -> bool:
    if _sqlstate(exc) in READ_ONLY_STATES:
        return True
    text_ = driver_line(exc).lower()
    return "readonly database" in text_ or "read-only" in text_ and "transaction" in text_


def read_only_file_error(target: Target) -> PermissionDenied:
    return PermissionDenied(_("the database file {path} is read-only for you; nothing was written").format(
        path=target.sqlite_path), hint=_("reads work; to write, ask for write access to the file and its directory"))


def describe_db_error(target: Target, exc: BaseException) -> CrmError:
    """Any driver error as one line: busy, collided, read-only, unreachable, or the driver's first line.

    The SQL statement and its parameters (a row's data) are never part of the message; with
    ``CRM_DEBUG=1`` the CLI prints them after it (``CrmError.debug``).
    """
    state = _sqlstate(exc)
    if state in COLLISION_STATES:
        error: CrmError = Collision(_("the change collided with another crm; try again"))
    elif target.dialect == "sqlite" and _is_locked(exc):
        error = busy_error()
    elif is_read_only_error(exc):
        error = read_only_file_error(target)
    elif getattr(exc, "connection_invalidated", False) or any(
            words in driver_line(exc).lower() for words in _OPEN_FAILURES):
        error = describe_connect_error(target, exc)
    else:
        error = CrmError(_("database error: {detail}").format(detail=driver_line(exc)),
                         hint=_("run again with CRM_DEBUG=1 for the details"))
    error.debug = str(exc)
    return error


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


def guard_read_only(session: Any, error: Any) -> None:
    """Make ``session`` refuse any write before it reaches the database (which refuses too).

    ``before_flush`` catches ORM changes, ``do_orm_execute`` catches ``session.execute`` of an
    INSERT, UPDATE or DELETE (bulk writes, the operation log); the transaction's own
    ``query_only`` / ``READ ONLY`` catches anything sent around the ORM.
    """

    def refuse_flush(sess: Any, _context: Any, _instances: Any) -> None:
        if sess.new or sess.deleted or any(sess.is_modified(o) for o in sess.dirty):
            raise error()

    def refuse_write(state: Any) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            raise error()

    event.listen(session, "before_flush", refuse_flush)
    event.listen(session, "do_orm_execute", refuse_write)
