"""The database as a whole: create, inspect, upgrade, back up and restore.

These work before there is an actor (``crm init``) or on a database the
current program cannot read yet (``crm db upgrade``), so they take a
:class:`~crmcli.store.engine.Target` rather than a session.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from crmcli import clock
from crmcli.errors import Conflict, CrmError, ValidationError
from crmcli.i18n import _
from crmcli.services.bootstrap import InitResult, seed
from crmcli.store import engine as store_engine
from crmcli.store import migrate, schema
from crmcli.store.engine import Target


def _connect_guard(target: Target, exc: Exception) -> CrmError:
    return store_engine.describe_db_error(target, exc)


def initialise(target: Target, admin_login: str, admin_name: str | None = None,
               timezone: str | None = None) -> InitResult:
    """Create the schema when missing and seed the organisation; idempotent."""
    from crmcli.services.users import check_login

    check_login(admin_login)
    engine = store_engine.engine_for(target)
    try:
        with engine.execution_options(crm_write=True).begin() as conn:
            revision = store_engine.current_revision(conn)
            if revision is None:
                if inspect(conn).get_table_names():
                    raise CrmError(
                        _("{where} already holds tables that are not a crm database").format(where=target.display()),
                        hint=_("point --db at an empty database"),
                    )
                migrate.create_schema(conn)
            else:
                store_engine.check_revision(revision, target)
            with Session(bind=conn) as session:
                result = seed(session, admin_login, admin_name, timezone)
                session.flush()
    except DBAPIError as exc:
        raise _connect_guard(target, exc) from None
    return result


@dataclass
class Info:
    location: str
    backend: str
    revision: str | None
    program_revision: str
    size_bytes: int | None
    counts: dict[str, int]


def info(target: Target) -> Info:
    path = target.sqlite_path
    if path is not None and not path.exists():  # report it; connecting would create an empty file
        return Info(target.display(), target.dialect, None, schema.HEAD, None, {})
    engine = store_engine.engine_for(target)
    try:
        with engine.connect() as conn:
            revision = store_engine.current_revision(conn)
            counts: dict[str, int] = {}
            if revision is not None:
                from sqlmodel import SQLModel

                from crmcli.store import models

                models.load_all()

                existing = set(inspect(conn).get_table_names())
                for table in sorted(SQLModel.metadata.tables.values(), key=lambda t: t.name):
                    if table.name in existing:
                        counts[table.name] = conn.execute(select(func.count()).select_from(table)).scalar_one()
    except DBAPIError as exc:
        raise _connect_guard(target, exc) from None
    path = target.sqlite_path
    size = path.stat().st_size if path is not None and path.exists() else None
    return Info(target.display(), target.dialect, revision, schema.HEAD, size, counts)


def _backup_sqlite(source: Path, destination: Path) -> None:
    """SQLite's online backup: a consistent copy even while others write."""
    src = sqlite3.connect(str(source))
    try:
        dst = sqlite3.connect(str(destination))
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def backup(target: Target, destination: str, overwrite: bool = False) -> Path:
    if target.dialect != "sqlite":
        raise CrmError(
            _("crm db backup copies SQLite files; for PostgreSQL use pg_dump"),
            hint=_("pg_dump --format=custom --file crm.dump DBNAME, and pg_restore --clean to restore"),
        )
    source = target.sqlite_path
    if source is None or not source.exists():
        raise CrmError(_("no database file at {path}").format(path=source))
    dest = Path(destination).expanduser().resolve()
    if dest == source:
        raise ValidationError(_("the backup file must not be the database itself"))
    if dest.exists() and not overwrite:
        raise Conflict(_("{path} already exists").format(path=dest), hint=_("add --force to overwrite it"))
    tmp = dest.with_name(dest.name + ".partial")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp.unlink(missing_ok=True)
        _backup_sqlite(source, tmp)
        tmp.replace(dest)
    except (OSError, sqlite3.Error) as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise CrmError(_("cannot write the backup {path}: {reason}").format(
            path=dest, reason=getattr(exc, "strerror", None) or store_engine.driver_line(exc))) from None
    return dest


def _sqlite_revision(path: Path) -> str | None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def restore(target: Target, source_file: str) -> tuple[Path, Path | None]:
    """Replace the database's contents with a backup's; the current contents are backed up first.

    The backup is copied *into the live file* with SQLite's backup API, which holds the
    database's write lock while it copies: another crm that writes meanwhile waits (up to
    CRM_BUSY_TIMEOUT, else "busy", exit 5) and then writes into the restored database.  The
    file is never swapped for another, so no process keeps writing to a replaced file, and
    no acknowledged write is lost.
    """
    if target.dialect != "sqlite":
        raise CrmError(
            _("crm db restore restores SQLite files; for PostgreSQL use pg_restore"),
            hint=_("pg_restore --clean --dbname DBNAME crm.dump"),
        )
    source = Path(source_file).expanduser().resolve()
    if not source.exists():
        raise CrmError(_("no backup file at {path}").format(path=source))
    revision = _sqlite_revision(source)
    if revision is None:
        raise ValidationError(_("{path} is not a crm database backup").format(path=source))
    if revision not in schema.KNOWN_REVISIONS:
        raise CrmError(_("the backup was written by a newer crm (schema {have})").format(have=revision))
    dest = target.sqlite_path
    if dest is None:
        raise ValidationError(_("cannot restore into an in-memory database"))
    if source == dest:
        raise ValidationError(_("the backup file is the database itself"))
    store_engine.dispose_all()
    safety = None
    if dest.exists():
        safety = dest.with_name(f"{dest.name}.before-restore-{clock.now():%Y%m%dT%H%M%S}")
        _backup_sqlite(dest, safety)
    src = sqlite3.connect(f"file:{quote(str(source))}?mode=ro", uri=True)
    try:
        live = sqlite3.connect(str(dest), timeout=store_engine.SQLITE_SLICE_MS / 1000)
        try:
            store_engine.wait_for_lock(lambda: src.backup(live))
        finally:
            live.close()
    finally:
        src.close()
    return dest, safety


@dataclass
class UpgradeResult:
    before: str | None
    after: str
    backup: Path | None


# Any constant will do, as long as every crm uses the same one: the advisory lock that makes
# two `crm db upgrade` on one PostgreSQL database take turns.
_UPGRADE_LOCK = 0x63726D5F7570  # "crm_up"


def upgrade(target: Target) -> UpgradeResult:
    """Bring the database to this program's schema, one upgrader at a time.

    The revision is read *after* taking the database's write lock (SQLite: ``BEGIN
    IMMEDIATE``; PostgreSQL: an advisory lock), and the migrations run on that same
    connection: a second ``crm db upgrade`` waits for the first and then finds nothing to do.
    """
    if target.sqlite_path is not None and not target.sqlite_path.exists():
        store_engine.check_revision(None, target)  # "no crm database at …", without creating the file
    engine = store_engine.engine_for(target)
    try:
        with engine.execution_options(crm_write=True).begin() as conn:
            if target.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _UPGRADE_LOCK})
            before = store_engine.current_revision(conn)
            if before is None:
                raise CrmError(_("no crm database at {where}").format(where=target.display()),
                               hint=_("run crm init to create it"))
            if before not in schema.KNOWN_REVISIONS:
                store_engine.check_revision(before, target)
            if before == schema.HEAD:
                return UpgradeResult(before, before, None)
            saved = None
            if target.sqlite_path is not None:
                path = target.sqlite_path
                saved = path.with_name(f"{path.name}.before-{schema.HEAD}-{clock.now():%Y%m%dT%H%M%S}")
                _backup_sqlite(path, saved)
            from alembic import command

            command.upgrade(migrate.alembic_config(conn), "head")
    except DBAPIError as exc:
        raise store_engine.describe_db_error(target, exc) from None
    return UpgradeResult(before, schema.HEAD, saved)
