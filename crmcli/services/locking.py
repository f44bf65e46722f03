"""Row locks, taken in one canonical order, and checked after they are taken.

Two rules keep concurrent writers from deadlocking or from acting on what they read before
someone else changed it:

* **One order.**  A change to several rows locks them all first, in ascending id order
  (:func:`lock_rows`, :func:`lock_batch`), whatever order the user named them in.  Two
  ``crm pool claim 3 7`` / ``crm pool claim 7 3`` then queue on row 3 instead of each holding
  the row the other wants (PostgreSQL would kill one as a deadlock).
* **Check after locking.**  A record a write transaction fetches (``records.get``, ``tasks.get``)
  is locked and read afresh *before* its owner, scope and state are checked
  (:func:`hold`), so the check and the write see the same row: a follow-up that arrives while
  ``crm pool recycle`` moves the customer waits, then finds it in the pool and is refused —
  as it is on SQLite, whose write transactions (``BEGIN IMMEDIATE``) already run one at a time.

Locks are ``FOR NO KEY UPDATE`` on PostgreSQL: exclusive between writers of the row, but not
blocking inserts that merely reference it (a log row naming the user, a follow-up naming the
customer).  SQLite takes no row locks; the helpers only read there.

Should PostgreSQL still report a deadlock or a serialization failure while a lock is taken (a
cycle through rows of different tables), the lock statement is retried inside a savepoint a few
times with a random pause, then the command ends as a conflict (exit 5) with nothing written.
"""

from __future__ import annotations

import random
import time
import weakref
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Iterator, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from crmcli.errors import Collision
from crmcli.i18n import _

T = TypeVar("T")

ATTEMPTS = 5
RETRYABLE = frozenset({"40P01", "40001"})  # deadlock detected, serialization failure

_resolving: ContextVar[bool] = ContextVar("crm_locking_resolving", default=False)
# the (model, id) pairs each open transaction holds, so a record is locked and re-read only once
_held: "weakref.WeakKeyDictionary[Any, set[tuple[type, Any]]]" = weakref.WeakKeyDictionary()


def takes_row_locks(session: Session) -> bool:
    """Whether rows must be locked one by one: not on SQLite, whose writers hold the whole file."""
    return session.get_bind().dialect.name != "sqlite"


def in_write_transaction(session: Session) -> bool:
    """A unit of work opened with ``runtime.transaction(write=True)`` (its engine says ``crm_write``)."""
    return bool(session.connection().get_execution_options().get("crm_write"))


def retryable(exc: BaseException) -> bool:
    """A deadlock or serialization failure: the transaction lost a race, and trying again may win."""
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code in RETRYABLE


def busy() -> Collision:
    """The conflict (exit 5) a lock that keeps colliding ends as; the transaction is rolled back whole."""
    return Collision(_("other crm commands are changing the same records at this moment; nothing was written"),
                    hint=_("run the command again"))


def _held_by(session: Session) -> set[tuple[type, Any]]:
    transaction = session.get_transaction()
    if transaction is None:
        return set()
    return _held.setdefault(transaction, set())


def _execute_locking(session: Session, statement: Any) -> list[Any]:
    """Run a locking SELECT; a deadlock or serialization failure is retried (bounded, with jitter)."""
    for attempt in range(ATTEMPTS):
        try:
            with session.begin_nested():
                return list(session.execute(statement).scalars())
        except DBAPIError as exc:
            if not retryable(exc):
                raise
            if attempt == ATTEMPTS - 1:
                raise busy() from None
            time.sleep(random.uniform(0.01, 0.05) * (2 ** attempt))
    raise busy()  # pragma: no cover - the loop always returns or raises


def lock_rows(session: Session, model: type[T], ids: Iterable[int]) -> dict[int, T]:
    """Lock the rows of ``model`` with these ids in ascending id order and read them afresh.

    Returns id -> record for the rows that exist.  On SQLite it only reads (in one query).
    """
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return {}
    session.flush()  # the fresh read must not drop this transaction's own unflushed changes
    statement = (select(model).where(model.id.in_(wanted)).order_by(model.id)
                 .execution_options(populate_existing=True))
    if not takes_row_locks(session):
        return {row.id: row for row in session.execute(statement).scalars()}
    rows = _execute_locking(session, statement.with_for_update(key_share=True))
    _held_by(session).update((model, row.id) for row in rows)
    return {row.id: row for row in rows}


def hold(session: Session, record: T | None) -> T | None:
    """Lock a record a write transaction is about to check and change, and read it afresh.

    Called before the record's owner, scope or state is checked, so the check sees the row as it
    is once nobody else can change it.  ``None`` if the row is gone meanwhile.  A no-op on SQLite,
    in read-only units of work, for a row this transaction holds already, and while
    :func:`lock_batch` is only resolving names (it locks them all afterwards, in order).
    """
    if record is None or _resolving.get() or not takes_row_locks(session) or not in_write_transaction(session):
        return record
    model = type(record)
    key = (model, record.id)
    if key in _held_by(session):
        return record
    found = lock_rows(session, model, [record.id])
    return found.get(record.id)


@contextmanager
def resolving() -> Iterator[None]:
    """Fetch records without locking them (the caller locks them afterwards, in id order)."""
    token = _resolving.set(True)
    try:
        yield
    finally:
        _resolving.reset(token)


def lock_batch(session: Session, refs: Iterable[Any], fetch: Callable[[Any], T]) -> list[T]:
    """The records ``refs`` name, fetched and checked by ``fetch(ref)`` — locked in id order.

    ``fetch`` runs twice per record: once to resolve the reference (an id or a name) without
    locking, then again by id after every row is locked in ascending id order, so its checks
    (scope, permission, state) see the rows as they are while this transaction holds them.
    Duplicates count once; the result keeps the order the records were named in.
    """
    first: dict[Any, T] = {}
    with resolving():
        for ref in refs:
            record = fetch(ref)
            first.setdefault(record.id, record)  # type: ignore[attr-defined]
    if not first:
        return []
    model = type(next(iter(first.values())))
    lock_rows(session, model, first)
    return [fetch(record_id) for record_id in first]


PAUSE_HOOK = "CRM_TEST_PAUSE_AT"  # tests: "claim:0.5" waits that long at the point "claim", holding its locks


def test_pause(point: str) -> None:
    """``CRM_TEST_PAUSE_AT=claim:0.5`` sleeps that long at ``point`` (concurrency tests only), so a racing
    process reliably arrives while this one holds its locks."""
    import os

    setting = os.environ.get(PAUSE_HOOK, "")
    if setting.startswith(point + ":"):  # pragma: no cover - concurrency tests run it in subprocesses
        time.sleep(float(setting.split(":", 1)[1]))
