"""``crm customer merge KEEP DROP``: fold a duplicate customer into the one that stays.

Everything of DROP moves onto KEEP: contacts (with their owner, when they followed
DROP's owner), follow-ups, tags, team members, leads converted into DROP, and
whatever later issues register (:func:`crmcli.services.customers.register_related`).
DROP's owner joins KEEP's team with write access, so nobody loses a customer they
worked.  DROP itself is kept, marked ``merged_into_id = KEEP``: it is no longer
listed, matched by dedupe or changed, and ``crm customer show DROP`` says where it
went.  Customers merged into DROP earlier now point at KEEP.

No field value is lost silently.  For each field, a value only DROP has fills
KEEP's empty one; values both have and that differ (phones and emails compared
by their normalised keys) are **conflicts**: the merge is
refused (exit 5) and lists them, unless ``prefer`` says which side wins.  The
losing values stay on DROP and go into the operation log (``discarded``).  A
status of ``new`` counts as empty; the follow-up and deal clocks take the later
time, and a customer is locked if either was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from crmcli import clock
from crmcli.errors import Conflict, ValidationError
from crmcli.i18n import N_, _
from crmcli.services import audit, customers, locking, records
from crmcli.services.access import Actor, require
from crmcli.services.normalise import default_region, email_key, phone_key
from crmcli.store.models import Contact, Customer, FollowUp, Lead, Tag, TeamMember

FIELDS = ("name", "kind", "industry", "tier", "status", "source", "address", "region", "phone", "email", "website",
          "credit_code", "next_contact_at")
PREFER = ("keep", "drop")
MOVED_LABELS = {"contacts": N_("contacts"), "followups": N_("follow-ups"), "leads": N_("leads"), "tags": N_("tags"),
                "team": N_("team members")}


@dataclass
class FieldConflict:
    field: str  # a built-in field, or custom.NAME
    keep: Any
    drop: Any


@dataclass
class MergeResult:
    keep: Customer
    drop: Customer
    conflicts: list[FieldConflict] = field(default_factory=list)
    filled: dict[str, Any] = field(default_factory=dict)  # values KEEP takes from DROP (empty on KEEP, or DROP won)
    moved: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False
    prefer: str | None = None

    def rows(self) -> list[dict[str, Any]]:
        """The plan as rows: field, KEEP's value, DROP's value, which side it takes (``?``: undecided)."""
        def mine(name: str) -> Any:
            if name.startswith("custom."):
                return (self.keep.custom or {}).get(name.removeprefix("custom."))
            return getattr(self.keep, name)

        rows = [{"field": c.field, "keep": c.keep, "drop": c.drop, "result": self.prefer or "?"} for c in self.conflicts]
        conflicting = {c.field for c in self.conflicts}
        rows += [{"field": name, "keep": mine(name), "drop": value, "result": "drop"}
                 for name, value in self.filled.items() if name not in conflicting]
        return rows


def _empty(name: str, value: Any) -> bool:
    return value is None or value == "" or (name == "status" and value == "new")


def _show(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def plan(keep: Customer, drop: Customer) -> tuple[dict[str, Any], list[FieldConflict]]:
    """Fields KEEP would take from DROP without a choice, and the conflicts that need one."""
    take: dict[str, Any] = {}
    conflicts: list[FieldConflict] = []
    same_key = {"phone": lambda v: phone_key(v, default_region()), "email": email_key}
    for name in FIELDS:
        mine, theirs = getattr(keep, name), getattr(drop, name)
        if _empty(name, theirs) or mine == theirs:
            continue
        if name in same_key and not _empty(name, mine) and same_key[name](mine) == same_key[name](theirs):
            continue  # the same number or address written another way: KEEP's spelling stays
        if _empty(name, mine):
            take[name] = theirs
        else:
            conflicts.append(FieldConflict(name, mine, theirs))
    mine_custom, theirs_custom = keep.custom or {}, drop.custom or {}
    for name, theirs in theirs_custom.items():
        mine = mine_custom.get(name)
        if theirs is None or mine == theirs:
            continue
        if mine is None:
            take[f"custom.{name}"] = theirs
        else:
            conflicts.append(FieldConflict(f"custom.{name}", mine, theirs))
    return take, conflicts


def _refusal(keep: Customer, drop: Customer, conflicts: list[FieldConflict]) -> Conflict:
    shown = "; ".join(f"{c.field}: '{_show(c.keep)}' / '{_show(c.drop)}'" for c in conflicts)
    return Conflict(_("customers {keep} and {drop} differ — {conflicts}").format(
        keep=keep.id, drop=drop.id, conflicts=shown),
        hint=_("--prefer keep or --prefer drop says whose values win; --dry-run shows the plan"))


def merge(session: Session, actor: Actor, keep_ref: Any, drop_ref: Any, *, prefer: str | None = None,
          dry_run: bool = False) -> MergeResult:
    require(actor, "customer.merge")
    if prefer is not None and prefer not in PREFER:
        raise ValidationError(_("--prefer takes keep or drop, not '{value}'").format(value=prefer))
    # both rows locked in id order (a merge of 3 into 7 and one of 7 into 3 queue, not deadlock)
    both = locking.lock_batch(session, [keep_ref, drop_ref], lambda ref: customers.get(session, actor, ref, "merge"))
    if len(both) == 1:
        raise ValidationError(_("a customer cannot be merged into itself"))
    keep, drop = both
    take, conflicts = plan(keep, drop)
    result = MergeResult(keep, drop, conflicts, dry_run=dry_run, prefer=prefer)
    if conflicts and prefer is None and not dry_run:
        raise _refusal(keep, drop, conflicts)
    if prefer == "drop":
        take.update({c.field: c.drop for c in conflicts})
    result.filled = dict(take)
    if dry_run:
        return result

    now = clock.now()
    before = audit.snapshot(keep, customers.LOGGED)
    custom = dict(keep.custom or {})
    for name, value in take.items():
        if name.startswith("custom."):
            custom[name.removeprefix("custom.")] = value
        else:
            setattr(keep, name, value)
    keep.custom = custom or None
    keep.locked = keep.locked or drop.locked
    if drop.deal_status != "none" and keep.deal_status == "none":
        keep.deal_status = drop.deal_status
    for clock_field in ("last_followup_at", "last_deal_at"):
        theirs = getattr(drop, clock_field)
        if theirs is not None and (getattr(keep, clock_field) is None or theirs > getattr(keep, clock_field)):
            setattr(keep, clock_field, theirs)
    customers._set_keys(keep)
    keep.updated_at = now
    result.moved = _move_everything(session, actor, keep, drop, now)
    drop.merged_into_id = keep.id
    drop.updated_at = now
    session.execute(update(Customer).where(Customer.merged_into_id == drop.id, Customer.id != drop.id)
                    .values(merged_into_id=keep.id).execution_options(synchronize_session="fetch"))

    changes = audit.diff(before, audit.snapshot(keep, customers.LOGGED))
    changes["merged"] = [None, drop.id]
    changes["moved"] = [None, {k: v for k, v in result.moved.items() if v}]
    if conflicts and prefer == "keep":
        changes["discarded"] = [{c.field: audit._plain(c.drop) for c in conflicts}, None]
    elif conflicts:
        changes["discarded"] = [{c.field: audit._plain(c.keep) for c in conflicts}, None]
    audit.record(session, actor, "customer.merge", "customer", keep.id, customers.label(keep), changes)
    audit.record(session, actor, "customer.merged", "customer", drop.id, customers.label(drop),
                 {"merged_into_id": [None, keep.id]})
    return result


def _move_everything(session: Session, actor: Actor, keep: Customer, drop: Customer, now: Any) -> dict[str, int]:
    moved: dict[str, int] = {}
    # contacts: to KEEP; those that followed DROP's owner now follow KEEP's; one primary at most
    contact_ids = list(session.execute(select(Contact.id).where(Contact.customer_id == drop.id)).scalars())
    if contact_ids:
        keep_has_primary = session.execute(select(Contact.id).where(
            Contact.customer_id == keep.id, Contact.is_primary.is_(True)).limit(1)).first() is not None
        if keep_has_primary:
            session.execute(update(Contact).where(Contact.id.in_(contact_ids)).values(is_primary=False)
                            .execution_options(synchronize_session="fetch"))
        if drop.owner_id != keep.owner_id:
            session.execute(update(Contact).where(Contact.id.in_(contact_ids), Contact.owner_id == drop.owner_id)
                            .values(owner_id=keep.owner_id).execution_options(synchronize_session="fetch"))
        session.execute(update(Contact).where(Contact.id.in_(contact_ids)).values(customer_id=keep.id, updated_at=now)
                        .execution_options(synchronize_session="fetch"))
    moved["contacts"] = len(contact_ids)
    moved["followups"] = session.execute(update(FollowUp).where(
        FollowUp.record_type == "customer", FollowUp.record_id == drop.id).values(record_id=keep.id)).rowcount
    moved["leads"] = session.execute(update(Lead).where(Lead.customer_id == drop.id).values(customer_id=keep.id)
                                     .execution_options(synchronize_session="fetch")).rowcount
    drop_tags = records.tags_of(session, "customer", drop.id)
    records.set_tags(session, "customer", keep.id, add=drop_tags)
    session.execute(delete(Tag).where(Tag.record_type == "customer", Tag.record_id == drop.id))
    moved["tags"] = len(drop_tags)
    # team: DROP's members and DROP's owner (write) join KEEP's team; the stronger access wins
    members = {m.user_id: m.access for m in session.execute(select(TeamMember).where(
        TeamMember.record_type == "customer", TeamMember.record_id == drop.id)).scalars()}
    if drop.owner_id is not None:
        members[drop.owner_id] = "write"
    session.execute(delete(TeamMember).where(TeamMember.record_type == "customer", TeamMember.record_id == drop.id))
    joined = 0
    for user_id, access in members.items():
        if user_id == keep.owner_id:
            continue
        current = session.get(TeamMember, ("customer", keep.id, user_id))
        if current is None:
            session.add(TeamMember(record_type="customer", record_id=keep.id, user_id=user_id, access=access,
                                   added_at=now))
            joined += 1
        elif access == "write" and current.access != "write":
            current.access = "write"
    moved["team"] = joined
    for name, related in customers.related_types().items():  # every area's records, not just those imported
        if related.merge is not None:
            moved[name] = related.merge(session, actor, drop.id, keep.id)
    session.flush()
    return moved
