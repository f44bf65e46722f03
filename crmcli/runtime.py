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
from typing import TYPE_CHECKING, Any, Iterator

from crmcli import i18n, settings
from crmcli.errors import Conflict, CrmError, ReadOnlySession
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
    # --read-only / CRM_READ_ONLY=1 (and `crm tui --readonly`): every transaction is read-only in the
    # database session itself, so any write, whoever attempts it, ends as ReadOnlySession (exit 4).
    read_only: bool = False
    # Set once a unit of this command line has committed (see mark_committed); the interrupt
    # handler reads it to say whether anything was written.
    committed: bool = False
    commit_note: str | None = None
    # Cron jobs (pool recycle, remind) set this: a unit that finds the database busy after
    # CRM_BUSY_TIMEOUT waits that long again, this many more times, before giving up (exit 5).
    busy_retries: int = 0
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
        if target.is_default and path is not None and not path.exists() and not self.read_only:
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
            raise store_engine.describe_db_error(target, exc) from None
        store_engine.check_revision(revision, target)
        _ready.add(target.url)

    # -- transactions -----------------------------------------------------------------

    def mark_committed(self, note: str | None = None) -> None:
        """Record that a unit of this command line has committed.

        ``transaction()`` calls it after every commit; code that commits on its own (a chunked
        import) calls it too, with a note the interrupt message shows instead of the generic one
        (e.g. "rows 1–50,000 were imported; crm lead import --resume continues").
        """
        self.committed = True
        if note is not None:
            self.commit_note = note

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[tuple["Session", "Actor"]]:
        """One unit of work as the acting user; committed on success, rolled back on any error.

        With ``read_only`` set the unit is read-only in the database itself (SQLite
        ``PRAGMA query_only``, PostgreSQL ``SET TRANSACTION READ ONLY``) and the session refuses
        to flush or execute an INSERT, UPDATE or DELETE, whoever asks: ``ReadOnlySession``.
        Driver errors leave as one line (``describe_db_error``): busy (exit 5), collided
        (exit 5), read-only (exit 4), or the driver's first line without SQL.
        """
        from sqlalchemy.exc import DBAPIError, IntegrityError
        from sqlalchemy.orm import Session

        from crmcli import interrupts
        from crmcli.services import audit
        from crmcli.services.access import load_actor
        from crmcli.store import engine as store_engine

        self.ensure_ready()
        engine = self.engine()
        if self.read_only:
            bind = engine.execution_options(crm_read_only=True)
        else:
            bind = engine.execution_options(crm_write=True) if write else engine
        token = audit.current_command.set(self.command_line)
        try:
            with Session(bind=bind, expire_on_commit=False, autoflush=True) as session:
                if self.read_only:
                    store_engine.guard_read_only(session, read_only_error)
                try:
                    actor = self._load_actor_patiently(session, load_actor)
                    self._adopt(actor)
                    yield session, actor
                    if write and self.read_only:
                        session.flush()  # pending changes meet the read-only guard rather than vanish unsaid
                    elif write:
                        with interrupts.deferred():  # Ctrl-C during the commit is acted on after it
                            session.commit()
                            self.mark_committed()
                    # a read-only unit just closes: closing keeps loaded values readable, rollback would expire them
                except IntegrityError as exc:
                    session.rollback()
                    if self.read_only and store_engine.is_read_only_error(exc):
                        raise read_only_error() from None
                    raise Conflict(_("the change conflicts with an existing record: {detail}").format(
                        detail=store_engine.driver_line(exc))) from None
                except DBAPIError as exc:
                    _rollback_quietly(session)
                    if self.read_only and store_engine.is_read_only_error(exc):
                        raise read_only_error() from None
                    raise store_engine.describe_db_error(self.target(), exc) from None
                except BaseException:
                    _rollback_quietly(session)
                    raise
        finally:
            audit.current_command.reset(token)

    def _load_actor_patiently(self, session: "Session", load_actor: Any) -> "Actor":
        """Load the actor, which begins the unit (SQLite: takes the write lock); retry when busy.

        Nothing of the unit has run yet when the lock cannot be had, so trying again is safe.
        """
        from crmcli.errors import Busy

        attempt = 0
        while True:
            try:
                return load_actor(session, self.login())
            except Busy:
                _rollback_quietly(session)
                attempt += 1
                if attempt > self.busy_retries:
                    raise
                self.message(_("crm: the database is still busy (another crm is writing); waiting again "
                               "({n} of {total})").format(n=attempt, total=self.busy_retries))

    def _adopt(self, actor: "Actor") -> None:
        self.actor = actor
        if self.language_source == "os" and actor.language:
            i18n.set_language(actor.language)
        self._tz = None

    # -- output -----------------------------------------------------------------------

    def timezone(self) -> tzinfo:
        if self._tz is None:
            if self.actor is not None:
                self._tz = self.actor.zone()  # the one rule: the user's zone, the config's, the machine's
            else:
                from crmcli.timezones import load_zone, local_zone_name

                self._tz = load_zone(settings.get("timezone") or local_zone_name())
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

            from crmcli.printable import clean  # messages quote names: never a terminal command

            sys.stderr.write(clean(text) + "\n")

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


def read_only_error() -> ReadOnlySession:
    return ReadOnlySession(_("this session is read-only; nothing was written"),
                           hint=_("run without --read-only (and without CRM_READ_ONLY=1) to make changes"))


def _rollback_quietly(session: "Session") -> None:
    """Roll back after an error; a second failure (the connection is gone) must not hide the first."""
    try:
        session.rollback()
    except Exception:  # noqa: BLE001 - the original error is the one to report
        pass


current: ContextVar[Runtime] = ContextVar("crm_runtime")


def get() -> Runtime:
    try:
        return current.get()
    except LookupError:
        rt = Runtime()
        current.set(rt)
        return rt
