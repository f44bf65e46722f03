"""``import`` and ``export`` for a noun: ``install(app, "lead")`` adds both to ``crm lead``.

The rules live in :mod:`crmcli.services.importer` and :mod:`crmcli.services.recordio`; this
module opens files, shows progress on a terminal, writes the rejects file and renders the
report.  Like every command module it imports nothing heavy at module level.
"""

from __future__ import annotations

import os
import sys
from typing import Any, List, Optional

import typer

from crmcli.commands._common import rt
from crmcli.commands._listing import (CreatedOpt, NextContactOpt, OwnerOpt, SearchOpt, SortOpt, SourceOpt, StatusOpt,
                                      TagOpt, WhereOpt, list_options)
from crmcli.i18n import _

EXPORT_FORMATS = ("csv", "tsv", "jsonl", "json")


def install(app: typer.Typer, noun: str) -> None:
    """Add ``import`` and ``export`` for ``noun`` (lead, customer, contact) to the noun's Typer app."""

    @app.command("import", help=_(
        "Import {noun} records from a CSV, TSV, JSONL or JSON file (or - for stdin).\n\n"
        "Columns named like a field or custom field map themselves; --map maps others. Every row is "
        "checked as '{noun} add' would; a bad row stops the import (--on-error skip: it is rejected, "
        "with its line and reason, into --rejects FILE or onto stderr). --dedupe-by finds rows that "
        "match an existing record or an earlier row. The report counts rows inserted, updated, skipped "
        "as duplicates and rejected.\n\n"
        "A big file is committed every 50,000 rows, so others can write meanwhile: a file stopped by a "
        "bad row or Ctrl-C keeps the chunks already committed, and --resume continues it; --atomic "
        "writes all or nothing.\n\n"
        "Examples:\n\n  crm {noun} import contacts.csv --map 'E-mail Address=email' --dedupe-by email\n\n"
        "  crm {noun} import export.csv --encoding gb18030 --on-error skip --rejects bad.csv\n\n"
        "  crm {noun} import new.jsonl --dedupe-by email,phone --on-duplicate update --dry-run\n\n"
        "  crm {noun} import million.csv --resume").format(noun=noun))
    def import_(
        file: str = typer.Argument(..., metavar="FILE|-", help=_("The file to read, or - for stdin.")),
        map_: Optional[List[str]] = typer.Option(None, "--map", metavar="COLUMN=FIELD", help=_(
            "Map a column to a field (repeatable); A+B=name joins columns, COLUMN=- ignores one.")),
        dedupe_by: Optional[List[str]] = typer.Option(None, "--dedupe-by", metavar="KEYS", help=_(
            "Duplicate keys, e.g. email,phone,name (none: no dedupe).")),
        on_duplicate: str = typer.Option("skip", "--on-duplicate", metavar="skip|update|error", help=_(
            "A duplicate row is skipped, updates the record it matches, or is an error.")),
        on_error: str = typer.Option("abort", "--on-error", metavar="abort|skip", help=_(
            "A bad row stops the import (nothing written) or is rejected and skipped.")),
        rejects: Optional[str] = typer.Option(None, "--rejects", metavar="FILE", help=_(
            "Write every rejected row, with its line number and reason, to FILE.")),
        encoding: str = typer.Option("utf-8", "--encoding", metavar="ENCODING", help=_(
            "The file's text encoding, e.g. gb18030, cp1252.")),
        input_format: Optional[str] = typer.Option(None, "--input-format", metavar="csv|tsv|jsonl|json", help=_(
            "The file's format (default: from its extension, else from its content).")),
        owner: Optional[str] = typer.Option(None, "--owner", metavar="me|LOGIN|none", help=_(
            "Owner of rows without an owner column (default: you).")),
        tag: Optional[List[str]] = typer.Option(None, "--tag", metavar="TAG", help=_(
            "Add this tag to every imported record (repeatable).")),
        dry_run: bool = typer.Option(False, "--dry-run", help=_(
            "Check everything and report, but write nothing.")),
        atomic: bool = typer.Option(False, "--atomic", help=_(
            "All or nothing in one transaction (default: commit every 50,000 rows, so others can write "
            "meanwhile).")),
        resume: bool = typer.Option(False, "--resume", help=_(
            "Continue an interrupted import of the same, unchanged file after its last committed rows.")),
    ) -> None:
        _import(noun, file, map_ or [], dedupe_by, on_duplicate, on_error, rejects, encoding, input_format,
                owner, tag or [], dry_run, atomic, resume)

    @app.command("export", help=_(
        "Export {noun} records to CSV, TSV, JSONL or JSON, with the filters of '{noun} list'.\n\n"
        "Custom fields come as columns and tags as one comma-separated column; importing the file "
        "into an empty database gives the records back. The format is --format, else the --output "
        "file's extension, else CSV.\n\n"
        "Examples:\n\n  crm {noun} export --output all.csv\n\n"
        "  crm {noun} export --owner me --status new --format jsonl > mine.jsonl\n\n"
        "  crm {noun} export --where 'score>50' --output for-excel.csv --encoding utf-8-sig").format(noun=noun))
    def export(
        output: Optional[str] = typer.Option(None, "--output", "-o", metavar="FILE", help=_(
            "Write to FILE (default: stdout).")),
        encoding: str = typer.Option("utf-8", "--encoding", metavar="ENCODING", help=_(
            "Text encoding of the output, e.g. utf-8-sig (for Excel) or gb18030.")),
        owner: OwnerOpt = None, status: StatusOpt = None, source: SourceOpt = None, tag: TagOpt = None,
        created: CreatedOpt = None, next_contact: NextContactOpt = None, search: SearchOpt = None,
        where: WhereOpt = None, sort: SortOpt = None,
        limit: Optional[int] = typer.Option(None, "--limit", "-n", min=1, max=1_000_000, help=_("At most this many records.")),
        escape_formulas: bool = typer.Option(True, "--escape-formulas/--no-escape-formulas", help=_(
            "In CSV, write text that a spreadsheet would run as a formula (=, +, -, @ first) with a ' in "
            "front (the default; import takes it off). --no-escape-formulas: as stored, for scripts.")),
    ) -> None:
        opts = list_options(owner, status, source, tag, created, next_contact, search, where, sort, limit)
        _export(noun, output, encoding, opts, escape_formulas)


# --- import ----------------------------------------------------------------------------------


def _open_input(file: str) -> tuple[Any, str, int | None]:
    from crmcli.errors import CrmError, NotFound

    if file == "-":
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:  # a text stream (tests, embedding): its text, as UTF-8 bytes
            import io

            stream = io.BytesIO(sys.stdin.read().encode("utf-8"))
        return stream, _("stdin"), None
    try:
        handle = open(file, "rb")
    except FileNotFoundError:
        raise NotFound(_("no file {file}").format(file=file)) from None
    except OSError as exc:
        raise CrmError(_("cannot read {file}: {reason}").format(file=file, reason=exc.strerror)) from None
    try:
        size = os.fstat(handle.fileno()).st_size
    except OSError:
        size = None
    return handle, file, size


class _Progress:
    """A progress bar on stderr while a file (not stdin) is read, only on a terminal."""

    def __init__(self, enabled: bool, name: str) -> None:
        self.bar = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                            console=Console(file=sys.stderr, no_color=bool(os.environ.get("NO_COLOR"))),
                            transient=True)
        self.task = self.bar.add_task(name, total=None)
        self.bar.start()

    def update(self, done: int, total: int | None) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=done, total=total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def _import(noun: str, file: str, maps: list[str], dedupe_by: list[str] | None, on_duplicate: str, on_error: str,
            rejects_path: str | None, encoding: str, input_format: str | None, owner: str | None, tags: list[str],
            dry_run: bool, atomic: bool = False, resume: bool = False) -> None:
    from crmcli import interrupts
    from crmcli.errors import UsageError
    from crmcli.safe_write import SafeFile, write_error
    from crmcli.services import import_runs, importer, recordio, tabular

    r = rt()
    if resume and (atomic or dry_run):
        raise UsageError(_("--resume goes with neither --atomic nor --dry-run"))
    spec = recordio.spec_for(noun)
    fmt = tabular.format_of(file, input_format)
    tabular.check_encoding(encoding)
    stream, name, size = _open_input(file)
    rejects_file = None
    run_id: int | None = None
    committed: dict[str, Any] = {"rows": 0, "report": None}  # as of the last chunk's commit
    progress = _Progress(file != "-" and sys.stderr.isatty() and not r.quiet, os.path.basename(name))
    try:
        with r.transaction() as (s, me):
            reader = tabular.Reader(stream, name, fmt, encoding, size)
            sink: Any = None
            if rejects_path:
                rejects_file = SafeFile(rejects_path)
                sink = tabular.Rejects(rejects_file.open(), reader.format, reader.header)

            def on_reject(row: Any, reason: str) -> None:
                if sink is not None:
                    sink.add(row, reason)
                elif on_error == "skip":  # abort mode says it in the error itself
                    r.message(_("line {line} rejected: {reason}").format(line=row.line, reason=reason))

            opts = importer.ImportOptions(maps=maps, dedupe_by=dedupe_by, on_duplicate=on_duplicate.strip().lower(),
                                          on_error=on_error.strip().lower(), dry_run=dry_run, owner=owner, tags=tags,
                                          chunk_rows=None if atomic or dry_run else importer.CHUNK_ROWS)
            start = None
            if dry_run:
                run_id = None
            elif resume:
                run = import_runs.resumable(s, me, noun, file)
                run_id, opts.skip_rows = run.id, run.rows_read
                start = importer.Report(file=name, format=reader.format, read=run.rows_read,
                                        inserted=run.rows_inserted, updated=run.rows_updated,
                                        skipped=run.rows_skipped, rejected=run.rows_rejected,
                                        first_id=run.first_id, last_id=run.last_id)
                committed["rows"] = run.rows_read
            else:
                run_id = import_runs.start(s, me, noun, file, {
                    "map": maps, "dedupe_by": dedupe_by, "on_duplicate": on_duplicate, "on_error": on_error,
                    "encoding": encoding, "input_format": reader.format, "owner": owner, "tags": tags,
                    "atomic": atomic, "rejects": rejects_path}).id

            def on_commit(report: Any) -> None:
                """A chunk is complete: its rows and the run's counts are committed together."""
                import_runs.update(import_runs.get(s, run_id), report)
                with interrupts.deferred():
                    s.commit()
                    committed["rows"], committed["report"] = report.read, report
                    r.mark_committed(_interrupted_note(report.read, report.read))

            def on_progress(done: int, total: int | None) -> None:
                progress.update(done, total)
                if committed["report"] is not None:  # what Ctrl-C would say now
                    r.mark_committed(_interrupted_note(committed["report"].read, committed["rows"]))

            report = importer.run(s, me, spec, reader, opts, r.timezone(), on_reject, on_progress,
                                  on_commit=on_commit if run_id is not None else None, start=start)
            if run_id is not None:
                import_runs.update(import_runs.get(s, run_id), report, "done")
    except OSError as exc:  # the rejects file could not be written (no space …)
        _close_run(run_id, committed, "failed")
        if rejects_file is None:
            raise
        rejects_file.discard()
        rejects_file = None
        raise write_error(rejects_path or "-", exc) from None
    except BaseException as exc:
        _close_run(run_id, committed, "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed")
        raise
    finally:
        progress.close()
        if rejects_file is not None:  # also when the import stopped: the rejects say why
            rejects_file.commit()
        if stream is not sys.stdin and hasattr(stream, "close") and file != "-":
            stream.close()
    _report(report, rejects_path, run_id)


def _interrupted_note(read: int, committed: int) -> str:
    return _("after {read} rows; {committed} rows were committed; run the same command with --resume to "
             "continue").format(read=f"{read:,}", committed=f"{committed:,}")


def _close_run(run_id: int | None, committed: dict[str, Any], status: str) -> None:
    """The import stopped after some chunks were committed: its run row says so (in a transaction of its own)."""
    if run_id is None or committed["report"] is None and not committed["rows"]:
        return  # nothing was committed: the run row went with the rollback
    from crmcli.services import import_runs

    try:
        with rt().transaction() as (s, _me):
            import_runs.mark(s, run_id, status)
    except Exception:  # noqa: BLE001  (the import's own error is what the user must see)
        pass


def _report(report: Any, rejects_path: str | None, import_id: int | None = None) -> None:
    r = rt()
    data = {"file": report.file, "format": report.format, "read": report.read, "inserted": report.inserted,
            "updated": report.updated, "skipped": report.skipped, "rejected": report.rejected,
            "dry_run": report.dry_run, "dedupe_by": report.dedupe_by, "columns": report.columns,
            "ignored": report.ignored, "rejects": rejects_path if report.rejected else None,
            "first_id": report.first_id if not report.dry_run else None,
            "last_id": report.last_id if not report.dry_run else None, "import_id": import_id}
    fields = [("read", _("rows read"), report.read), ("inserted", _("rows inserted"), report.inserted),
              ("updated", _("rows updated"), report.updated), ("skipped", _("skipped as duplicate"), report.skipped),
              ("rejected", _("rejected"), report.rejected)]
    if r.output_format() in ("table", "plain"):
        fields.append(("dry_run", _("dry run"), report.dry_run))
    r.out().record(fields, data=data)
    if report.ignored:
        r.message(_("Ignored columns: {columns}").format(columns=", ".join(report.ignored)))
    if report.rejected and rejects_path:
        r.message(_("{n} rejected rows are in {file}.").format(n=report.rejected, file=rejects_path))
    if report.dry_run:
        r.message(_("Dry run: nothing was written."))


# --- export ----------------------------------------------------------------------------------


def _export(noun: str, output: str | None, encoding: str, opts: Any, escape: bool = True) -> None:
    from crmcli.errors import UsageError, ValidationError
    from crmcli.safe_write import SafeFile, write_error
    from crmcli.services import recordio, tabular

    r = rt()
    fmt = r.fmt
    if fmt is None:
        fmt = tabular.format_of(output) if output else None
        fmt = fmt or "csv"
    if fmt not in EXPORT_FORMATS:
        raise UsageError(_("export writes csv, tsv, jsonl or json, not {format}").format(format=fmt),
                         hint=_("--format csv"))
    codec = tabular.check_encoding(encoding)
    if codec == "utf-8-sig" and encoding.strip().lower().replace("_", "-") in ("utf-8", "utf8"):
        codec = "utf-8"  # a BOM only when asked for (utf-8-sig)
    spec = recordio.spec_for(noun)
    target = SafeFile(output or "-", codec)
    with r.transaction(write=False) as (s, me):
        rows = recordio.export_rows(s, me, spec, opts, r.timezone())  # checked here: nothing written yet
        stream = target.open()
        try:
            writer = tabular.Writer(stream, fmt, recordio.export_columns(s, spec), escape_formulas=escape)
            for row in rows:
                try:
                    writer.write(row)
                except UnicodeEncodeError as exc:
                    raise ValidationError(
                        _("{noun} {id} has text that {encoding} cannot hold: {text}").format(
                            noun=noun, id=row.get("id"), encoding=encoding, text=exc.object[exc.start:exc.end]),
                        hint=_("export with --encoding utf-8 or gb18030")) from None
            writer.close()
        except OSError as exc:
            target.discard()
            raise write_error(target.name, exc) from None
        except BaseException:
            target.discard()
            raise
        target.commit()
    if output:
        r.message(_("Exported {n} {noun} records to {file}.").format(n=writer.count, noun=noun, file=output))
