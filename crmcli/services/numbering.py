"""Record numbers (contract numbers: ``HT-2026-0001``): unique, gap-free per year, safe under concurrency.

The pattern of a record type is kept in ``numbering`` (``crm contract numbering --pattern …``);
it has ``{year}`` and ``{seq}`` (zero-padded with ``{seq:04d}``).  The counter is one row per
(pattern, year) in ``number_counter``, bumped by one ``INSERT … ON CONFLICT DO UPDATE … RETURNING``
inside the transaction that creates the record: two creators queue on that row (PostgreSQL's
row lock; SQLite's ``BEGIN IMMEDIATE``), and a transaction that rolls back rolls its bump back
with it, so numbers have no gaps.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from crmcli import clock
from crmcli.errors import ValidationError
from crmcli.i18n import _
from crmcli.services import audit
from crmcli.services.access import Actor, require
from crmcli.store.models.contracts import NumberCounter, Numbering

DEFAULTS = {"contract": "HT-{year}-{seq:04d}"}
_FIELD = re.compile(r"\{(\w+)(?::([^{}]*))?\}")


def check_pattern(pattern: str) -> str:
    pattern = (pattern or "").strip()
    names = [m.group(1) for m in _FIELD.finditer(pattern)]
    bad = _("'{pattern}' is not a number pattern").format(pattern=pattern)
    hint = _("use {year} and {seq}, e.g. HT-{year}-{seq:04d}")
    if not pattern or len(pattern) > 40 or sorted(names) != ["seq", "year"]:
        raise ValidationError(bad, hint=hint)
    try:
        sample = render(pattern, 2026, 1)
    except (ValueError, KeyError, IndexError):
        raise ValidationError(bad, hint=hint) from None
    if len(sample) > 60:
        raise ValidationError(bad, hint=hint)
    return pattern


def render(pattern: str, year: int, seq: int) -> str:
    return pattern.format(year=year, seq=seq)


def pattern_of(session: Session, record_type: str) -> str:
    row = session.get(Numbering, record_type)
    return row.pattern if row else DEFAULTS[record_type]


def set_pattern(session: Session, actor: Actor, record_type: str, pattern: str) -> str:
    require(actor, f"{record_type}.admin")
    pattern = check_pattern(pattern)
    row = session.get(Numbering, record_type)
    before = row.pattern if row else DEFAULTS[record_type]
    if row is None:
        session.add(Numbering(record_type=record_type, pattern=pattern, updated_at=clock.now()))
    else:
        row.pattern, row.updated_at = pattern, clock.now()
    if before != pattern:
        audit.record(session, actor, f"{record_type}.numbering", record_type, None, pattern,
                     {"pattern": [before, pattern]})
    return pattern


def next_number(session: Session, record_type: str, year: int | None = None) -> str:
    """The next number of ``record_type`` for ``year`` (default: this year), bumping its counter."""
    pattern = pattern_of(session, record_type)
    year = year or clock.now().year
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = NumberCounter.__table__
    statement = insert(table).values(pattern=pattern, year=year, value=1)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.pattern, table.c.year], set_={"value": table.c.value + 1}
    ).returning(table.c.value)
    seq = session.execute(statement).scalar_one()
    from crmcli.services.payments import _pause

    _pause("number")  # tests: hold the counter a moment, so concurrent creators really overlap
    return render(pattern, year, seq)


def last_value(session: Session, pattern: str, year: int) -> int:
    return session.execute(select(NumberCounter.value).where(
        NumberCounter.pattern == pattern, NumberCounter.year == year)).scalar_one_or_none() or 0
