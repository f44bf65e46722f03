"""The filter grammar every ``list`` and ``export`` shares, and keyset paging.

One :class:`ListOptions` describes what a user asked for (``--owner``,
``--status``, ``--source``, ``--tag``, ``--created``, ``--next-contact``,
``--search``, ``--where``, ``--sort``, ``--limit``, ``--after``); :func:`select_page`
turns it into one SQL query that also applies the actor's data scope, and
returns the rows with an opaque cursor for the next page.

Every listing also checks the noun's view permission here (:func:`build`, which
:func:`select_page` and :func:`stream` go through): a list, an export or a
screen of records the actor may not view is refused (exit 4) in this one place,
so no new listing can forget it.

Keyset paging orders by (sort column IS NULL, sort column, id), so it is
stable, NULLs come last, and page N costs the same as page 1.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any, Callable

from sqlalchemy import Numeric, String, and_, cast, exists, func, or_, select
from sqlalchemy.orm import Session

from crmcli import clock, dates
from crmcli.errors import ValidationError
from crmcli.i18n import _
from crmcli.services.access import Actor, Kind, require, visible_clause
from crmcli.store.models import CustomField, Tag
from crmcli.store.search import search_clause

NEXT_CONTACT_WINDOWS = ("overdue", "today", "week")
MAX_LIMIT = 100_000


@dataclass
class ListOptions:
    owner: str | None = None  # me | LOGIN | none (in a pool)
    status: list[str] = field(default_factory=list)
    source: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    created: str | None = None  # SINCE..UNTIL
    next_contact: str | None = None  # overdue | today | week
    search: str | None = None
    where: list[str] = field(default_factory=list)  # FIELD=VALUE, FIELD>VALUE, FIELD~TEXT …
    sort: str | None = None  # created, -created, name, next_contact …
    limit: int | None = 50
    after: str | None = None  # cursor from the previous page


@dataclass
class Page:
    rows: list[Any]
    next_cursor: str | None


@dataclass
class Listing:
    """What a noun tells the filter engine about itself."""

    kind: Kind
    statuses: tuple[str, ...] = ()
    sources: tuple[str, ...] | None = None  # None: free text
    sorts: dict[str, str] = field(default_factory=dict)  # user-facing name -> column attribute
    default_sort: str = "-created"
    filterable: tuple[str, ...] = ()  # built-in columns --where may name
    extra: Callable[[Any, ListOptions], Any] | None = None
    # the permission a reader needs (default: the kind's ``noun.view``); checked by :func:`build`
    permission: str | None = None

    def view_permission(self) -> str:
        return self.permission or f"{self.kind.noun}.view"


def _cursor_encode(sort: str, values: list[Any]) -> str:
    def enc(v: Any) -> Any:
        if isinstance(v, datetime):
            return {"t": v.astimezone(timezone.utc).isoformat()}
        if isinstance(v, date):
            return {"d": v.isoformat()}
        if isinstance(v, Decimal):
            return {"n": str(v)}
        return v

    raw = json.dumps([sort, *[enc(v) for v in values]], ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_decode(text: str, sort: str, column: Any) -> list[Any]:
    """(is_null, value, id) from a cursor made by a page with the same --sort; anything else is refused."""

    def dec(v: Any) -> Any:
        if isinstance(v, dict) and "t" in v:
            moment = datetime.fromisoformat(v["t"])
            if moment.tzinfo is None:
                raise ValueError
            return moment
        if isinstance(v, dict) and "d" in v:
            return date.fromisoformat(v["d"])
        if isinstance(v, dict) and "n" in v:
            return Decimal(v["n"])
        if isinstance(v, dict):
            raise ValueError
        return v

    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != 4 or values[0] != sort:
            raise ValueError
        is_null, value, last_id = (dec(v) for v in values[1:])
        python_type = _python_type(column)
        if python_type is float:
            python_type = (int, float)
        wrong_type = value is not None and (not isinstance(value, python_type)
                                            or (isinstance(value, bool) and python_type is not bool))
        if not isinstance(is_null, bool) or type(last_id) is not int or (value is None) != is_null or wrong_type:
            raise ValueError
    except (ValueError, TypeError, AttributeError, ArithmeticError):
        raise ValidationError(_("'{cursor}' is not a page cursor from crm").format(cursor=text)) from None
    return [is_null, value, last_id]


def _choices_error(what: str, value: str, choices: tuple[str, ...]) -> ValidationError:
    return ValidationError(
        _("unknown {what} '{value}'").format(what=what, value=value),
        hint=_("one of: {choices}").format(choices=", ".join(choices)),
    )


def owner_clause(session: Session, actor: Actor, column: Any, owner: str) -> Any:
    value = owner.strip()
    if value == "me":
        return column == actor.id
    if value in ("none", "pool", "-"):
        return column.is_(None)
    from crmcli.services import users

    return column == users.find(session, value).id


def _where_clause(session: Session, listing: Listing, expr: str) -> Any:
    m = re.match(r"^\s*([A-Za-z_][\w.]*)\s*(!=|>=|<=|=|>|<|~)\s*(.*)$", expr)
    if not m:
        raise ValidationError(_("'{expr}' is not a filter").format(expr=expr),
                              hint=_("write FIELD=VALUE, FIELD!=VALUE, FIELD>VALUE, FIELD<VALUE or FIELD~TEXT"))
    name, op, value = m.group(1), m.group(2), m.group(3).strip()
    if value == "" and op not in ("=", "!=", "~"):
        raise ValidationError(_("'{expr}' is not a filter").format(expr=expr),
                              hint=_("write FIELD=VALUE, FIELD!=VALUE, FIELD>VALUE, FIELD<VALUE or FIELD~TEXT"))
    model = listing.kind.model
    compare = value != "" and op != "~"  # an empty value means "not set", ~ matches the text
    wanted: Any = value
    if name in listing.filterable:
        column: Any = getattr(model, name)
        if compare and _python_type(column) is int:
            wanted = _number(value, whole=True)
    else:
        field_def = session.execute(select(CustomField).where(
            CustomField.record_type == listing.kind.name, CustomField.name == name)).scalar_one_or_none()
        if field_def is None:
            allowed = ", ".join(listing.filterable) or "-"
            raise ValidationError(_("unknown field '{name}'").format(name=name),
                                  hint=_("built-in fields: {fields}; custom fields: crm field list").format(fields=allowed))
        column = custom_value(session, model, name)
        if compare and field_def.type == "number":
            column = cast(column, Numeric)  # compare as numbers on both backends, = and != too
            wanted = _number(value)
        elif compare and field_def.type in ("bool", "date"):
            from crmcli.services.fields import convert

            wanted = convert(field_def, value)  # yes/no/是/否…, YYYY-MM-DD: checked as on add and edit
            if field_def.type == "bool":  # JSON true is 1 to SQLite's json_extract, 'true' to PostgreSQL's ->>
                sqlite = session.get_bind().dialect.name == "sqlite"
                wanted = (1 if wanted else 0) if sqlite else ("true" if wanted else "false")
    if op == "~":
        from crmcli.store.search import _escape_like

        return func.lower(cast(column, String)).like(f"%{_escape_like(value.lower())}%", escape="\\")
    ops = {"=": column.__eq__, "!=": column.__ne__, ">": column.__gt__, "<": column.__lt__,
           ">=": column.__ge__, "<=": column.__le__}
    if value == "" and op in ("=", "!="):
        return column.is_(None) if op == "=" else column.is_not(None)
    return ops[op](wanted)


def _python_type(column: Any) -> Any:
    """The Python type of a column's values (through a TypeDecorator such as UTCDateTime)."""
    type_ = getattr(column.type, "impl_instance", column.type)
    try:
        return type_.python_type
    except NotImplementedError:
        return object


def _number(value: str, whole: bool = False) -> Any:
    try:
        number = Decimal(value)
        if not number.is_finite() or (whole and number != number.to_integral_value()):
            raise ArithmeticError
    except ArithmeticError:
        raise ValidationError(_("'{value}' is not a number").format(value=value)) from None
    from crmcli import limits

    if abs(number) > (limits.MAX_ID if whole else limits.MAX_AMOUNT):  # beyond any stored value: a BIGINT overflow
        raise ValidationError(_("'{value}' is out of range").format(value=limits.shown(value)))
    return int(number) if whole else number


def custom_value(session: Session, model: Any, name: str) -> Any:
    """The text value of custom field ``name`` in the record's JSON ``custom`` column."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import JSONB

        return cast(model.custom, JSONB)[name].astext
    return func.json_extract(model.custom, f'$."{name}"')


def _sort_name(listing: Listing, opts: ListOptions) -> str:
    """The sort asked for, checked and written one way (``name`` or ``-name``); cursors carry it."""
    sort = (opts.sort or listing.default_sort).strip()
    key = sort.lstrip("-+")
    if key not in listing.sorts:
        raise _choices_error(_("sort"), sort, tuple(sorted(listing.sorts)))
    return ("-" if sort.startswith("-") else "") + key


def build(session: Session, actor: Actor, listing: Listing, opts: ListOptions,
          tz: tzinfo, now: datetime | None = None) -> tuple[Any, list[Any]]:
    """The filtered, scoped SELECT and its ORDER BY columns (without paging).

    The one place every listing checks that the actor may view the noun at all (exit 4).
    """
    require(actor, listing.view_permission())
    model = listing.kind.model
    now = now or clock.now()
    query = select(model).where(visible_clause(actor, listing.kind))
    if opts.owner:
        query = query.where(owner_clause(session, actor, model.owner_id, opts.owner))
    if opts.status:
        for status in opts.status:
            if listing.statuses and status not in listing.statuses:
                raise _choices_error(_("status"), status, listing.statuses)
        query = query.where(model.status.in_(opts.status))
    if opts.source:
        if listing.sources is not None:
            for source in opts.source:
                if source not in listing.sources:
                    raise _choices_error(_("source"), source, listing.sources)
        query = query.where(model.source.in_(opts.source))
    from crmcli.services.records import clean_tags

    for tag in clean_tags(opts.tags):  # --tag a,b means both, as on add
        query = query.where(exists().where(and_(
            Tag.record_type == listing.kind.name, Tag.record_id == model.id, Tag.tag == tag)))
    if opts.created:
        since, until = dates.parse_range(opts.created, tz, now)
        if since:
            query = query.where(model.created_at >= since)
        if until:
            query = query.where(model.created_at <= until)
    if opts.next_contact:
        window = opts.next_contact.strip().lower()
        local_today = now.astimezone(tz).date()
        start = datetime.combine(local_today, datetime.min.time(), tz).astimezone(timezone.utc)
        if window == "overdue":
            query = query.where(model.next_contact_at < now)
        elif window == "today":
            query = query.where(model.next_contact_at >= start, model.next_contact_at < start + timedelta(days=1))
        elif window == "week":
            query = query.where(model.next_contact_at >= start, model.next_contact_at < start + timedelta(days=7))
        else:
            raise _choices_error(_("next-contact window"), window, NEXT_CONTACT_WINDOWS)
    if opts.search and opts.search.strip():
        query = query.where(search_clause(model, opts.search, session.get_bind().dialect.name))
    for expr in opts.where:
        query = query.where(_where_clause(session, listing, expr))
    if listing.extra is not None:
        query = listing.extra(query, opts)

    sort = _sort_name(listing, opts)
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    column = getattr(model, listing.sorts[key])
    # a NOT NULL column needs no "IS NULL" ordering term, which lets SQLite use an index on it
    nullable = model.__table__.c[listing.sorts[key]].nullable
    order = ([column.is_(None)] if nullable else []) + [
        column.desc() if descending else column.asc(), model.id.desc() if descending else model.id.asc()]
    if opts.after:
        is_null, value, last_id = _cursor_decode(opts.after, sort, column)
        next_id = (model.id < last_id) if descending else (model.id > last_id)
        if is_null:  # past the last non-NULL value: only NULLs remain, in id order
            query = query.where(column.is_(None), next_id)
        else:
            beyond = (column < value) if descending else (column > value)
            after = [beyond, and_(column == value, next_id)]
            query = query.where(or_(column.is_(None), *after) if nullable else or_(*after))
    return query.order_by(*order), [column]


def select_page(session: Session, actor: Actor, listing: Listing, opts: ListOptions,
                tz: tzinfo, now: datetime | None = None) -> Page:
    """One page of records; ``next_cursor`` is set when more rows follow."""
    limit = opts.limit
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(_("--limit must be between 1 and {max}").format(max=MAX_LIMIT))
    query, (column,) = build(session, actor, listing, opts, tz, now)
    if limit is not None:
        query = query.limit(limit + 1)
    rows = list(session.execute(query).scalars())
    cursor = None
    if limit is not None and len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        sort_value = getattr(last, column.key)
        cursor = _cursor_encode(_sort_name(listing, opts), [sort_value is None, sort_value, last.id])
    return Page(rows, cursor)


def stream(session: Session, actor: Actor, listing: Listing, opts: ListOptions, tz: tzinfo,
           batch: int = 5000):
    """Every matching record, fetched a page at a time (for export: memory stays flat)."""
    page_opts = ListOptions(**{**opts.__dict__, "limit": batch, "after": opts.after})
    while True:
        page = select_page(session, actor, listing, page_opts, tz)
        yield from page.rows
        session.expunge_all()
        if page.next_cursor is None:
            return
        page_opts.after = page.next_cursor
