"""What one CLI invocation knows: global options, the database, the actor, the output.

Commands ask the runtime for a transaction (``with rt.transaction() as (s, me)``)
and for the output writer; services never see it.  ``crm batch`` reuses one
process-wide engine across lines, which is what makes it fast.
"""

from __future__ import annotations

import getpass
import os
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import TYPE_CHECKING, Iterator

from crmcli import i18n, settings
from crmcli.errors import Conflict, CrmError
from crmcli.i18n import _

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    from crmcli.output import Output
    from crmcli.services.access import Actor
    from crmcli.store.engine import Target

_ready: set[str] = set()  # URLs whose schema revision was already checked in this process


@dataclass
class Runtime:
    db: str | None = None
    user: str | None = None
    fmt: str | None = None
    quiet: bool = False
    yes: bool = False
    no_input: bool = False
    command_line: str | None = None
    language_source: str = "os"
    actor: "Actor | None" = None
    _target: "Target | None" = field(default=None, repr=False)
    _tz: tzinfo | None = field(default=None, repr=False)

    # -- where and who ----------------------------------------------------------------

    def target(self) -> "Target":
        if self._target is None:
            from crmcli.store.engine import resolve

            self._target = resolve(self.db)
        return self._target

    def login(self) -> str:
        return self.user or os.environ.get("CRM_USER") or settings.get("user") or getpass.getuser()

    def engine(self) -> "Engine":
        from crmcli.store.engine import engine_for

        return engine_for(self.target())

    def ensure_ready(self) -> None:
        """Check once per process that the database exists and has this program's schema."""
        target = self.target()
        if target.url in _ready:
            return
        from sqlalchemy.exc import DBAPIError

        from crmcli.store import engine as store_engine

        path = target.sqlite_path
        if target.is_default and path is not None and not path.exists():
            from crmcli.services import database

            result = database.initialise(target, self.login())
            self.message(_("crm: created a new database at {path}; {login} is its administrator").format(
                path=path, login=result.admin_login))
        elif path is not None and not path.exists():
            store_engine.check_revision(None, target)  # "no crm database at …", without leaving an empty file behind
        try:
            with self.engine().connect() as conn:
                revision = store_engine.current_revision(conn)
        except DBAPIError as exc:
            raise store_engine.describe_connect_error(target, exc) from None
        store_engine.check_revision(revision, target)
        _ready.add(target.url)

    # -- transactions -----------------------------------------------------------------

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[tuple["Session", "Actor"]]:
        """One unit of work as the acting user; committed on success, rolled back on any error."""
        from sqlalchemy.exc import DBAPIError, IntegrityError
        from sqlalchemy.orm import Session

        from crmcli.services import audit
        from crmcli.services.access import load_actor

        self.ensure_ready()
        engine = self.engine()
        bind = engine.execution_options(crm_write=True) if write else engine
        token = audit.current_command.set(self.command_line)
        try:
            with Session(bind=bind, expire_on_commit=False, autoflush=True) as session:
                try:
                    actor = load_actor(session, self.login())
                    self._adopt(actor)
                    yield session, actor
                    if write:
                        session.commit()
                    # a read-only unit just closes: closing keeps loaded values readable, rollback would expire them
                except IntegrityError as exc:
                    session.rollback()
                    raise Conflict(_("the change conflicts with an existing record: {detail}").format(
                        detail=str(exc.orig).splitlines()[0])) from None
                except DBAPIError as exc:
                    session.rollback()
                    if exc.connection_invalidated or "connect" in str(exc.orig).lower():
                        raise _connect_error(self.target(), exc) from None
                    raise
                except BaseException:
                    session.rollback()
                    raise
        finally:
            audit.current_command.reset(token)

    def _adopt(self, actor: "Actor") -> None:
        self.actor = actor
        if self.language_source == "os" and actor.language:
            i18n.set_language(actor.language)
        self._tz = None

    # -- output -----------------------------------------------------------------------

    def timezone(self) -> tzinfo:
        if self._tz is None:
            from crmcli.timezones import load_zone, local_zone_name

            name = (self.actor.timezone if self.actor else None) or settings.get("timezone") or local_zone_name()
            self._tz = load_zone(name)
        return self._tz

    def output_format(self) -> str:
        from crmcli.output import stdout_is_terminal

        if self.fmt:
            return self.fmt
        if stdout_is_terminal():
            return settings.get("format") or "table"
        return "tsv"

    def out(self) -> "Output":
        from crmcli.output import Output

        return Output(self.output_format(), self.timezone(), self.quiet)

    def message(self, text: str) -> None:
        if not self.quiet:
            import sys

            sys.stderr.write(text + "\n")

    def confirm(self, question: str) -> bool:
        """Ask before destructive work; without a terminal, only ``--yes`` proceeds."""
        import sys

        if self.yes:
            return True
        if self.no_input or not sys.stdin.isatty():
            raise CrmError(_("{question} — refusing without a terminal").format(question=question),
                           hint=_("add --yes to confirm"))
        answer = input(f"{question} [y/N] ").strip().lower()
        return answer in ("y", "yes", "是", "好")


def _connect_error(target: "Target", exc: Exception) -> CrmError:
    from crmcli.store.engine import describe_connect_error

    return describe_connect_error(target, exc)


current: ContextVar[Runtime] = ContextVar("crm_runtime")


def get() -> Runtime:
    try:
        return current.get()
    except LookupError:
        rt = Runtime()
        current.set(rt)
        return rt
