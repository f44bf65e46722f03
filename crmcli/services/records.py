"""What every owned record type shares: finding it within scope, tags, follow-ups, timeline.

Leads, customers and contacts (and later opportunities and contracts) call
these instead of writing their own, so "not found", tagging and the
follow-up clock behave the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crmcli import clock
from crmcli.errors import NotFound, ValidationError
from crmcli.i18n import N_, _
from crmcli.services import audit
from crmcli.services.access import Actor, Kind, can_change, can_see, check_record, require
from crmcli.store.models import AuditLog, FollowUp, Tag, User

VIA = ("phone", "email", "visit", "sms", "wechat", "other")
VIA_LABELS = {"phone": N_("phone"), "email": N_("email"), "visit": N_("visit"), "sms": N_("SMS"),
              "wechat": N_("WeChat"), "other": N_("other")}


def get(session: Session, actor: Actor, kind: Kind, ref: Any, verb: str = "view",
        by_name: Any = None) -> Any:
    """A record by id (or by unambiguous name through ``by_name``), within the actor's scope."""
    from crmcli import limits

    text = str(ref).strip().lstrip("#")
    number = limits.as_id(text)
    record = session.get(kind.model, number) if number is not None else None
    if record is None and by_name is not None and not text.isdigit():
        from crmcli.services.access import visible_clause

        matches = list(session.execute(select(kind.model).where(
            by_name(text), visible_clause(actor, kind)).limit(6)).scalars())
        if len(matches) > 1:
            shown = "; ".join(f"#{m.id} {kind.label(m)}" for m in matches[:5])
            raise ValidationError(
                _("'{ref}' could mean several {noun} records: {candidates}").format(
                    ref=text, noun=kind.name, candidates=shown),
                hint=_("name it by id instead"))
        record = matches[0] if matches else None
    from crmcli.services import locking

    record = locking.hold(session, record)  # a write locks the row first, so the checks below see it as written
    if record is None or not can_see(session, actor, kind, record):
        # the same words whether it is missing or outside the actor's scope, so its existence does not leak
        raise NotFound(_("no {kind} {ref}").format(kind=kind.name, ref=ref))
    return check_record(session, actor, kind, record, verb)


# --- tags ------------------------------------------------------------------------------


def clean_tags(tags: list[str] | None) -> list[str]:
    found: list[str] = []
    for value in tags or []:
        for tag in value.split(","):
            tag = tag.strip()
            if tag and tag not in found:
                if len(tag) > 64:
                    raise ValidationError(_("a tag may be at most 64 characters: {tag}").format(tag=tag))
                found.append(tag)
    return found


def tags_of(session: Session, record_type: str, record_id: int) -> list[str]:
    return sorted(session.execute(select(Tag.tag).where(
        Tag.record_type == record_type, Tag.record_id == record_id)).scalars())


def tags_for(session: Session, record_type: str, ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start:chunk_start + 500]
        for record_id, tag in session.execute(select(Tag.record_id, Tag.tag).where(
                Tag.record_type == record_type, Tag.record_id.in_(chunk)).order_by(Tag.tag)):
            found.setdefault(record_id, []).append(tag)
    return found


def set_tags(session: Session, record_type: str, record_id: int, add: list[str] | None = None,
             remove: list[str] | None = None, replace: list[str] | None = None) -> tuple[list[str], list[str]]:
    """Change a record's tags; returns (before, after)."""
    before = tags_of(session, record_type, record_id)
    after = list(before)
    if replace is not None:
        after = clean_tags(replace)
    for tag in clean_tags(add):
        if tag not in after:
            after.append(tag)
    for tag in clean_tags(remove):
        if tag in after:
            after.remove(tag)
    after = sorted(after)
    if after != before:
        session.execute(delete(Tag).where(Tag.record_type == record_type, Tag.record_id == record_id,
                                          Tag.tag.in_(set(before) - set(after))))
        for tag in set(after) - set(before):
            session.add(Tag(record_type=record_type, record_id=record_id, tag=tag))
    return before, after


# --- follow-ups ------------------------------------------------------------------------


def check_via(via: str) -> str:
    value = (via or "").strip().lower()
    if value not in VIA:
        raise ValidationError(_("unknown follow-up method '{via}'").format(via=via),
                              hint=_("one of: {choices}").format(choices=", ".join(VIA)))
    return value


def follow(session: Session, actor: Actor, kind: Kind, record: Any, via: str, note: str,
           at: datetime | None = None, next_contact: datetime | None = None,
           status: str | None = None) -> FollowUp:
    """Log a follow-up (跟进记录); it moves the record's follow-up clock and next-contact time.

    The next contact time is the author's to-do: ``crm today`` and ``--next-contact`` filters read it.
    ``status``, when given, is the record's new lifecycle status (a first follow-up moves a new lead
    on); it is set and logged in the follow-up's one operation-log row.
    """
    require(actor, "followup.create")
    if not can_change(session, actor, kind, record):
        from crmcli.errors import PermissionDenied

        raise PermissionDenied(_("{login} may see but not follow up {kind} {label}").format(
            login=actor.login, kind=kind.name, label=kind.label(record)))
    via = check_via(via)
    note = (note or "").strip()
    if not note:
        raise ValidationError(_("a follow-up needs a note"), hint=_("add --note 'what was said'"))
    now = clock.now()
    at = at or now
    if at > now:
        raise ValidationError(_("a follow-up cannot be in the future"), hint=_("use --next for the next contact"))
    if next_contact is not None and next_contact <= at:
        raise ValidationError(_("the next contact must be after the follow-up"))
    entry = FollowUp(record_type=kind.name, record_id=record.id, via=via, content=note, at=at,
                     author_id=actor.id, next_contact_at=next_contact, created_at=now)
    session.add(entry)
    if record.last_followup_at is None or at >= record.last_followup_at:
        record.last_followup_at = at
    if next_contact is not None:
        record.next_contact_at = next_contact
    elif record.next_contact_at is not None and record.next_contact_at <= now:
        record.next_contact_at = None  # the due contact happened
    changes = audit.created({"via": via, "note": note[:200], "at": at, "next_contact_at": next_contact})
    if status is not None and status != record.status:
        changes["status"] = [record.status, status]
        record.status = status
    if hasattr(record, "updated_at"):
        record.updated_at = now
    session.flush()
    audit.record(session, actor, "followup.add", kind.name, record.id, kind.label(record), changes)
    from crmcli.services import tasks  # the next contact becomes a task for the author, linked to the record

    tasks.for_followup(session, actor, kind, record, entry)
    return entry


@dataclass
class TimelineEntry:
    at: datetime
    what: str  # followup | change
    who: str
    summary: str
    detail: Any = None


def timeline(session: Session, record_type: str, record_id: int, limit: int = 50) -> list[TimelineEntry]:
    """Follow-ups and logged changes of one record, newest first."""
    logins = dict(session.execute(select(User.id, User.login)).all())
    entries = [
        TimelineEntry(f.at, "followup", logins.get(f.author_id, "?"),
                      f"[{_(VIA_LABELS[f.via])}] {f.content}",
                      {"next_contact_at": f.next_contact_at})
        for f in session.execute(select(FollowUp).where(
            FollowUp.record_type == record_type, FollowUp.record_id == record_id)
            .order_by(FollowUp.at.desc()).limit(limit)).scalars()
    ]
    entries += [
        TimelineEntry(a.at, "change", a.actor_login, a.action, a.changes)
        for a in session.execute(select(AuditLog).where(
            AuditLog.record_type == record_type, AuditLog.record_id == record_id,
            AuditLog.action != "followup.add").order_by(AuditLog.id.desc()).limit(limit)).scalars()
    ]
    return sorted(entries, key=lambda e: e.at, reverse=True)[:limit]
