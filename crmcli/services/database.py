"""The database as a whole: create, inspect, upgrade, back up and restore.

These work before there is an actor (``crm init``) or on a database the
current program cannot read yet (``crm db upgrade``), so they take a
:class:`~crmcli.store.engine.Target` rather than a session.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, inspect, select
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
    return store_engine.describe_connect_error(target, exc)


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
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".partial")
    tmp.unlink(missing_ok=True)
    _backup_sqlite(source, tmp)
    tmp.replace(dest)
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
    """Replace the database with a backup; the current file is itself backed up first."""
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
    store_engine.dispose_all()
    safety = None
    if dest.exists():
        safety = dest.with_name(f"{dest.name}.before-restore-{clock.now():%Y%m%dT%H%M%S}")
        _backup_sqlite(dest, safety)
    tmp = dest.with_name(dest.name + ".restoring")
    tmp.unlink(missing_ok=True)
    _backup_sqlite(source, tmp)
    for suffix in ("-wal", "-shm"):
        Path(str(dest) + suffix).unlink(missing_ok=True)
    tmp.replace(dest)
    return dest, safety


@dataclass
class UpgradeResult:
    before: str | None
    after: str
    backup: Path | None


def upgrade(target: Target) -> UpgradeResult:
    if target.sqlite_path is not None and not target.sqlite_path.exists():
        store_engine.check_revision(None, target)  # "no crm database at …", without creating the file
    engine = store_engine.engine_for(target)
    try:
        with engine.connect() as conn:
            before = store_engine.current_revision(conn)
    except DBAPIError as exc:
        raise _connect_guard(target, exc) from None
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
    migrate.upgrade(engine)
    return UpgradeResult(before, schema.HEAD, saved)


