"""Sales stages (商机阶段): ordered, each with a win probability; configured by administrators.

A new database (and one upgraded by migration 0004) has the default stages: new 10%,
needs confirmed 30%, proposal/quote 50%, negotiation/contract 80%, then the two closing
stages won 100% and lost 0%.  Open stages can be added, renamed, re-weighted, reordered and
retired; won and lost are fixed (they can only be renamed).  A retired stage takes no more
opportunities and is not offered by ``advance``, but the stage history that points at it stays.

Default stages carry a ``key`` and are shown translated while they keep their default name;
a stage a user adds (or renames) keeps the name as typed, Chinese or not.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crmcli import clock
from crmcli.errors import Conflict, NotFound, ValidationError
from crmcli.i18n import N_, _
from crmcli.services import audit
from crmcli.services.access import Actor, require
from crmcli.store.models.pipeline import Opportunity, Stage

# key, English name (shown translated), probability, kind
DEFAULT_STAGES: list[tuple[str, str, int, str]] = [
    ("new", N_("new"), 10, "open"),
    ("confirmed", N_("needs confirmed"), 30, "open"),
    ("proposal", N_("proposal/quote"), 50, "open"),
    ("negotiation", N_("negotiation/contract"), 80, "open"),
    ("won", N_("won"), 100, "won"),
    ("lost", N_("lost"), 0, "lost"),
]
DEFAULT_NAMES = {key: name for key, name, _p, _k in DEFAULT_STAGES}
KINDS = ("open", "won", "lost")
KIND_LABELS = {"open": N_("open"), "won": N_("won"), "lost": N_("lost")}
LOGGED = ("name", "probability", "position", "retired")


def display(stage: Stage) -> str:
    """The stage's name as shown: a default stage with its default name is translated."""
    if stage.key in DEFAULT_NAMES and stage.name == DEFAULT_NAMES[stage.key]:
        return _(stage.name)
    return stage.name


def seed(session: Session) -> None:
    """Insert the default stages into a database that has none (``crm init``)."""
    if session.execute(select(func.count()).select_from(Stage)).scalar_one():
        return
    now = clock.now()
    for position, (key, name, probability, kind) in enumerate(DEFAULT_STAGES, start=1):
        session.add(Stage(key=key, name=name, probability=probability, position=position, kind=kind,
                          created_at=now))
    session.flush()


def ordered(session: Session, include_retired: bool = False) -> list[Stage]:
    """Open stages in order, then won, then lost (retired ones only when asked)."""
    query = select(Stage)
    if not include_retired:
        query = query.where(Stage.retired.is_(False))
    found = list(session.execute(query).scalars())
    rank = {"open": 0, "won": 1, "lost": 2}
    return sorted(found, key=lambda s: (rank.get(s.kind, 0), s.position, s.id))


def by_id(session: Session) -> dict[int, Stage]:
    return {s.id: s for s in session.execute(select(Stage)).scalars()}


def find(session: Session, ref: Any) -> Stage:
    """A stage by id, key, stored name or shown (translated) name, case aside."""
    text = str(ref).strip()
    if not text:
        raise ValidationError(_("name a stage"))
    everything = ordered(session, include_retired=True)
    from crmcli import limits

    number = limits.as_id(text)
    if number is not None:
        for stage in everything:
            if stage.id == number:
                return stage
    wanted = text.casefold()
    matches = [s for s in everything if wanted in {(s.key or "").casefold(), s.name.casefold(),
                                                   display(s).casefold()}]
    if not matches and not text.isascii():
        from crmcli.i18n import load_catalog

        chinese = load_catalog("zh_CN")  # a default stage's Chinese name works in any language (需求确认)
        matches = [s for s in everything if s.key in DEFAULT_NAMES and s.name == DEFAULT_NAMES[s.key]
                   and chinese.get(s.name, "").casefold() == wanted]
    active = [s for s in matches if not s.retired]
    if len(active) == 1 or (len(matches) == 1):
        return (active or matches)[0]
    if matches:
        raise ValidationError(_("'{ref}' could mean several stages").format(ref=text), hint=_("name it by id instead"))
    raise NotFound(_("no stage named '{ref}'").format(ref=text),
                   hint=_("crm stage list shows them"))


def check_probability(value: Any) -> int:
    try:
        number = int(str(value).strip().rstrip("%"))
    except (TypeError, ValueError):
        raise ValidationError(_("the probability must be a whole number from 0 to 100")) from None
    if not 0 <= number <= 100:
        raise ValidationError(_("the probability must be a whole number from 0 to 100"))
    return number


def _check_name(session: Session, name: str, exclude: int | None = None) -> str:
    value = (name or "").strip()
    if not value:
        raise ValidationError(_("a stage needs a name"))
    if len(value) > 80:
        raise ValidationError(_("a stage name may be at most 80 characters"))
    for stage in ordered(session, include_retired=True):
        if stage.id != exclude and value.casefold() in {stage.name.casefold(), display(stage).casefold(),
                                                        (stage.key or "").casefold()}:
            raise Conflict(_("there is already a stage named '{name}' (id {id})").format(name=value, id=stage.id))
    return value


def _open_stages(session: Session) -> list[Stage]:
    return [s for s in ordered(session, include_retired=True) if s.kind == "open"]


def _renumber(stages: list[Stage]) -> None:
    for position, stage in enumerate(stages, start=1):
        stage.position = position


def add(session: Session, actor: Actor, name: str, probability: Any, *, position: int | None = None) -> Stage:
    """Add an open stage, at ``position`` among the open stages (1 = first; default: last)."""
    require(actor, "stage.admin")
    value = _check_name(session, name)
    chance = check_probability(probability)
    stages = _open_stages(session)
    if position is not None and not 1 <= position <= len(stages) + 1:
        raise ValidationError(_("--position must be between 1 and {max}").format(max=len(stages) + 1))
    stage = Stage(name=value, probability=chance, kind="open", created_at=clock.now())
    session.add(stage)
    stages.insert((position or len(stages) + 1) - 1, stage)
    _renumber(stages)
    session.flush()
    audit.record(session, actor, "stage.add", "stage", stage.id, stage.name,
                 audit.created({"name": value, "probability": chance, "position": stage.position}))
    return stage


def edit(session: Session, actor: Actor, ref: Any, *, name: str | None = None, probability: Any = None) -> Stage:
    require(actor, "stage.admin")
    stage = find(session, ref)
    before = audit.snapshot(stage, LOGGED)
    if name is not None:
        stage.name = _check_name(session, name, exclude=stage.id)
    if probability is not None:
        chance = check_probability(probability)
        if stage.kind != "open" and chance != stage.probability:
            raise ValidationError(_("the probability of the {stage} stage is fixed at {p}%").format(
                stage=display(stage), p=stage.probability))
        stage.probability = chance
    changes = audit.diff(before, audit.snapshot(stage, LOGGED))
    if changes:
        audit.record(session, actor, "stage.edit", "stage", stage.id, stage.name, changes)
    return stage


def reorder(session: Session, actor: Actor, ref: Any, position: int) -> Stage:
    """Move an open stage to ``position`` among the open stages (won and lost stay last)."""
    require(actor, "stage.admin")
    stage = find(session, ref)
    if stage.kind != "open":
        raise ValidationError(_("the {stage} stage closes an opportunity and stays last").format(stage=display(stage)))
    stages = _open_stages(session)
    if not 1 <= position <= len(stages):
        raise ValidationError(_("--position must be between 1 and {max}").format(max=len(stages)))
    before = [s.id for s in stages]
    stages.remove(stage)
    stages.insert(position - 1, stage)
    _renumber(stages)
    after = [s.id for s in stages]
    if before != after:
        audit.record(session, actor, "stage.reorder", "stage", stage.id, stage.name, {"order": [before, after]})
    return stage


def retire(session: Session, actor: Actor, ref: Any, *, restore: bool = False) -> Stage:
    """Retire a stage (no new opportunities in it; its history stays), or bring it back."""
    require(actor, "stage.admin")
    stage = find(session, ref)
    if stage.kind != "open":
        raise ValidationError(_("the {stage} stage cannot be retired").format(stage=display(stage)))
    if stage.retired != restore:
        state = _("retired") if stage.retired else _("in use")
        raise Conflict(_("stage {stage} is already {state}").format(stage=display(stage), state=state))
    if not restore:
        waiting = session.execute(select(func.count()).select_from(Opportunity).where(
            Opportunity.stage_id == stage.id, Opportunity.status == "open")).scalar_one()
        if waiting:
            raise Conflict(_("{n} open opportunities are in stage {stage}").format(n=waiting, stage=display(stage)),
                           hint=_("move them on first: crm opp list --stage {ref} --format ids").format(
                               ref=stage.key or stage.id))
        if len([s for s in _open_stages(session) if not s.retired]) <= 1:
            raise ValidationError(_("the last open stage cannot be retired"))
    stage.retired = not restore
    audit.record(session, actor, "stage.restore" if restore else "stage.retire", "stage", stage.id, stage.name,
                 {"retired": [restore, not restore]})
    return stage


def closing(session: Session, kind: str) -> Stage:
    """The won or the lost stage."""
    stage = session.execute(select(Stage).where(Stage.kind == kind).order_by(Stage.id)).scalars().first()
    if stage is None:
        raise NotFound(_("there is no {kind} stage").format(kind=kind))
    return stage


def first_open(session: Session) -> Stage:
    stages = [s for s in ordered(session) if s.kind == "open"]
    if not stages:
        raise NotFound(_("there is no open stage"), hint=_("crm stage add NAME --probability 10"))
    return stages[0]
