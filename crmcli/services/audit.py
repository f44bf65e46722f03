"""The operation log (操作记录): written in the same transaction as every change.

Services call :func:`record` after making a change; the CLI sets the command
line once per command through :data:`current_command`.  Reading goes through
:func:`list_entries`, which applies the reader's data scope to whoever made
each change.  There is deliberately no function that updates or deletes rows.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from enum import Enum
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from crmcli import clock
from crmcli.services.access import Actor, owner_in_scope_clause, require
from crmcli.store.models import AuditLog

current_command: ContextVar[str | None] = ContextVar("current_command", default=None)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The values of ``fields`` on ``obj``, as they go into the log."""
    return {f: _plain(getattr(obj, f)) for f in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for every field whose value changed."""
    keys = list(dict.fromkeys([*before, *after]))
    return {
        k: [_plain(before.get(k)), _plain(after.get(k))]
        for k in keys
        if _plain(before.get(k)) != _plain(after.get(k))
    }


def created(values: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [None, _plain(v)] for k, v in values.items() if v is not None}


def wall_clock() -> datetime:
    """The real time of a change, for ``recorded_at``: the system clock, deliberately not
    :func:`crmcli.clock.now`, so ``CRM_NOW`` can set a change's business time (``at``) but never
    hide when it was really made."""
    return datetime.now(timezone.utc)


def back_dated(at: datetime, recorded_at: datetime | None) -> bool:
    """Whether a row's business time is not when it was really written (``CRM_NOW`` was set):
    more than a second apart, as the two are read a moment apart for one row."""
    return recorded_at is not None and abs((recorded_at - at).total_seconds()) >= 1


def record(
    session: Session,
    actor: Actor,
    action: str,
    record_type: str,
    record_id: int | None,
    label: str | None = None,
    changes: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditLog:
    """Append one row. Call inside the transaction that made the change."""
    entry = AuditLog(
        at=clock.now(),
        recorded_at=wall_clock(),
        actor_id=actor.id or None,
        actor_login=actor.login,
        action=action,
        record_type=record_type,
        record_id=record_id,
        record_label=(label or "")[:200] or None,
        command=current_command.get(),
        changes=changes or None,
        reason=reason,
    )
    session.add(entry)
    return entry


_BULK_COLUMNS = ("at", "recorded_at", "actor_id", "actor_login", "action", "record_type", "record_id", "record_label",
                 "command", "changes", "reason")


def record_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Bulk path for set-based changes (import, recycle): one executemany of log rows.

    The rows go to the driver directly (sqlite3 ``executemany``, PostgreSQL ``COPY``), with
    values converted as the column types would: an import of a million records logs a
    million rows, and SQLAlchemy's per-row parameter processing would cost more than the
    inserts themselves.
    """
    if not rows:
        return
    command = current_command.get()
    now = clock.now()
    dialect = session.connection().dialect
    changes_type = AuditLog.__table__.c.changes.type
    times: dict[Any, Any] = {}

    def when(value: Any) -> Any:
        if value not in times:
            times[value] = _stored_at(value, dialect)
        return times[value]

    recorded = _stored_at(wall_clock(), dialect)  # the real time, whatever business time a row gives
    values = [(when(row.get("at") or now), recorded, row.get("actor_id"), row["actor_login"], row["action"],
               row["record_type"], row.get("record_id"), row.get("record_label"), row.get("command", command),
               # ``changes_json``: the changes already serialised as the column stores them (recycle's hot path)
               row["changes_json"] if "changes_json" in row else changes_type.process_bind_param(row.get("changes"),
                                                                                                dialect),
               row.get("reason"))
              for row in rows]
    _insert_rows(session, values)


def record_each(session: Session, actor: Any, action: str, record_type: str,
                entries: list[tuple[int, str | None, str | None]]) -> None:
    """One log row per record of a change that is the same for each: ``(record id, label, reason)`` entries.

    The import's path: a million inserted records log a million rows, and building a dict for
    each (:func:`record_many`) costs a few seconds more than these tuples.  No before/after
    values: the records are new.
    """
    if not entries:
        return
    dialect = session.connection().dialect
    at, recorded = _stored_at(clock.now(), dialect), _stored_at(wall_clock(), dialect)
    command, actor_id, login = current_command.get(), actor.id or None, actor.login
    _insert_rows(session, [(at, recorded, actor_id, login, action, record_type, record_id, (label or "")[:200] or None,
                            command, None, reason) for record_id, label, reason in entries])


def _stored_at(value: Any, dialect: Any) -> Any:
    """A log time as the ``at`` and ``recorded_at`` columns store it (on SQLite, the text SQLAlchemy writes)."""
    stored = AuditLog.__table__.c.at.type.process_bind_param(value, dialect)
    return stored.strftime("%Y-%m-%d %H:%M:%S.%f") if dialect.name == "sqlite" else stored


def _insert_rows(session: Session, values: list[tuple[Any, ...]]) -> None:
    """Log rows (in :data:`_BULK_COLUMNS` order, values as stored) straight to the driver."""
    connection = session.connection()
    dialect = connection.dialect
    sqlite = dialect.name == "sqlite"
    raw = connection.connection.driver_connection
    names = ", ".join(_BULK_COLUMNS)
    if sqlite:
        raw.executemany(f"INSERT INTO audit_log ({names}) VALUES ({', '.join('?' * len(_BULK_COLUMNS))})", values)
    elif dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f"COPY audit_log ({names}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        session.execute(AuditLog.__table__.insert(), [dict(zip(_BULK_COLUMNS, v)) for v in values])


@dataclass
class AuditFilter:
    actor_login: str | None = None
    record_type: str | None = None
    record_id: int | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    before_id: int | None = None  # keyset paging: rows older than this id


def view_permission(record_type: str | None) -> str | None:
    """The permission whose holders may read the values logged for a record type, or None if no view
    permission guards the type (stages, flows): ``contract`` → ``contract.view``, ``opportunity`` →
    ``opportunity.view``, ``user`` → ``user.view``."""
    if not record_type:
        return None
    from crmcli.services.access import KINDS
    from crmcli.services.catalog import PERMISSIONS
    from crmcli.services.kinds import load_all

    load_all()
    kind = KINDS.get(record_type)
    noun = kind.noun if kind is not None else record_type
    return f"{noun}.view" if "view" in PERMISSIONS.get(noun, ()) else None


def may_read_values(actor: Actor, record_type: str | None) -> bool:
    """Whether the actor may read the record label and before/after values of a log row of this type."""
    permission = view_permission(record_type)
    return permission is None or actor.can(permission)


def hide_values(session: Session, actor: Actor, entries: list[AuditLog]) -> list[AuditLog]:
    """The rows, with label and values blanked on those whose record type the actor may not view.

    The reader still sees that a change happened (who, when, which action on which record id);
    what the record is called, what changed, why, and the command line that changed it need the
    record type's ``X.view``.  The blanked
    rows are detached from the session first, so nothing is ever written back.
    """
    for entry in entries:
        if not may_read_values(actor, entry.record_type):
            session.expunge(entry)
            entry.record_label = None
            entry.changes = None
            entry.reason = None
            entry.command = None  # the command line carries the values too
    return entries


def list_entries(session: Session, actor: Actor, flt: AuditFilter) -> list[AuditLog]:
    """Log rows the actor may read: those made by anyone their data scope covers, with the values of
    record types the actor may not view left out (:func:`hide_values`)."""
    require(actor, "audit.view")
    query = select(AuditLog).where(owner_in_scope_clause(actor, AuditLog.actor_id))
    if flt.actor_login:
        query = query.where(AuditLog.actor_login == flt.actor_login)
    if flt.record_type:
        query = query.where(AuditLog.record_type == flt.record_type)
    if flt.record_id is not None:
        query = query.where(AuditLog.record_id == flt.record_id)
    if flt.action:
        if flt.action.endswith("*") or "." not in flt.action:
            query = query.where(AuditLog.action.like(flt.action.rstrip("*").rstrip(".") + ".%"))
        else:
            query = query.where(AuditLog.action == flt.action)
    if flt.since:
        query = query.where(AuditLog.at >= flt.since)
    if flt.until:
        query = query.where(AuditLog.at <= flt.until)
    if flt.before_id:
        query = query.where(AuditLog.id < flt.before_id)
    query = query.order_by(AuditLog.id.desc()).limit(flt.limit)
    return hide_values(session, actor, list(session.execute(query).scalars()))
