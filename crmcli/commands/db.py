"""``crm db``: where the database is, and its upkeep."""

from __future__ import annotations

import typer

from crmcli.commands._common import new_app, rt
from crmcli.i18n import _

app = new_app(_("The database: info, upgrade, backup, restore.\n\n"
                "Examples:\n\n  crm db info\n\n  crm db backup ~/backups/crm-$(date +%F).sqlite\n\n"
                "  crm db restore ~/backups/crm-2026-11-01.sqlite --yes\n\n  crm db upgrade"))


def _require_admin() -> None:
    """Upkeep verbs need db.admin when the database is readable; checked as the acting user."""
    from crmcli.services.access import require

    with rt().transaction(write=False) as (_s, me):
        require(me, "db.admin")


@app.command("info", help=_("Where the database is, its schema version and row counts."))
def info() -> None:
    from crmcli.output import Column
    from crmcli.services import database

    r = rt()
    result = database.info(r.target())
    out = r.out()
    out.record([("location", _("location"), result.location), ("backend", _("backend"), result.backend),
                ("schema", _("schema version"), result.revision),
                ("program_schema", _("this crm's schema"), result.program_revision),
                ("size_bytes", _("size (bytes)"), result.size_bytes)],
               data={"location": result.location, "backend": result.backend, "schema": result.revision,
                     "program_schema": result.program_revision, "size_bytes": result.size_bytes,
                     "counts": result.counts})
    if out.fmt not in ("json", "jsonl", "ids"):
        out.section(_("Rows per table"))
        out.rows([Column("table", _("table")), Column("rows", _("rows"), "right")],
                 [{"table": k, "rows": v} for k, v in result.counts.items()])


@app.command("upgrade", help=_("Bring the database to this crm's schema (Alembic). A SQLite file is backed "
                               "up next to itself first."))
def upgrade() -> None:
    from crmcli.services import database

    r = rt()
    result = database.upgrade(r.target())
    if result.before == result.after:
        r.message(_("The database is already at schema {rev}; nothing to do.").format(rev=result.after))
        return
    if result.backup:
        r.message(_("Backed up to {path}.").format(path=result.backup))
    r.message(_("Upgraded the database from {before} to {after}.").format(before=result.before, after=result.after))


@app.command("backup", help=_("Copy a SQLite database to FILE with SQLite's online backup (safe while others "
                              "write). For PostgreSQL use pg_dump."))
def backup(file: str = typer.Argument(..., metavar="FILE"),
           force: bool = typer.Option(False, "--force", help=_("Overwrite FILE if it exists."))) -> None:
    from crmcli.services import database

    _require_admin()
    dest = database.backup(rt().target(), file, overwrite=force)
    rt().message(_("Backed up to {path}.").format(path=dest))


@app.command("restore", help=_("Replace the SQLite database with a backup FILE. The current file is kept "
                               "beside it as *.before-restore-TIME. Needs --yes without a terminal."))
def restore(file: str = typer.Argument(..., metavar="FILE")) -> None:
    from crmcli.services import database

    r = rt()
    target = r.target()
    if target.dialect != "sqlite":
        database.restore(target, file)  # refuses with the pg_restore hint before asking anything
    path = target.sqlite_path
    if path is not None and path.exists():
        _require_admin()
    if not r.confirm(_("Replace {where} with {file}?").format(where=target.display(), file=file)):
        raise typer.Exit(1)
    dest, safety = database.restore(target, file)
    if safety:
        r.message(_("The previous database is kept at {path}.").format(path=safety))
    r.message(_("Restored {path} from {file}.").format(path=dest, file=file))
