"""``crm remind``: deliver every reminder whose time has come, exactly once, for cron.

Where reminders come from is a list of **sources** (:func:`register_source`): this area
registers tasks (``remind_at``, to the assignee), events (``remind_at``, to every participant)
and follow-ups (a lead's, customer's, contact's … next contact time, to its owner, unless a
follow-up task already carries it); contracts add receivable plans the same way.  A source
returns :class:`Due` reminders in a window (the last ``since``, 7 days by default, up to now)
that have not been sent.

Delivery is claim, send, mark:

1. every due reminder is **claimed** in one transaction: a ``reminder`` row is inserted if
   missing (unique on source, record, user, time) and then taken by a conditional
   ``UPDATE … WHERE sent_at IS NULL AND (claim IS NULL OR the claim is stale)``; a reminder
   another run holds is skipped.  The claim commits before anything is sent.
2. each claimed reminder is sent: by email when ``smtp.host`` is set and the user has an
   address, else to stdout (the caller prints them).
3. sent reminders are **marked** (``sent_at``); one that could not be sent is **released**
   (claim cleared, ``attempts`` + 1, ``last_error``) and is retried by the next run.

So running twice sends nothing twice, and two overlapping runs split the work.
"""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session

from crmcli import clock, settings
from crmcli.errors import CrmError
from crmcli.i18n import _
from crmcli.services.access import Actor, owner_in_scope_clause
from crmcli.store.models import User
from crmcli.store.models.schedule import Event, EventAttendee, Reminder, Task

STALE_CLAIM = timedelta(minutes=10)  # a claim older than this (its run died) may be taken again
DEFAULT_SINCE = timedelta(days=7)


@dataclass
class Due:
    source: str  # task | event | followup:lead | … | receivable
    record_id: int
    user_id: int
    remind_at: datetime
    title: str
    when: datetime | None = None  # the due time, the start, the next contact …
    ref: str = ""  # task:12, event:3, customer:7 …
    detail: str | None = None
    login: str | None = None
    email: str | None = None
    zone: str | None = None  # the user's time zone (emails show times in it)
    channel: str | None = None  # stdout | email, once delivered

    def row(self) -> dict[str, Any]:
        return {"source": self.source, "ref": self.ref, "record_id": self.record_id, "user": self.login,
                "email": self.email, "remind_at": self.remind_at, "when": self.when, "title": self.title,
                "detail": self.detail, "channel": self.channel}


Fetch = Callable[[Session, Actor, datetime, datetime], list[Due]]
SOURCES: dict[str, Fetch] = {}


def register_source(name: str, fetch: Fetch) -> None:
    """``fetch(session, actor, since, now)``: reminders with since < remind time <= now for users in the actor's scope."""
    SOURCES[name] = fetch


def not_sent(source: Any, record_id: Any, user_id: Any, remind_at: Any) -> Any:
    """SQL: no sent reminder row for this source, record, user and time (sources add it to their query)."""
    return ~exists().where(Reminder.source == source, Reminder.record_id == record_id, Reminder.user_id == user_id,
                           Reminder.remind_at == remind_at, Reminder.sent_at.is_not(None))


def _tasks(session: Session, actor: Actor, since: datetime, now: datetime) -> list[Due]:
    rows = session.execute(select(Task).where(
        Task.remind_at > since, Task.remind_at <= now, Task.status == "open",
        or_(Task.snoozed_until.is_(None), Task.snoozed_until <= now),
        owner_in_scope_clause(actor, Task.assignee_id),
        not_sent("task", Task.id, Task.assignee_id, Task.remind_at))).scalars()
    return [Due("task", t.id, t.assignee_id, t.remind_at, t.title, t.due_at, f"task:{t.id}") for t in rows]


def _events(session: Session, actor: Actor, since: datetime, now: datetime) -> list[Due]:
    rows = session.execute(select(Event, EventAttendee.user_id).join(
        EventAttendee, EventAttendee.event_id == Event.id).where(
        Event.remind_at > since, Event.remind_at <= now, Event.status == "scheduled",
        owner_in_scope_clause(actor, EventAttendee.user_id),
        not_sent("event", Event.id, EventAttendee.user_id, Event.remind_at))).all()
    return [Due("event", e.id, user_id, e.remind_at, e.title, e.start_at, f"event:{e.id}", e.location)
            for e, user_id in rows]


def _followups(session: Session, actor: Actor, since: datetime, now: datetime) -> list[Due]:
    from crmcli.services.today import followup_filter, followup_kinds, without_tasks

    found: list[Due] = []
    for kind in followup_kinds():
        model, owner = kind.model, kind.owner_column()
        source = f"followup:{kind.name}"
        for record in without_tasks(session, kind, list(session.execute(select(model).where(
                model.next_contact_at > since, model.next_contact_at <= now, owner.is_not(None),
                owner_in_scope_clause(actor, owner), followup_filter(kind),
                not_sent(source, model.id, owner, model.next_contact_at))).scalars())):
            found.append(Due(source, record.id, getattr(record, kind.owner_attr), record.next_contact_at,
                             _("Contact {label}").format(label=kind.label(record)), record.next_contact_at,
                             f"{kind.name}:{record.id}"))
    return found


register_source("task", _tasks)
register_source("event", _events)
register_source("followup", _followups)


def pending(session: Session, actor: Actor, now: datetime | None = None,
            since: timedelta = DEFAULT_SINCE) -> list[Due]:
    """Every reminder whose time has come and that was not sent, oldest first (with its user's login and email)."""
    from crmcli.services.kinds import load_all

    load_all()
    now = now or clock.now()
    found: list[Due] = []
    for fetch in SOURCES.values():
        found += fetch(session, actor, now - since, now)
    people = {u.id: u for u in session.execute(select(User).where(
        User.id.in_(sorted({d.user_id for d in found})))).scalars()} if found else {}
    kept = []
    for due in found:
        user = people.get(due.user_id)
        if user is None or user.disabled:
            continue
        due.login, due.email, due.zone = user.login, user.email, user.timezone
        kept.append(due)
    return sorted(kept, key=lambda d: (d.remind_at, d.source, d.record_id, d.user_id))


def _key(due: Due) -> Any:
    return and_(Reminder.source == due.source, Reminder.record_id == due.record_id, Reminder.user_id == due.user_id,
                Reminder.remind_at == due.remind_at)


def claim(session: Session, due: Due, token: str, now: datetime) -> bool:
    """Take one reminder for this run (a conditional UPDATE); False when it is sent or another run holds it."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(insert(Reminder).values(source=due.source, record_id=due.record_id, user_id=due.user_id,
                                            remind_at=due.remind_at, attempts=0).on_conflict_do_nothing())
    taken = session.execute(update(Reminder).where(
        _key(due), Reminder.sent_at.is_(None),
        or_(Reminder.claim.is_(None), Reminder.claimed_at < now - STALE_CLAIM)).values(claim=token, claimed_at=now))
    return taken.rowcount == 1


def mark_sent(session: Session, due: Due, token: str, now: datetime) -> None:
    session.execute(update(Reminder).where(_key(due), Reminder.claim == token).values(
        sent_at=now, channel=due.channel, attempts=Reminder.attempts + 1, last_error=None))


def release(session: Session, due: Due, token: str, error: str) -> None:
    session.execute(update(Reminder).where(_key(due), Reminder.claim == token).values(
        claim=None, claimed_at=None, attempts=Reminder.attempts + 1, last_error=error[:500]))


# --- delivery ----------------------------------------------------------------------------------


@dataclass
class SmtpConfig:
    host: str
    port: int
    user: str | None
    password: str | None
    sender: str
    tls: str

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def smtp_config() -> SmtpConfig | None:
    import os

    host = settings.get("smtp.host")
    if not host:
        return None
    tls = settings.get("smtp.tls") or "none"
    port = int(settings.get("smtp.port") or {"ssl": 465, "starttls": 587}.get(tls, 25))
    return SmtpConfig(host, port, settings.get("smtp.user"),
                      settings.get("smtp.password") or os.environ.get("CRM_SMTP_PASSWORD"),
                      settings.get("smtp.from") or "crm@localhost", tls)


def message(due: Due, config: SmtpConfig, tz: Any) -> Any:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = config.sender
    msg["To"] = due.email
    msg["Subject"] = _("[crm] Reminder: {title}").format(title=due.title)
    from crmcli.timezones import load_zone

    zone = load_zone(due.zone) if due.zone else tz
    when = due.when.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if due.when else ""
    lines = [due.title, ""]
    if when:
        lines.append(_("When: {when}").format(when=when))
    if due.detail:
        lines.append(due.detail)
    lines.append(_("Record: {ref}").format(ref=due.ref))
    msg.set_content("\n".join(lines) + "\n")
    msg["X-Crm-Reminder"] = f"{due.source}:{due.record_id}:{due.user_id}:{due.remind_at.isoformat()}"
    return msg


def _connect(config: SmtpConfig) -> Any:
    import smtplib

    if config.tls == "ssl":
        client = smtplib.SMTP_SSL(config.host, config.port, timeout=15)
    else:
        client = smtplib.SMTP(config.host, config.port, timeout=15)
        if config.tls == "starttls":
            client.starttls()
    if config.user:
        client.login(config.user, config.password or "")
    return client


@dataclass
class Report:
    delivered: list[Due] = field(default_factory=list)
    skipped: int = 0  # held by another run, or sent meanwhile
    failed: list[Due] = field(default_factory=list)
    error: str | None = None


Transaction = Callable[..., AbstractContextManager]


def run(transaction: Transaction, tz: Any, *, since: timedelta = DEFAULT_SINCE) -> Report:
    """Claim, send and mark every pending reminder (see the module's doc); each step its own transaction."""
    now = clock.now()
    with transaction(write=False) as (session, actor):
        due = pending(session, actor, now, since)
    report = Report()
    if not due:
        return report
    token = uuid.uuid4().hex
    with transaction() as (session, _actor):
        claimed = [d for d in due if claim(session, d, token, now)]
    report.skipped = len(due) - len(claimed)
    config = smtp_config()
    by_mail = [d for d in claimed if config is not None and d.email]
    for d in claimed:
        if not (config is not None and d.email):
            d.channel = "stdout"
            report.delivered.append(d)
    if by_mail:
        import smtplib

        try:
            client = _connect(config)
        except (OSError, smtplib.SMTPException) as exc:
            report.failed = by_mail
            report.error = _("cannot reach the SMTP server {where}: {error}").format(
                where=config.where, error=str(exc) or exc.__class__.__name__)
        else:
            try:
                for d in by_mail:
                    try:
                        client.send_message(message(d, config, tz))
                        d.channel = "email"
                        report.delivered.append(d)
                    except (OSError, smtplib.SMTPException) as exc:
                        report.failed.append(d)
                        report.error = _("the SMTP server {where} refused a reminder: {error}").format(
                            where=config.where, error=str(exc) or exc.__class__.__name__)
                        if isinstance(exc, smtplib.SMTPServerDisconnected) or not isinstance(exc, smtplib.SMTPException):
                            report.failed += [x for x in by_mail if x not in report.delivered and x not in report.failed]
                            break
            finally:
                try:
                    client.quit()
                except (OSError, smtplib.SMTPException):
                    pass
    with transaction() as (session, _actor):
        for d in report.delivered:
            mark_sent(session, d, token, now)
        for d in report.failed:
            release(session, d, token, report.error or "")
    report.delivered.sort(key=lambda d: (d.remind_at, d.source, d.record_id, d.user_id))
    return report


def raise_for(report: Report) -> None:
    if report.error:
        raise CrmError(report.error + " " + _("({n} reminders stay unsent and are retried by the next run)").format(
            n=len(report.failed)))
