"""Set-based inserts for big loads (imports): rows straight to the driver, no ORM on the way.

:class:`BulkWriter` inserts batches of complete rows with explicit ids — sqlite3
``executemany`` or PostgreSQL ``COPY`` — converting values the way the column types would
(UTC times as SQLite stores them, JSON as text), so no per-row SQLAlchemy processing is paid.
On SQLite it suspends the table's full-text insert trigger and adds the new rows to the
index with one ``INSERT … SELECT`` at the end of the load (see :mod:`crmcli.store.search`):
FTS5 builds its index in one go instead of merging hundreds of small segments, which on a
million rows saves a fifth of the load.  Rows not yet in the index must not be updated or
deleted meanwhile (the update and delete triggers would take out of the index what was never
put in), so a caller that changes rows of the load calls :meth:`BulkWriter.index_pending`
first.  The page cache is raised for the load.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from operator import itemgetter
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

IMPORT_CACHE_KB = 65536  # SQLite page cache during a load (the default is 2 MB)
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"


class BulkWriter:
    """Reserves ids and writes batches of complete rows (dicts of column values) into one table."""

    def __init__(self, session: Session, table: Any) -> None:
        from crmcli.store.types import JSONText, UTCDateTime

        self.session = session
        self.table = table
        self.dialect = session.connection().dialect.name
        self.names = [c.name for c in table.columns]  # the primary key first
        self.times = [c.name for c in table.columns if isinstance(c.type, UTCDateTime)]
        self.jsons = [c.name for c in table.columns if isinstance(c.type, JSONText)]
        self.dates = [c.name for c in table.columns if c.type.__class__.__name__ == "Date"]
        self.defaults = {c.name: c.default.arg for c in table.columns  # a row's values start as these
                         if c.default is not None and c.default.is_scalar and c.default.arg is not None}
        self.next_id: int | None = None
        self.fts = False
        self.indexed_upto: int | None = None  # the last id of the load that is in the search index
        self._time_cache: tuple[Any, str] = (None, "")
        self.cache_size: int | None = None  # SQLite's page cache size before the load (restored after)

    @property
    def _raw(self) -> Any:
        """The driver's connection of the session's current transaction (a new one after each chunk's commit)."""
        return self.session.connection().connection.driver_connection

    def reserve(self, n: int) -> list[int]:
        """Ids for the next ``n`` rows (uses the session: call it while no write job runs)."""
        table = self.table.name
        if self.dialect == "postgresql":
            return list(self.session.execute(text(
                f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)"),
                {"n": n}).scalars())
        if self.next_id is None:
            last = self.session.execute(select(func.max(self.table.c.id))).scalar()
            self.next_id = (last or 0) + 1
            from crmcli.store import search

            raw = self._raw
            self.fts = search.suspend_insert_trigger(raw, table)
            # a bigger page cache while loading: the table's indexes, the search index and the dedupe
            # look-ups touch pages all over a big table, and the default 2 MB makes each a disk read
            self.cache_size = raw.execute("PRAGMA cache_size").fetchone()[0]
            raw.execute(f"PRAGMA cache_size = {-IMPORT_CACHE_KB}")
            self.indexed_upto = self.next_id - 1
        first = self.next_id
        self.next_id += n
        return list(range(first, first + n))

    def _time(self, value: datetime) -> str:
        cached, stored = self._time_cache
        if value is cached:
            return stored
        stored = value.astimezone(timezone.utc).strftime(_SQLITE_TIME)
        self._time_cache = (value, stored)
        return stored

    def write(self, ids: list[int], rows: list[dict[str, Any]]) -> None:
        """Insert ``rows`` with the ids :meth:`reserve` gave (and, on SQLite, add them to the search index).

        Only the columns some row of the batch gives, or that have a default, are written: the
        others are left to the database (NULL, or their server default), and a million rows do not
        bind a dozen NULLs each.  Each row is its defaults merged with its values, read out in
        column order by one ``itemgetter``.
        """
        given = set().union(*rows)
        key = self.names[0]
        names = [key] + [n for n in self.names[1:] if n in given or n in self.defaults]
        base = {n: self.defaults.get(n) for n in names}
        sqlite = self.dialect == "sqlite"
        jsons = [n for n in self.jsons if n in base]
        times = [n for n in self.times if n in base] if sqlite else []
        dates = [n for n in self.dates if n in base] if sqlite else []
        as_time = self._time
        read = itemgetter(*names) if len(names) > 1 else (lambda values: (values[key],))
        tuples = []
        for record_id, row in zip(ids, rows):
            values = base | row
            values[key] = record_id
            for name in jsons:
                if values[name] is not None:
                    values[name] = json.dumps(values[name], ensure_ascii=False, sort_keys=True, default=str)
            for name in times:
                if values[name] is not None:
                    values[name] = as_time(values[name])
            for name in dates:
                if values[name] is not None:
                    values[name] = values[name].isoformat()
            tuples.append(read(values))
        raw = self._raw
        columns = ", ".join(names)
        if sqlite:
            raw.executemany(f"INSERT INTO {self.table.name} ({columns}) VALUES ({', '.join('?' * len(names))})", tuples)
        else:
            with raw.cursor() as cursor:
                with cursor.copy(f"COPY {self.table.name} ({columns}) FROM STDIN") as copy:
                    for values in tuples:
                        copy.write_row(values)

    def index_pending(self) -> None:
        """Add the rows written so far to the search index (before any of them is updated or deleted)."""
        if self.fts and self.next_id is not None and self.indexed_upto is not None \
                and self.indexed_upto < self.next_id - 1:
            from crmcli.store import search

            search.fill(self._raw, self.table.name, self.indexed_upto + 1, self.next_id - 1)
            self.indexed_upto = self.next_id - 1

    def checkpoint(self) -> None:
        """Before a commit in the middle of a load (a chunked import): the load so far is indexed and the
        trigger and cache are back, so the commit leaves the table as any other writer expects; the next
        :meth:`reserve` starts over (on SQLite it reads the largest id again: others may have inserted)."""
        self.finish(True)
        self.next_id = None
        self.indexed_upto = None

    def finish(self, completed: bool = True) -> None:
        """Index what is pending, put the insert trigger back (inside the transaction, before commit), and
        the page cache size.  ``completed=False``: the load failed and will be rolled back; nothing is indexed."""
        if self.fts:
            from crmcli.store import search

            if completed:
                self.index_pending()
            search.resume_insert_trigger(self._raw, self.table.name)
            self.fts = False
        if self.cache_size is not None:
            self._raw.execute(f"PRAGMA cache_size = {int(self.cache_size)}")
            self.cache_size = None
