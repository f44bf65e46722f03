"""Importing records (导入) from CSV, TSV, JSONL or JSON: streaming, checked row by row, written set-based.

One engine serves every noun; a noun plugs in with a :class:`Spec` (its importable fields,
the function that checks and normalises a row — the same rules as ``add`` —, its dedupe
keys and its table), registered in :mod:`crmcli.services.import_specs`.

How a file goes in
------------------
* Columns map to fields: ``--map COLUMN=FIELD`` (``A+B=name`` joins columns with a space,
  ``COLUMN=-`` ignores one); every other column whose name is a field, a custom field or a
  custom field's label (case, spaces, ``-`` and ``_`` aside) maps itself; the rest are
  ignored and listed in the report.  A mapped field that does not exist, or a mapped column
  the file lacks, stops the import before anything is written (exit 6).
* Rows are read one at a time and checked (:attr:`Spec.prepare`, custom fields, owner);
  a bad row is *rejected* with its line number and the reason — ``--on-error abort`` (the
  default) stops there and writes nothing, ``--on-error skip`` goes on — and every rejected
  row goes to ``--rejects FILE`` (or to stderr): no row disappears without a word.
* Good rows are collected in batches of :data:`BATCH`.  Per batch, one query per dedupe key
  finds existing records with the same keys (earlier rows of the file are already in the
  table by then, so duplicates *within* the file are found the same way; inside a batch a
  dict does it).  A duplicate is skipped, updates the record it matches, or is an error.
* New rows are inserted with one ``executemany`` (SQLite) or ``COPY`` (PostgreSQL) per
  batch, with explicit ids; tags go in with one more ``executemany``, and so do the
  operation-log rows: one ``<noun>.import`` row per inserted record (who, when, the command
  line, and ``FILE:LINE`` as the reason) — see :mod:`crmcli.services.bulk_insert`.
  Updates go through the ORM (they are few, and each logs its before/after diff).
* An import commits in chunks of about :data:`CHUNK_ROWS` rows, or :data:`CHUNK_SECONDS` (the caller's ``on_commit``
  commits — services never do — after a batch that completes a chunk), so a long import lets
  other writers in between chunks instead of holding SQLite's write lock for a minute.  A
  smaller file is one transaction, as is ``--atomic`` (``chunk_rows=None``): then
  ``--on-error abort`` and any file-level problem (encoding, broken quoting) leave the database
  as it was.  After a committed chunk they keep what was committed, and the error says so;
  ``skip_rows`` (``--resume``) continues after the rows an earlier run had committed.
  ``--dry-run`` does all of it in one transaction and rolls back, so its report is exactly
  what the import would do.

SQLite keeps its full-text index (FTS5, trigram) in step with triggers, which cost more
than the insert itself when rows arrive one by one.  During an import the insert trigger is
dropped inside the transaction, the new rows are added to the index with one
``INSERT … SELECT`` over their id range at the end (or before rows of the import are
updated), and the trigger is created again before commit (a rollback restores it anyway).
Memory stays flat: one batch is held at a time.
"""

from __future__ import annotations

import gc
import json
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from operator import itemgetter
from typing import Any, Callable, Iterator

from sqlalchemy import String, bindparam, func, literal_column, select
from sqlalchemy.orm import Session

from crmcli import clock
from crmcli.errors import Conflict, CrmError, ValidationError
from crmcli.i18n import _
from crmcli.services import audit, fields, records
from crmcli.services.access import Actor, Kind, can_change, require
from crmcli.services.bulk_insert import BulkWriter
from crmcli.services.tabular import Reader, Row

BATCH = 5000
CHUNK_ROWS = 50_000  # rows per commit of a chunked import (a multiple of BATCH: chunks end with a batch)
CHUNK_SECONDS = 5.0  # ... or sooner, at the end of a batch, once a chunk has held the write lock this long
ON_DUPLICATE = ("skip", "update", "error")
ON_ERROR = ("abort", "skip")


@dataclass
class DedupeKey:
    """A dedupe key: the table column holding it, and how a new row's (complete) values give it."""

    column: str
    value: Callable[[dict[str, Any]], Any]
    where: Callable[[Any], list[Any]] | None = None  # extra conditions on the table (e.g. not merged)


@dataclass
class Spec:
    """What a noun tells the importer (and the exporter) about itself."""

    noun: str  # lead
    kind: Kind
    fields: tuple[str, ...]  # built-in fields a file may fill
    prepare: Callable[["Context", dict[str, Any]], dict[str, Any]]  # given raw values -> checked values
    complete: Callable[["Context", dict[str, Any]], dict[str, Any]]  # checked values -> stored values (+ keys)
    check_new: Callable[["Context", dict[str, Any]], None]  # the rules only a new record has (a name …)
    apply: Callable[["Context", Any, dict[str, Any]], None]  # checked values -> an existing record (update)
    label: Callable[[dict[str, Any]], str]
    resolve_owner: Callable[[Session, Actor, str | None], int | None]
    dedupe: dict[str, DedupeKey] = field(default_factory=dict)
    default_dedupe: tuple[str, ...] = ()
    required: tuple[str, ...] = ("name",)
    read_only: tuple[str, ...] = ()  # exported, ignored when imported (id, updated_at …)
    not_updated: tuple[str, ...] = ()  # fields an update leaves alone (status, owner …: they have their own verbs)
    logged: tuple[str, ...] = ()  # fields an update's log row compares
    extras: tuple[str, ...] = ("owner", "tags")
    export_columns: tuple[str, ...] = ()  # built-in export columns, in order (custom fields follow)
    export_row: Callable[[Any, dict[str, Any]], dict[str, Any]] | None = None  # record, lookups -> row
    listing: Any = None  # filters.Listing
    resolvers: dict[str, Callable[[Session, Actor, str], Any]] = field(default_factory=dict)  # extra columns
    strong_dedupe: tuple[str, ...] = ()  # keys always checked, asked for or not (a customer's credit code)
    after_insert: Callable[["Context", list[int], list[dict[str, Any]]], None] | None = None  # set-based follow-up


@dataclass
class ImportOptions:
    maps: list[str] = field(default_factory=list)  # COLUMN=FIELD
    dedupe_by: list[str] | None = None  # None: the noun's default keys
    on_duplicate: str = "skip"
    on_error: str = "abort"
    dry_run: bool = False
    owner: str | None = None  # owner of rows without an owner column (default: me)
    tags: list[str] = field(default_factory=list)  # tags added to every imported record
    chunk_rows: int | None = CHUNK_ROWS  # commit after about this many rows (None: one transaction, --atomic)
    skip_rows: int = 0  # --resume: rows an earlier run already read and committed


@dataclass
class Report:
    """What an import did (or, with --dry-run, would do)."""

    file: str
    format: str
    read: int = 0  # data rows read
    inserted: int = 0
    updated: int = 0
    skipped: int = 0  # skipped as duplicates
    rejected: int = 0
    dry_run: bool = False
    columns: dict[str, str] = field(default_factory=dict)  # file column -> field
    ignored: list[str] = field(default_factory=list)  # file columns that map to nothing
    dedupe_by: list[str] = field(default_factory=list)
    first_id: int | None = None
    last_id: int | None = None


@dataclass
class Context:
    """What a spec's functions may use while checking a row."""

    session: Session
    actor: Actor
    now: datetime
    tz: tzinfo
    noun: str
    region: str = "CN"

    def when(self, text: Any) -> datetime | None:
        """A time from a file: ISO 8601 (with or without offset: the user's zone) or anything ``--next`` takes."""
        if text is None or not str(text).strip():
            return None
        value = str(text).strip()
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            from crmcli import dates

            return dates.parse_datetime(value, self.tz, self.now)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.tz)
        from crmcli.limits import check_moment

        check_moment(moment, value)  # the dates crm accepts anywhere (1900 … 2200)
        return moment.astimezone(timezone.utc)


def error_text(exc: CrmError) -> str:
    """A rejected row's reason: the error and its hint, on one line."""
    return f"{exc.message} ({exc.hint})" if exc.hint else exc.message


def check_choice(value: Any, choices: tuple[str, ...], what: str) -> str:
    text = str(value).strip().lower()
    if text not in choices:
        raise ValidationError(_("unknown {what} '{value}'").format(what=what, value=str(value).strip()),
                              hint=_("one of: {choices}").format(choices=", ".join(choices)))
    return text


# --- columns to fields -----------------------------------------------------------------


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", "_", name.strip().casefold()).strip("_")


@dataclass(frozen=True)
class Target:
    kind: str  # field | custom | owner | tags | extra | ignore
    name: str


class Mapping:
    """Which file column fills which field (see the module docstring)."""

    def __init__(self, spec: Spec, defs: dict[str, Any], maps: list[str]) -> None:
        self.spec = spec
        known: dict[str, Target] = {}
        for name in spec.read_only:
            known[_norm(name)] = Target("ignore", name)
        for name, definition in defs.items():
            if definition.label:
                known.setdefault(_norm(definition.label), Target("custom", name))
        for name in defs:
            known[_norm(name)] = Target("custom", name)
        for name in spec.extras:
            known[_norm(name)] = Target(name if name in ("owner", "tags") else "extra", name)
        for name in spec.fields:
            known[_norm(name)] = Target("field", name)
        self.known = known
        self.explicit: list[tuple[str, Target]] = []  # (column spec, target)
        for item in maps:
            column, sep, target = item.rpartition("=")
            if not sep or not column.strip():
                raise ValidationError(_("'{map}' is not COLUMN=FIELD").format(map=item),
                                      hint=_("for example --map 'E-mail Address=email'"))
            wanted = target.strip()
            if wanted in ("", "-"):
                found = Target("ignore", "-")
            else:
                found = known.get(_norm(wanted))
                if found is None or found.kind == "ignore":
                    raise ValidationError(
                        _("unknown field '{field}' in --map {map}").format(field=wanted, map=item),
                        hint=_("{noun} fields: {fields}; custom fields: crm field list {noun}").format(
                            noun=spec.noun, fields=", ".join(spec.fields + spec.extras)))
            self.explicit.append((column.strip(), found))
        self._by_key: dict[str, Target | None] = {}

    # CSV/TSV: one plan for the header ----------------------------------------------------

    def plan(self, header: list[str], name: str) -> tuple[list[tuple[Any, Target]], dict[str, str], list[str]]:
        """(column index or indexes, target) pairs, the mapping as shown, and the ignored columns."""
        exact = {}
        folded: dict[str, list[int]] = {}
        for i, column in enumerate(header):
            exact.setdefault(column, []).append(i)
            folded.setdefault(_norm(column), []).append(i)

        def index_of(column: str) -> int:
            hits = exact.get(column) or folded.get(_norm(column)) or []
            if not hits:
                raise ValidationError(_("{name} has no column '{column}'").format(name=name, column=column),
                                      hint=_("its columns: {columns}").format(columns=", ".join(header)))
            if len(hits) > 1:
                raise ValidationError(_("{name} has more than one column '{column}'").format(name=name, column=column))
            return hits[0]

        plan: list[tuple[Any, Target]] = []
        used: set[int] = set()
        claimed: dict[Target, str] = {}
        shown: dict[str, str] = {}
        for column, target in self.explicit:
            if column in exact or _norm(column) in folded or "+" not in column:
                indexes: Any = index_of(column)
                used.add(indexes)
            else:
                indexes = tuple(index_of(part.strip()) for part in column.split("+"))
                used.update(indexes)
            if target.kind == "ignore":
                continue
            if target in claimed:
                raise ValidationError(_("both '{a}' and '{b}' map to {field}").format(
                    a=claimed[target], b=column, field=target.name))
            claimed[target] = column
            plan.append((indexes, target))
            shown[column] = target.name
        ignored: list[str] = []
        chosen = set(claimed)  # fields a --map gave a column: other columns of that name are ignored
        for i, column in enumerate(header):
            if i in used:
                continue
            target = self.known.get(_norm(column)) if column else None
            if target is not None and target.kind != "ignore" and target in claimed and target not in chosen:
                raise ValidationError(_("{name}: the columns '{a}' and '{b}' both give {field}").format(
                    name=name, a=claimed[target], b=column, field=target.name),
                    hint=_("choose one: --map '{b}=-' ignores it, --map '{b}=FIELD' sends it elsewhere").format(
                        b=column))
            if target is None or target.kind == "ignore" or target in claimed:
                if column:
                    ignored.append(column)
                continue
            claimed[target] = column
            plan.append((i, target))
            shown[column] = target.name
        for required in self.spec.required:
            if Target("field", required) not in claimed:
                raise ValidationError(
                    _("no column of {name} gives the {field} of each {noun}").format(
                        name=name, field=required, noun=self.spec.noun),
                    hint=_("map one: --map 'COLUMN={field}' (or --map 'First Name+Last Name={field}')").format(
                        field=required))
        return plan, shown, ignored

    # JSON: per key --------------------------------------------------------------------------

    def target_of(self, key: str) -> Target | None:
        if key in self._by_key:
            return self._by_key[key]
        found = None
        for column, target in self.explicit:
            if column == key or _norm(column) == _norm(key):
                found = target
                break
        else:
            found = self.known.get(_norm(key))
        if found is not None and found.kind == "ignore":
            found = None
        self._by_key[key] = found
        return found


# --- the engine ------------------------------------------------------------------------


@dataclass
class _Pending:
    row: Row
    values: dict[str, Any]  # checked values given by the row
    custom: dict[str, Any]
    tags: list[str]
    owner: str | None
    extra: dict[str, str]
    complete: dict[str, Any] | None = None  # every column, for an insert
    lines: list[int] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)  # the file's rows that make this record (update merges)
    keys: tuple[Any, ...] = ()  # its dedupe key values, in the order of the keys asked for


class Importer:
    def __init__(self, session: Session, actor: Actor, spec: Spec, reader: Reader, opts: ImportOptions,
                 tz: tzinfo, on_reject: Callable[[Row, str], None] | None = None,
                 on_progress: Callable[[int, int | None], None] | None = None) -> None:
        self.session, self.actor, self.spec, self.reader, self.opts = session, actor, spec, reader, opts
        self.on_reject, self.on_progress = on_reject, on_progress
        from crmcli.services.normalise import default_region

        self.ctx = Context(session, actor, clock.now(), tz, spec.noun, default_region())
        self.report = Report(file=reader.name, format=reader.format, dry_run=opts.dry_run)
        self.defs = fields.definitions(session, spec.noun)
        self._owners: dict[str | None, Any] = {}
        self._extra_cache: dict[tuple[str, str], Any] = {}
        self._writer: Any = None
        self._held: list[tuple[Row, str, bool]] = []  # rejects of the current batch: (row, reason, conflict)
        self.required_custom = any(d.required for d in self.defs.values())
        self._sqlite = session.get_bind().dialect.name == "sqlite"
        self.on_commit: Callable[[Report], None] | None = None
        self._committed_read = opts.skip_rows  # rows read as of the last commit
        self._chunk_started = time.monotonic()

    # -- checks before reading ----------------------------------------------------------------

    def _check_options(self) -> list[str]:
        opts, spec = self.opts, self.spec
        require(self.actor, f"{spec.kind.noun}.import")
        if opts.on_duplicate not in ON_DUPLICATE:
            raise ValidationError(_("unknown --on-duplicate '{value}'").format(value=opts.on_duplicate),
                                  hint=_("one of: {choices}").format(choices=", ".join(ON_DUPLICATE)))
        if opts.on_error not in ON_ERROR:
            raise ValidationError(_("unknown --on-error '{value}'").format(value=opts.on_error),
                                  hint=_("one of: {choices}").format(choices=", ".join(ON_ERROR)))
        if opts.dedupe_by is None:
            keys = list(spec.default_dedupe)
        else:
            keys = [k.strip().lower() for item in opts.dedupe_by for k in item.split(",") if k.strip()]
            if keys == ["none"]:
                keys = []
        keys = [k for k in spec.strong_dedupe if k not in keys] + keys
        for key in keys:
            if key not in spec.dedupe:
                raise ValidationError(_("{noun} records cannot be deduplicated by '{key}'").format(
                    noun=spec.noun, key=key), hint=_("one of: {choices}").format(choices=", ".join(spec.dedupe)))
        if opts.on_duplicate == "update" and keys:
            require(self.actor, f"{spec.kind.noun}.edit")
        self.tags = records.clean_tags(opts.tags)
        return list(dict.fromkeys(keys))

    # -- rows to checked values ---------------------------------------------------------------

    def _rows(self, mapping: Mapping) -> Iterator[tuple[Row, dict, dict, str | None, list[str], dict]]:
        """Each row split into (row, built-in values, custom values, owner, tags, extra columns)."""
        if self.reader.header is not None:
            plan, shown, ignored = mapping.plan(self.reader.header, self.reader.name)
            self.report.columns, self.report.ignored = shown, ignored
            # the hot loop of a big import: plain columns to fields first, unpacked once
            fields_plan = [(where, t.name) for where, t in plan if type(where) is int and t.kind == "field"]
            field_names = tuple(name for _where, name in fields_plan)
            wheres = [where for where, _name in fields_plan]
            pick = itemgetter(*wheres) if len(wheres) > 1 else (lambda cells: tuple(cells[i] for i in wheres))
            other_plan = [(where, t.kind, t.name) for where, t in plan
                          if not (type(where) is int and t.kind == "field")]
            for row in self.reader:
                if row.problem is not None:
                    yield row, None, None, None, None, None  # type: ignore[misc]
                    continue
                cells = row.values
                given: dict[str, Any] = {name: value for name, value in zip(field_names, pick(cells))
                                         if value and not value.isspace()}
                custom: dict[str, Any] = {}
                owner = None
                tags: list[str] = []
                extra: dict[str, str] = {}
                for where, kind, name in other_plan:
                    if type(where) is int:
                        value = cells[where]
                    else:
                        value = " ".join(p.strip() for p in (cells[i] for i in where) if p.strip())
                    if not value or value.isspace():
                        continue
                    if kind == "field":
                        given[name] = value
                    elif kind == "custom":
                        custom[name] = value
                    elif kind == "owner":
                        owner = value
                    elif kind == "tags":
                        tags.append(value)
                    else:
                        extra[name] = value
                yield row, given, custom, owner, tags, extra
            return
        ignored: dict[str, None] = {}
        # --map A+B=FIELD joins keys of JSON objects too (FirstName+LastName=name)
        joins = [(column, [part.strip() for part in column.split("+")], target)
                 for column, target in mapping.explicit if "+" in column and target.kind in ("field", "custom")]
        for row in self.reader:
            if row.problem is None:
                row.problem = _json_problem(row.values, mapping, self.defs)
            if row.problem is not None:
                yield row, None, None, None, None, None  # type: ignore[misc]
                continue
            given, custom, owner, tags, extra = {}, {}, None, [], {}
            joined: set[str] = set()
            for column, parts, target in joins:
                if column in row.values:
                    continue
                folded = {_norm(k): k for k in row.values}
                keys = [part if part in row.values else folded.get(_norm(part)) for part in parts]
                joined.update(k for k in keys if k)
                text = " ".join(t for t in (_json_text(row.values[k]).strip() for k in keys
                                            if k and row.values[k] is not None) if t)
                if text:
                    (given if target.kind == "field" else custom)[target.name] = text
                    self.report.columns.setdefault(column, target.name)
            for key, value in row.values.items():
                if key in joined:
                    continue
                if key == "custom" and isinstance(value, dict):
                    for name, inner in value.items():
                        if name in self.defs and inner is not None:
                            custom[name] = _json_text(inner)
                        else:
                            ignored.setdefault(f"custom.{name}")
                    continue
                target = mapping.target_of(key)
                if target is None:
                    ignored.setdefault(key)
                    continue
                if value is None or (isinstance(value, str) and not value.strip()):
                    continue
                if target.kind == "tags":
                    tags.extend(value if isinstance(value, list) else [str(value)])
                    continue
                text = _json_text(value)
                if target.kind == "field":
                    given[target.name] = text
                elif target.kind == "custom":
                    custom[target.name] = text
                elif target.kind == "owner":
                    owner = text
                else:
                    extra[target.name] = text
                self.report.columns.setdefault(key, target.name)
            yield row, given, custom, owner, tags, extra
        self.report.ignored = list(ignored)

    def _owner_id(self, owner: str | None) -> Any:
        key = owner.strip() if owner else self.opts.owner
        if key not in self._owners:
            try:
                self._owners[key] = self.spec.resolve_owner(self.session, self.actor, key)
            except CrmError as exc:
                self._owners[key] = exc
        found = self._owners[key]
        if isinstance(found, CrmError):
            raise found
        return found

    def resolve_extra(self, name: str, value: str) -> Any:
        """An extra column's value (a contact's customer …) through the spec's resolver, cached."""
        key = (name, value.strip())
        if key not in self._extra_cache:
            try:
                self._extra_cache[key] = self.spec.resolvers[name](self.session, self.actor, value.strip())
            except CrmError as exc:
                self._extra_cache[key] = exc
        found = self._extra_cache[key]
        if isinstance(found, CrmError):
            raise found
        return found

    # -- the run --------------------------------------------------------------------------------

    def run(self) -> Report:
        with _settled_objects_frozen():
            return self._run()

    def _run(self) -> Report:
        keys = self._check_options()
        self.keys = keys
        self.report.dedupe_by = keys
        mapping = Mapping(self.spec, self.defs, self.opts.maps)
        if self.opts.owner is not None:  # the default owner is the command's own option: checked first
            self.spec.resolve_owner(self.session, self.actor, self.opts.owner)
        spec, ctx, hold = self.spec, self.ctx, self._held.append
        batch: list[_Pending] = []
        completed = False
        self._writer = BulkWriter(self.session, spec.kind.model.__table__)
        if self.opts.skip_rows:  # --resume: the rows an earlier run committed are read past, not checked again
            from itertools import islice

            rows = iter(self.reader)
            skipped = sum(1 for _row in islice(rows, self.opts.skip_rows))
            if skipped < self.opts.skip_rows:
                raise ValidationError(_("{name} has only {n} rows; the import to resume had read {m}").format(
                    name=self.reader.name, n=skipped, m=self.opts.skip_rows))
        try:
            for row, given, custom, owner, tags, extra in self._rows(mapping):
                self.report.read += 1
                try:
                    if given is None:
                        raise ValidationError(row.problem or "")
                    values = spec.prepare(ctx, given)
                    item = _Pending(row, values, custom, tags + self.tags if self.tags else tags, owner, extra,
                                    lines=[row.line], rows=[row])
                    item.complete = self._complete(item)
                except CrmError as exc:
                    hold((row, error_text(exc), False))
                    if self.opts.on_error == "abort" or len(self._held) >= BATCH:
                        self._flush(batch)  # rejects come out in line order, the first one stops an abort
                        batch = []
                    continue
                batch.append(item)
                if len(batch) >= BATCH:
                    self._flush(batch)
                    batch = []
            self._flush(batch)
            if self.report.read == 0:
                raise ValidationError(_("{name} has no rows to import").format(name=self.reader.name),
                                      hint=_("the file has a header but nothing under it"))
            completed = True
        finally:
            self._writer.finish(completed)
        self._progress()
        if self.opts.dry_run:
            self.session.rollback()
        return self.report

    def _progress(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.reader.position, self.reader.size)

    def _emit_rejects(self) -> None:
        """Held rejects, in line order: counted, written, and under --on-error abort the first one stops it all."""
        held = sorted(self._held, key=lambda h: h[0].line)
        self._held.clear()  # the same list: callers hold its append
        for row, reason, conflict in held:
            self.report.rejected += 1
            if self.on_reject is not None:
                self.on_reject(row, reason)
            if self.opts.on_error == "abort":
                error = Conflict if conflict else ValidationError
                if self._committed_read:
                    hint = _("the {n} rows before it were committed; import the rest with --on-error skip, or fix "
                             "the row and import again with --dedupe-by").format(n=self._committed_read)
                else:
                    hint = _("nothing was imported; fix the row, or add --on-error skip to import the other rows")
                raise error(_("{name}, line {line}: {reason}").format(
                    name=self.reader.name, line=row.line, reason=reason), hint=hint)

    def _complete(self, item: _Pending) -> dict[str, Any]:
        """The row's values as stored (derived columns and dedupe keys included); rules of any row."""
        values = item.values
        if item.extra:  # (spec.complete copies what it is given: without extras no copy is needed here)
            values = dict(values)
            for name, value in item.extra.items():
                values[name] = self.resolve_extra(name, value)
        complete = self.spec.complete(self.ctx, values)
        # (no custom values, not creating: nothing to check, and apply would give None)
        complete["custom"] = fields.apply(self.session, self.spec.noun, None, item.custom, creating=False,
                                          defs=self.defs) if item.custom else None
        item.tags = records.clean_tags(item.tags) if item.tags else []
        return complete

    def _check_new(self, item: _Pending) -> None:
        """The rules of a row that becomes a new record: required fields, its owner."""
        complete = item.complete
        self.spec.check_new(self.ctx, complete)
        if self.required_custom:
            fields.apply(self.session, self.spec.noun, None, item.custom, creating=True, defs=self.defs)
        if "owner_id" not in complete:
            owner_id = self._owner_id(item.owner)
            complete["owner_id"] = owner_id
            if "owned_since" in self.spec.kind.model.__table__.columns:
                complete["owned_since"] = self.ctx.now if owner_id else None

    # -- one batch -------------------------------------------------------------------------------

    def _existing(self, batch: list[_Pending]) -> dict[str, dict[Any, int]]:
        """For each dedupe key, the oldest existing record per key value found in the batch."""
        table = self.spec.kind.model.__table__
        found: dict[str, dict[Any, int]] = {}
        for n, key in enumerate(self.keys):
            dedupe = self.spec.dedupe[key]
            wanted = {p.keys[n] for p in batch if p.keys[n]}
            found[key] = {}
            if not wanted:
                continue
            column = table.c[dedupe.column]
            extra = dedupe.where(table) if dedupe.where else []
            values = list(wanted)
            for start in range(0, len(values), BATCH):
                chunk = values[start:start + BATCH]
                if self._sqlite:  # the values as one JSON parameter: one statement, compiled once per import
                    matching = column.in_(select(literal_column("value")).select_from(
                        func.json_each(bindparam("wanted", type_=String()))))
                    params = {"wanted": json.dumps(chunk, ensure_ascii=False)}
                else:
                    matching, params = column.in_(chunk), {}
                for value, record_id in self.session.execute(
                        select(column, func.min(table.c.id)).where(matching, *extra).group_by(column), params):
                    found[key][value] = record_id
        return found

    def _flush(self, batch: list[_Pending]) -> None:
        """Dedupe, insert and update one batch; then the rejects held so far come out, in line order; and when
        a chunk is complete, it is committed (every row read so far is written or rejected by now)."""
        if batch:
            self._dedupe_and_write(batch)
        self._emit_rejects()
        if self._chunk_complete():
            self._writer.checkpoint()
            self.on_commit(self.report)
            self._committed_read = self.report.read
            self._chunk_started = time.monotonic()
        self._progress()

    def _chunk_complete(self) -> bool:
        """A chunk ends after :data:`CHUNK_ROWS` rows, or after :data:`CHUNK_SECONDS` on a slow or busy machine.

        The time bound is what keeps other writers' waits short: on a loaded machine 50,000 rows can
        hold SQLite's write lock for longer than their busy timeout.
        """
        chunk = self.opts.chunk_rows
        if not chunk or self.on_commit is None or self.opts.dry_run:
            return False
        rows = self.report.read - self._committed_read
        return rows >= chunk or (rows > 0 and time.monotonic() - self._chunk_started >= CHUNK_SECONDS)

    @property
    def committed_rows(self) -> int:
        """Rows (read) that a chunk's commit has made permanent, this run or the run it resumes."""
        return self._committed_read

    def _dedupe_and_write(self, batch: list[_Pending]) -> None:
        report, opts, hold = self.report, self.opts, self._held.append
        functions = [self.spec.dedupe[key].value for key in self.keys]
        if len(functions) == 1:  # the usual case, without a generator per row
            only = functions[0]
            for item in batch:
                item.keys = (only(item.complete),)
        else:
            for item in batch:
                item.keys = tuple(f(item.complete) for f in functions)
        existing = self._existing(batch) if self.keys else {}
        inserts: list[_Pending] = []
        pending: dict[tuple[str, Any], _Pending] = {}
        updates: dict[int, list[_Pending]] = {}
        for item in batch:
            match = None
            for key, value in zip(self.keys, item.keys):
                if not value:
                    continue
                if (key, value) in pending:
                    match = (key, pending[(key, value)], None)
                    break
                record_id = existing[key].get(value)
                if record_id is not None:
                    match = (key, None, record_id)
                    break
            if match is None:
                inserts.append(item)
                for key, value in zip(self.keys, item.keys):
                    if value:
                        pending.setdefault((key, value), item)
                continue
            key, earlier, record_id = match
            if opts.on_duplicate == "skip":
                report.skipped += 1
            elif opts.on_duplicate == "error":
                what = (_("line {line} of this file").format(line=earlier.row.line) if earlier is not None
                        else _("{noun} {id}").format(noun=self.spec.noun, id=record_id))
                hold((item.row, _("a duplicate of {what} (same {key})").format(what=what, key=key), True))
            elif earlier is not None:
                if self._merge_pending(earlier, item):
                    for key, value in zip(self.keys, earlier.keys):
                        if value:
                            pending.setdefault((key, value), earlier)
            else:
                updates.setdefault(record_id, []).append(item)
        ready = []
        for item in inserts:
            try:
                self._check_new(item)
            except CrmError as exc:  # every row that went into it is rejected: none of them becomes a record
                for row in item.rows:
                    hold((row, error_text(exc), False))
                continue
            ready.append(item)
            report.updated += len(item.rows) - 1
        if ready:
            self._insert(ready)
        if updates:
            self._update(updates)

    def _merge_pending(self, earlier: _Pending, item: _Pending) -> bool:
        """A later row of the file updates a record an earlier row (same batch) is about to insert."""
        merged = _Pending(earlier.row, {**earlier.values, **{k: v for k, v in item.values.items()
                                                            if k not in self.spec.not_updated}},
                          {**earlier.custom, **item.custom}, earlier.tags + item.tags, earlier.owner,
                          {**earlier.extra, **item.extra}, lines=earlier.lines + [item.row.line],
                          rows=earlier.rows + [item.row])
        try:
            merged.complete = self._complete(merged)
        except CrmError as exc:  # the two rows together break a rule neither broke alone
            self._held.append((item.row, error_text(exc), False))
            return False
        functions = [self.spec.dedupe[key].value for key in self.keys]
        earlier.values, earlier.custom, earlier.tags = merged.values, merged.custom, merged.tags
        earlier.extra, earlier.lines, earlier.complete = merged.extra, merged.lines, merged.complete
        earlier.rows = merged.rows
        earlier.keys = tuple(f(earlier.complete) for f in functions)
        return True

    def _insert(self, items: list[_Pending]) -> None:
        """Reserve the batch's ids, write its rows, tags and operation-log rows, and count it."""
        report = self.report
        ids = self._writer.reserve(len(items))
        report.inserted += len(ids)
        report.first_id = report.first_id if report.first_id is not None else ids[0]
        report.last_id = ids[-1]
        spec, actor = self.spec, self.actor
        self._writer.write(ids, [p.complete for p in items])
        if spec.after_insert is not None:
            self._writer.index_pending()  # it may update the rows just written
            spec.after_insert(self.ctx, ids, [p.complete for p in items])
        tag_rows = [{"record_type": spec.noun, "record_id": i, "tag": t} for i, p in zip(ids, items) for t in p.tags]
        if tag_rows:
            from crmcli.store.models import Tag

            self.session.execute(Tag.__table__.insert(), tag_rows)
        name, label = self.reader.name, spec.label
        audit.record_each(self.session, actor, f"{spec.noun}.import", spec.noun, [
            (i, label(p.complete), f"{name}:{','.join(map(str, p.lines))}") for i, p in zip(ids, items)])

    def _update(self, updates: dict[int, list[_Pending]]) -> None:
        """Rows that match existing records: fill in what they give (never owner or status), log the diff."""
        spec, session, actor, kind = self.spec, self.session, self.actor, self.spec.kind
        model = kind.model
        self._writer.index_pending()  # a record this import wrote may be among them
        objects = {o.id: o for o in session.execute(select(model).where(model.id.in_(list(updates)))).scalars()}
        for record_id, items in updates.items():
            record = objects[record_id]
            if not can_change(session, actor, kind, record):
                for item in items:
                    self._held.append((item.row, _("a duplicate of {noun} {id}, which you may not change").format(
                        noun=spec.noun, id=record_id), False))
                continue
            before = audit.snapshot(record, spec.logged)
            tags_before = records.tags_of(session, spec.noun, record.id)
            lines: list[int] = []
            for item in items:
                try:
                    values = {k: v for k, v in item.values.items() if k not in spec.not_updated}
                    for name, value in item.extra.items():
                        if name not in spec.not_updated:
                            values[name] = self.resolve_extra(name, value)
                    with session.begin_nested():
                        spec.apply(self.ctx, record, values)
                        if item.custom:
                            record.custom = fields.apply(session, spec.noun, record.custom, item.custom,
                                                         creating=False, defs=self.defs)
                        session.flush()
                except CrmError as exc:
                    session.refresh(record)
                    self._held.append((item.row, error_text(exc), False))
                    continue
                if item.tags:
                    records.set_tags(session, spec.noun, record.id, add=item.tags)
                lines.append(item.row.line)
                self.report.updated += 1
            if not lines:
                continue
            changes = audit.diff(before, audit.snapshot(record, spec.logged))
            tags_after = records.tags_of(session, spec.noun, record.id)
            if tags_after != tags_before:
                changes["tags"] = [tags_before, tags_after]
            if changes:
                if hasattr(record, "updated_at"):
                    record.updated_at = self.ctx.now
                audit.record(session, actor, f"{spec.noun}.import", spec.noun, record.id, kind.label(record), changes,
                             reason=f"{self.reader.name}:{','.join(map(str, lines))}")
        session.flush()
        session.expunge_all()


@contextmanager
def _settled_objects_frozen() -> Iterator[None]:
    """Keep the objects that exist before the import (modules, the ORM's metadata …) out of garbage collection.

    Each batch allocates tens of thousands of short-lived dicts and lists, and every so often
    Python's cycle collector walks *all* tracked objects; with the start-up's objects frozen
    those walks cover only the batches, which takes a tenth off a million-row import.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _json_problem(values: dict[str, Any], mapping: Mapping, defs: dict[str, Any]) -> str | None:
    """Why a JSON record cannot be imported as it is, or None: a nested object or array where a field
    takes text (it would be stored as its JSON text), or a NUL character (which no text may hold).

    Keys that map to nothing are not looked at (a Salesforce record's ``attributes`` object is ignored).
    """
    for key, value in values.items():
        if key == "custom" and isinstance(value, dict):
            inner = [(f"custom.{name}", v) for name, v in value.items() if name in defs]
        else:
            target = mapping.target_of(key) if "+" not in key else None
            if target is None and not any(key in [part.strip() for part in column.split("+")]
                                          for column, _t in mapping.explicit):
                continue
            if target is not None and target.kind == "tags" and isinstance(value, list):
                inner = [(key, v) for v in value]
            else:
                inner = [(key, value)]
        for name, item in inner:
            if isinstance(item, (dict, list)):
                return _("{field}: a JSON {type} where text is expected").format(
                    field=name, type=_("object") if isinstance(item, dict) else _("array"))
            if isinstance(item, str) and "\x00" in item:
                from crmcli.services.tabular import nul_problem

                return nul_problem([name])
    return None


def _json_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(_json_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def run(session: Session, actor: Actor, spec: Spec, reader: Reader, opts: ImportOptions, tz: tzinfo,
        on_reject: Callable[[Row, str], None] | None = None,
        on_progress: Callable[[int, int | None], None] | None = None,
        on_commit: Callable[[Report], None] | None = None, start: Report | None = None) -> Report:
    """Import ``reader``'s rows as ``spec.noun`` records; see the module docstring.

    ``on_commit(report)`` commits the session (the command's job) each time a chunk is complete;
    without it the import is one transaction.  ``start`` carries the counts of the run a
    ``--resume`` continues (its ``read`` equals ``opts.skip_rows``).
    """
    importer = Importer(session, actor, spec, reader, opts, tz, on_reject, on_progress)
    importer.on_commit = on_commit
    if start is not None:
        for name in ("read", "inserted", "updated", "skipped", "rejected", "first_id", "last_id"):
            setattr(importer.report, name, getattr(start, name))
    return importer.run()
