"""Pools (公海 and 线索池): the pools themselves, their members and administrators, and their rules.

* A **customer pool** holds customers nobody owns.  There is one default pool (``Public pool`` /
  公海, made by ``crm init`` and by migration 0003) and any number of others, e.g. one per
  department: a pool with a department is the *home pool* of customers owned by that department's
  people (and those below it), which is where recycling sends them; every other customer's home
  is the default pool.  A customer that came from a pool keeps that pool as its home
  (``customer.pool_id``).
* The **lead pool** (``Lead pool`` / 线索池) holds leads without an owner; one per database.
* **Members** may see a pool and claim from it; **administrators** may also assign from it and
  change its members and rules.  A member is a user or a department (with the departments below
  it); ``everyone`` makes every user a member.  Administration is **per pool and per scope**:
  super administrators and holders of ``pool.admin`` with a company-wide scope administer every
  pool; a holder of ``pool.admin`` with a narrower scope administers the pools of the departments
  their scope covers (not the department-less default pool, which is the whole company's), and
  anyone listed as a pool's administrator administers that pool.  What an administrator does to
  owned customers (simulate, recycle) reaches only customers whose owners their scope covers.
* **Rules** (``pool_rule``): one row per pool (tier ``*``) and per-tier overrides whose unset
  values inherit.  :data:`RULE_KEYS` lists them; days of 0 mean "off".

The moves (claim, assign, return) are in :mod:`crmcli.services.pool_moves`, the clock and the rule
evaluation in :mod:`crmcli.services.pool_rules`, the cron job in :mod:`crmcli.services.recycle`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields as dc_fields
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crmcli import clock
from crmcli.errors import Conflict, PermissionDenied, ValidationError
from crmcli.i18n import N_, _
from crmcli.services import audit, departments, lookup, users
from crmcli.services.access import Actor, require
from crmcli.services.records import VIA
from crmcli.store.models import Department, User
from crmcli.store.models.pool import Pool, PoolMember, PoolRule

KINDS = ("customer", "lead")
KIND_LABELS = {"customer": N_("customers"), "lead": N_("leads")}
ROLES = ("member", "admin")
ROLE_LABELS = {"member": N_("member"), "admin": N_("administrator")}
DEFAULT_NAME = {"en": "Public pool", "zh_CN": "公海"}
LEAD_NAME = {"en": "Lead pool", "zh_CN": "线索池"}

# The recycling rule of a tier (may be overridden per tier) and the claim limits (per pool).
RECYCLE_KEYS = ("followup_days", "followup_via", "min_note", "deal_days", "exempt_locked", "exempt_deal", "warn_days")
LIMIT_KEYS = ("max_owned", "max_claims_per_day", "reclaim_days")
RULE_KEYS = RECYCLE_KEYS + LIMIT_KEYS
RULE_LABELS = {
    "followup_days": N_("recycle after this many days without a qualifying follow-up (0: off)"),
    "followup_via": N_("follow-up methods that count"),
    "min_note": N_("a follow-up note shorter than this many characters does not count"),
    "deal_days": N_("recycle after this many days without a deal (0: off)"),
    "exempt_locked": N_("locked customers are never recycled"),
    "exempt_deal": N_("customers with a deal are never recycled"),
    "warn_days": N_("warn the owner this many days before"),
    "max_owned": N_("the most customers a user may own (0: no limit)"),
    "max_claims_per_day": N_("the most claims per user per day (0: no limit)"),
    "reclaim_days": N_("days before a previous owner may claim the same record again (0: at once)"),
}
DEFAULT_RULE: dict[str, Any] = dict(followup_days=30, followup_via="phone,email,visit,sms,wechat", min_note=6,
                                    deal_days=90, exempt_locked=True, exempt_deal=False, warn_days=3, max_owned=0,
                                    max_claims_per_day=0, reclaim_days=7)
LEAD_RULE: dict[str, Any] = dict(DEFAULT_RULE, followup_days=0, deal_days=0, warn_days=0)
MAX_DAYS = 3650  # ten years: anything longer is a typo
_LIMITS = {"followup_days": MAX_DAYS, "deal_days": MAX_DAYS, "reclaim_days": MAX_DAYS, "warn_days": 365,
           "min_note": 1000, "max_owned": 1_000_000, "max_claims_per_day": 100_000}
_TRUE = ("yes", "y", "true", "on", "1", "是")
_FALSE = ("no", "n", "false", "off", "0", "否")


@dataclass(frozen=True)
class Rule:
    """A pool's effective rule for one tier (overrides applied)."""

    followup_days: int
    followup_via: tuple[str, ...]
    min_note: int
    deal_days: int
    exempt_locked: bool
    exempt_deal: bool
    warn_days: int
    max_owned: int = 0
    max_claims_per_day: int = 0
    reclaim_days: int = 0

    @classmethod
    def of(cls, values: dict[str, Any]) -> "Rule":
        data = dict(values)
        via = data.get("followup_via") or ""
        data["followup_via"] = tuple(v for v in VIA if v in via.split(",")) if isinstance(via, str) else tuple(via)
        return cls(**{f.name: data[f.name] for f in dc_fields(cls)})

    def values(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in dc_fields(self)}
        data["followup_via"] = ",".join(self.followup_via)
        return data


# --- seeding -----------------------------------------------------------------------------------


def seed_defaults(session: Session) -> None:
    """The default customer pool and the lead pool with the default rules (``crm init``); idempotent."""
    from crmcli.i18n import current_language

    lang = current_language()
    now = clock.now()
    for kind, names, rule in (("customer", DEFAULT_NAME, DEFAULT_RULE), ("lead", LEAD_NAME, LEAD_RULE)):
        if session.execute(select(Pool.id).where(Pool.kind == kind, Pool.is_default.is_(True))).first():
            continue
        pool = Pool(name=names.get(lang, names["en"]), kind=kind, is_default=True, everyone=True, created_at=now)
        session.add(pool)
        session.flush()
        session.add(PoolRule(pool_id=pool.id, tier="*", **rule))
    session.flush()


# --- finding pools -------------------------------------------------------------------------------


def find(session: Session, ref: str, kind: str | None = None) -> Pool:
    pool = lookup.one(ref, _("pool"), by_id=lambda i: session.get(Pool, i),
                      by_name=lambda t: list(session.execute(select(Pool).where(
                          func.lower(Pool.name) == t.strip().lower())).scalars()),
                      describe=lambda p: f"#{p.id} {p.name}")
    if kind is not None and pool.kind != kind:
        if kind == "lead":
            raise ValidationError(_("pool {name} holds customers, not leads").format(name=pool.name))
        raise ValidationError(_("pool {name} holds leads, not customers").format(name=pool.name))
    return pool


def default_pool(session: Session, kind: str = "customer") -> Pool:
    pool = session.execute(select(Pool).where(Pool.kind == kind, Pool.is_default.is_(True))
                           .order_by(Pool.id)).scalars().first()
    if pool is None:  # a database made before pools existed and not migrated through 0003 cannot happen;
        seed_defaults(session)  # but a hand-emptied table should not break every pool command
        return default_pool(session, kind)
    return pool


def all_pools(session: Session, kind: str | None = None) -> list[Pool]:
    query = select(Pool).order_by(Pool.kind, Pool.is_default.desc(), Pool.name)
    if kind:
        query = query.where(Pool.kind == kind)
    return list(session.execute(query).scalars())


# --- membership ----------------------------------------------------------------------------------


def _ancestors(session: Session, dept_id: int | None) -> list[int]:
    parents = dict(session.execute(select(Department.id, Department.parent_id)).all())
    found: list[int] = []
    while dept_id is not None and dept_id not in found:
        found.append(dept_id)
        dept_id = parents.get(dept_id)
    return found


def _listed_role(session: Session, pool: Pool, user_id: int, dept_id: int | None) -> str | None:
    """The strongest role a user has on a pool through its member list (as a user or by department)."""
    chain = _ancestors(session, dept_id)
    roles = set(session.execute(select(PoolMember.role).where(PoolMember.pool_id == pool.id, (
        ((PoolMember.member_type == "user") & (PoolMember.member_id == user_id))
        | ((PoolMember.member_type == "dept") & PoolMember.member_id.in_(chain or [-1]))))).scalars())
    return "admin" if "admin" in roles else ("member" if roles else None)


def administers_department(actor: Actor, dept_id: int | None) -> bool:
    """Whether ``pool.admin`` makes the actor administrator of a pool of this department (None: no department).

    A pool without a department (the public pool) is the whole company's: only a company-wide scope covers it.
    """
    if actor.is_super:
        return True
    if not actor.can("pool.admin"):
        return False
    if actor.scope_departments is None:
        return True
    return dept_id is not None and dept_id in actor.scope_departments


def is_admin(session: Session, actor: Actor, pool: Pool) -> bool:
    if administers_department(actor, pool.department_id):
        return True
    return _listed_role(session, pool, actor.id, actor.department_id) == "admin"


def _ensure_administers_department(session: Session, actor: Actor, dept_id: int | None) -> None:
    """A pool.admin may make or move a pool only into a department their scope covers."""
    if not administers_department(actor, dept_id):
        what = (_("department {dept}").format(dept=session.get(Department, dept_id).name) if dept_id is not None
                else _("the whole company (a pool without a department)"))
        raise PermissionDenied(_("{login} may administer pools only inside their data scope, not for {what}").format(
            login=actor.login, what=what), hint=_("give the pool a department your scope covers: --dept DEPT"))


def is_member(session: Session, actor: Actor, pool: Pool) -> bool:
    return pool.everyone or is_admin(session, actor, pool) or \
        _listed_role(session, pool, actor.id, actor.department_id) is not None


def user_is_member(session: Session, user: User, pool: Pool) -> bool:
    """Whether a user (not necessarily the actor) may hold records of this pool: a member or administrator."""
    if pool.everyone or _listed_role(session, pool, user.id, user.department_id) is not None:
        return True
    from crmcli.services.access import actor_for

    return is_admin(session, actor_for(session, user), pool)


def ensure_member(session: Session, actor: Actor, pool: Pool) -> None:
    if not is_member(session, actor, pool):
        raise PermissionDenied(_("{login} is not a member of pool {pool}").format(login=actor.login, pool=pool.name),
                               hint=_("a pool administrator can add you: crm pool members {id} --add {login}").format(
                                   id=pool.id, login=actor.login))


def ensure_admin(session: Session, actor: Actor, pool: Pool) -> None:
    if not is_admin(session, actor, pool):
        raise PermissionDenied(_("{login} is not an administrator of pool {pool}").format(
            login=actor.login, pool=pool.name),
            hint=_("ask an administrator of the pool: crm pool members {id}").format(id=pool.id))


def visible_pools(session: Session, actor: Actor, kind: str | None = None) -> list[Pool]:
    """The pools the actor may see (is a member or administrator of)."""
    require(actor, "pool.view")
    return [p for p in all_pools(session, kind) if is_member(session, actor, p)]


def home_pools(session: Session) -> dict[int, int]:
    """user id -> the department pool their customers belong to (nearest department up the tree)."""
    by_dept = dict(session.execute(select(Pool.department_id, Pool.id).where(
        Pool.kind == "customer", Pool.department_id.is_not(None)).order_by(Pool.id.desc())).all())
    if not by_dept:
        return {}
    parents = dict(session.execute(select(Department.id, Department.parent_id)).all())

    def pool_of(dept_id: int | None) -> int | None:
        seen: set[int] = set()
        while dept_id is not None and dept_id not in seen:
            if dept_id in by_dept:
                return by_dept[dept_id]
            seen.add(dept_id)
            dept_id = parents.get(dept_id)
        return None

    found: dict[int, int] = {}
    for user_id, dept_id in session.execute(select(User.id, User.department_id)).all():
        pool_id = pool_of(dept_id)
        if pool_id is not None:
            found[user_id] = pool_id
    return found


# --- pools: add, edit, list, show -----------------------------------------------------------------


def _check_name(session: Session, name: str, exclude: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("a pool needs a name"))
    if len(name) > 64:
        raise ValidationError(_("a pool name may be at most 64 characters"))
    if name.isdigit():
        raise ValidationError(_("a pool name may not be a number (numbers are pool ids)"))
    clash = session.execute(select(Pool.id).where(func.lower(Pool.name) == name.lower())).scalar()
    if clash is not None and clash != exclude:
        raise Conflict(_("a pool named '{name}' already exists (id {id})").format(name=name, id=clash))
    return name


def _check_department(session: Session, dept: str | None, exclude: int | None = None) -> int | None:
    if dept is None or dept.strip().lower() in ("", "none", "-"):
        return None
    found = departments.find(session, dept)
    clash = session.execute(select(Pool).where(Pool.department_id == found.id, Pool.kind == "customer")).scalars().first()
    if clash is not None and clash.id != exclude:
        raise Conflict(_("department {dept} already has pool {pool}").format(dept=found.name, pool=clash.name))
    return found.id


def add(session: Session, actor: Actor, name: str, *, dept: str | None = None, everyone: bool = False,
        description: str | None = None) -> Pool:
    """A new customer pool; its rule starts as a copy of the default pool's."""
    require(actor, "pool.admin")
    name = _check_name(session, name)
    dept_id = _check_department(session, dept)
    _ensure_administers_department(session, actor, dept_id)
    pool = Pool(name=name, kind="customer", is_default=False, everyone=everyone, department_id=dept_id,
                description=(description or "").strip() or None, created_at=clock.now())
    session.add(pool)
    session.flush()
    base = session.get(PoolRule, (default_pool(session).id, "*"))
    values = {k: getattr(base, k) for k in RULE_KEYS} if base else dict(DEFAULT_RULE)
    session.add(PoolRule(pool_id=pool.id, tier="*", **values))
    if dept_id is not None:  # a department's pool: its people (and those below) are members
        session.add(PoolMember(pool_id=pool.id, member_type="dept", member_id=dept_id, role="member",
                               added_at=pool.created_at))
    audit.record(session, actor, "pool.add", "pool", pool.id, pool.name,
                 audit.created({"name": pool.name, "department_id": dept_id, "everyone": everyone or None,
                                "description": pool.description, **values}))
    return pool


def edit(session: Session, actor: Actor, ref: str, *, name: str | None = None, dept: str | None = None,
         everyone: bool | None = None, description: str | None = None, make_default: bool = False) -> Pool:
    pool = find(session, ref)
    require(actor, "pool.admin")
    ensure_admin(session, actor, pool)
    before = audit.snapshot(pool, ("name", "department_id", "everyone", "description", "is_default"))
    if name is not None:
        pool.name = _check_name(session, name, exclude=pool.id)
    if dept is not None:
        if pool.kind == "lead":
            raise ValidationError(_("the lead pool has no department"))
        pool.department_id = _check_department(session, dept, exclude=pool.id)
        _ensure_administers_department(session, actor, pool.department_id)
    if everyone is not None:
        pool.everyone = everyone
    if description is not None:
        pool.description = description.strip() or None
    if make_default and not pool.is_default:
        _ensure_administers_department(session, actor, None)  # the default pool is the whole company's
        old = default_pool(session, pool.kind)
        old.is_default = False
        session.flush()
        pool.is_default = True
    changes = audit.diff(before, audit.snapshot(pool, ("name", "department_id", "everyone", "description",
                                                       "is_default")))
    if changes:
        audit.record(session, actor, "pool.edit", "pool", pool.id, pool.name, changes)
    return pool


@dataclass
class PoolRow:
    pool: Pool
    department: str | None
    records: int  # customers (or leads) in it now
    members: int
    admin: bool


def in_pool_clause(session: Session, pool: Pool) -> Any:
    """SQL: the record sits in this pool now (no owner, and this pool, or no pool and this is the default)."""
    from crmcli.store.models import Customer, Lead

    if pool.kind == "lead":
        return Lead.owner_id.is_(None) & Lead.status.not_in(("converted", "invalid"))
    here = Customer.pool_id == pool.id
    if pool.is_default:
        others = select(Pool.id).where(Pool.kind == "customer").scalar_subquery()
        here = here | Customer.pool_id.is_(None) | Customer.pool_id.not_in(others)
    return Customer.owner_id.is_(None) & Customer.merged_into_id.is_(None) & here


def count_in(session: Session, pool: Pool) -> int:
    from crmcli.store.models import Customer, Lead

    model = Lead if pool.kind == "lead" else Customer
    return session.execute(select(func.count()).select_from(model).where(in_pool_clause(session, pool))).scalar_one()


def listing(session: Session, actor: Actor) -> list[PoolRow]:
    rows = []
    for pool in visible_pools(session, actor):
        dept = session.get(Department, pool.department_id) if pool.department_id else None
        n_members = session.execute(select(func.count()).select_from(PoolMember).where(
            PoolMember.pool_id == pool.id)).scalar_one()
        rows.append(PoolRow(pool, departments.path_of(session, dept) if dept else None, count_in(session, pool),
                            n_members, is_admin(session, actor, pool)))
    return rows


def show(session: Session, actor: Actor, ref: str) -> PoolRow:
    require(actor, "pool.view")
    pool = find(session, ref)
    ensure_member(session, actor, pool)
    return next(r for r in listing(session, actor) if r.pool.id == pool.id)


# --- members -------------------------------------------------------------------------------------


@dataclass
class MemberRow:
    member_type: str  # user | dept
    name: str  # login or department path
    full_name: str | None
    role: str


def members(session: Session, actor: Actor, ref: str) -> tuple[Pool, list[MemberRow]]:
    require(actor, "pool.view")
    pool = find(session, ref)
    ensure_member(session, actor, pool)
    rows: list[MemberRow] = []
    for m in session.execute(select(PoolMember).where(PoolMember.pool_id == pool.id)).scalars():
        if m.member_type == "user":
            user = session.get(User, m.member_id)
            rows.append(MemberRow("user", user.login if user else str(m.member_id), user.name if user else None, m.role))
        else:
            dept = session.get(Department, m.member_id)
            rows.append(MemberRow("dept", departments.path_of(session, dept) if dept else str(m.member_id), None,
                                  m.role))
    rows.sort(key=lambda r: (r.member_type != "user", r.name))
    return pool, rows


def change_members(session: Session, actor: Actor, ref: str, *, add: list[str] = (), add_admins: list[str] = (),
                   add_depts: list[str] = (), remove: list[str] = (), remove_depts: list[str] = ()) -> Pool:
    """Add members (users or departments), administrators, or take them off (all-or-nothing)."""
    pool = find(session, ref)
    require(actor, "pool.admin")
    ensure_admin(session, actor, pool)
    now = clock.now()
    changes: dict[str, Any] = {}

    def put(member_type: str, member_id: int, role: str, label: str) -> None:
        row = session.get(PoolMember, (pool.id, member_type, member_id))
        before = row.role if row else None
        if before == role:
            return
        if row is None:
            session.add(PoolMember(pool_id=pool.id, member_type=member_type, member_id=member_id, role=role,
                                   added_at=now))
        else:
            row.role = role
        changes[f"{member_type}.{label}"] = [before, role]

    def drop(member_type: str, member_id: int, label: str) -> None:
        row = session.get(PoolMember, (pool.id, member_type, member_id))
        if row is None:
            raise ValidationError(_("{name} is not on the member list of pool {pool}").format(name=label, pool=pool.name))
        changes[f"{member_type}.{label}"] = [row.role, None]
        session.delete(row)

    for login in add:
        user = users.find_active(session, login)
        put("user", user.id, "member", user.login)
    for login in add_admins:
        user = users.find_active(session, login)
        put("user", user.id, "admin", user.login)
    for ref_dept in add_depts:
        dept = departments.find(session, ref_dept)
        put("dept", dept.id, "member", dept.name)
    for login in remove:
        user = users.find(session, login)
        drop("user", user.id, user.login)
    for ref_dept in remove_depts:
        dept = departments.find(session, ref_dept)
        drop("dept", dept.id, dept.name)
    if changes:
        session.flush()
        audit.record(session, actor, "pool.members", "pool", pool.id, pool.name, changes)
    return pool


# --- rules ---------------------------------------------------------------------------------------


def _rule_rows(session: Session, pool_ids: list[int] | None = None) -> list[PoolRule]:
    query = select(PoolRule)
    if pool_ids is not None:
        query = query.where(PoolRule.pool_id.in_(pool_ids or [-1]))
    return list(session.execute(query).scalars())


def rules_of(session: Session, pool_ids: list[int] | None = None,
             overrides: dict[str, Any] | None = None) -> dict[int, dict[str, Rule]]:
    """pool id -> {'*': the pool's rule, TIER: that tier's rule (overrides applied)}.

    ``overrides`` (``crm pool simulate --set``) replace the stored values everywhere.
    """
    rows = _rule_rows(session, pool_ids)
    base: dict[int, dict[str, Any]] = {}
    for row in rows:
        if row.tier == "*":
            base[row.pool_id] = {k: getattr(row, k) for k in RULE_KEYS}
    found: dict[int, dict[str, Rule]] = {}
    for pool_id, values in base.items():
        values = {k: (DEFAULT_RULE[k] if v is None else v) for k, v in values.items()}
        found[pool_id] = {"*": Rule.of({**values, **(overrides or {})})}
    for row in rows:
        if row.tier != "*" and row.pool_id in base:
            values = {k: (DEFAULT_RULE[k] if v is None else v) for k, v in base[row.pool_id].items()}
            values.update({k: getattr(row, k) for k in RECYCLE_KEYS if getattr(row, k) is not None})
            found[row.pool_id][row.tier] = Rule.of({**values, **(overrides or {})})
    return found


def parse_value(key: str, text: str, *, tier: bool = False) -> Any:
    """One rule value as typed (``30``, ``off``, ``yes``, ``phone,visit``); ``inherit`` (tiers): None."""
    if key not in RULE_KEYS:
        raise ValidationError(_("unknown rule '{key}'").format(key=key),
                              hint=_("one of: {choices}").format(choices=", ".join(RULE_KEYS)))
    value = str(text).strip().lower()
    if tier and value in ("inherit", "default"):
        return None
    if key == "followup_via":
        if value in ("any", "all", "*"):
            return ",".join(VIA)
        methods = [v.strip() for v in value.split(",") if v.strip()]
        unknown = [v for v in methods if v not in VIA]
        if unknown or not methods:
            raise ValidationError(_("unknown follow-up method '{via}'").format(via=", ".join(unknown) or text),
                                  hint=_("one or more of: {choices}").format(choices=", ".join(VIA)))
        return ",".join(v for v in VIA if v in methods)
    if key in ("exempt_locked", "exempt_deal"):
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ValidationError(_("{key} must be yes or no, not '{value}'").format(key=key, value=text))
    if value in ("off", "none", "never", "no"):
        return 0
    try:
        number = int(value)
    except ValueError:
        raise ValidationError(_("{key} must be a whole number, not '{value}'").format(key=key, value=text)) from None
    if number < 0:
        raise ValidationError(_("{key} cannot be negative ({value})").format(key=key, value=number))
    if number > _LIMITS[key]:
        raise ValidationError(_("{key} = {value} is more than the most allowed ({max})").format(
            key=key, value=number, max=_LIMITS[key]))
    return number


def parse_assignments(items: list[str], *, tier: bool = False) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise ValidationError(_("'{item}' is not RULE=VALUE").format(item=item),
                                  hint=_("for example followup_days=30 or exempt_locked=yes"))
        values[key] = parse_value(key, text, tier=tier)
    return values


def check_tier(tier: str | None) -> str:
    if tier is None or tier.strip() in ("", "*"):
        return "*"
    from crmcli.services.customers import check_tier as customer_tier

    return customer_tier(tier) or "*"


@dataclass
class RuleView:
    pool: Pool
    rules: dict[str, Rule]  # '*' and each overridden tier
    overridden: dict[str, list[str]]  # tier -> keys it sets itself


def rule_view(session: Session, actor: Actor, ref: str | None) -> RuleView:
    require(actor, "pool.view")
    pool = find(session, ref) if ref else default_pool(session)
    ensure_member(session, actor, pool)
    rules = rules_of(session, [pool.id]).get(pool.id, {"*": Rule.of(DEFAULT_RULE)})
    overridden = {row.tier: [k for k in RECYCLE_KEYS if getattr(row, k) is not None]
                  for row in _rule_rows(session, [pool.id]) if row.tier != "*"}
    return RuleView(pool, rules, overridden)


def set_rule(session: Session, actor: Actor, ref: str | None, assignments: list[str], tier: str | None = None) -> Pool:
    """Change a pool's rule, or one tier's overrides (``inherit`` drops an override)."""
    pool = find(session, ref) if ref else default_pool(session)
    require(actor, "pool.admin")
    ensure_admin(session, actor, pool)
    tier_key = check_tier(tier)
    if not assignments:
        raise ValidationError(_("name at least one RULE=VALUE"),
                              hint=_("for example: crm pool rule set followup_days=30 warn_days=3"))
    values = parse_assignments(assignments, tier=tier_key != "*")
    if tier_key != "*":
        limits = [k for k in values if k in LIMIT_KEYS]
        if limits:
            raise ValidationError(_("{keys} apply to the whole pool, not to one tier").format(keys=", ".join(limits)),
                                  hint=_("set them without --tier"))
    if pool.kind == "lead":
        recycling = [k for k in values if k in RECYCLE_KEYS]
        if recycling or tier_key != "*":
            raise ValidationError(_("the lead pool has claim limits only, no recycling rules"),
                                  hint=_("one of: {choices}").format(choices=", ".join(LIMIT_KEYS)))
    row = session.get(PoolRule, (pool.id, tier_key))
    if row is None:
        row = PoolRule(pool_id=pool.id, tier=tier_key, **({} if tier_key != "*" else DEFAULT_RULE))
        session.add(row)
    before = audit.snapshot(row, RULE_KEYS)
    for key, value in values.items():
        setattr(row, key, value)
    changes = audit.diff(before, audit.snapshot(row, RULE_KEYS))
    if tier_key != "*" and all(getattr(row, k) is None for k in RULE_KEYS):
        session.delete(row)  # nothing overridden any more
    if changes:
        session.flush()
        label = pool.name if tier_key == "*" else f"{pool.name} [{tier_key}]"
        audit.record(session, actor, "pool.rule", "pool", pool.id, label,
                     {(k if tier_key == "*" else f"{tier_key}.{k}"): v for k, v in changes.items()})
    return pool


# --- the demo ------------------------------------------------------------------------------------

# (demo data, not interface text: not translated)
_DEMO_POOLS = (("华东公海", "华东销售部", "zhaomin"), ("华南公海", "华南销售部", None))
_DEMO_RETURNS = (("liqiang", "客户今年没有采购预算"), ("zhoujie", "联系人已离职，暂无对接人"), ("sunli", "需求不匹配"))


def _demo_step(session: Session, actor: Actor, state: Any) -> None:
    """Two department pools, a tier-A rule, and a few customers their owners returned (one assigned again)."""
    from crmcli.services import pool_moves
    from crmcli.services.access import actor_for
    from crmcli.store.models import Customer

    for name, dept, admin in _DEMO_POOLS:
        if dept not in state.departments:
            continue
        pool = add(session, actor, name, dept=f"#{state.departments[dept].id}")
        if admin and admin in state.users:
            change_members(session, actor, str(pool.id), add_admins=[admin])
        state.count("pools")
    set_rule(session, actor, None, ["followup_days=60", "warn_days=7"], tier="A")
    returned = []
    for login, reason in _DEMO_RETURNS:
        user = state.users.get(login)
        if user is None:
            continue
        # one with nothing planned (the demo's to-do lists stay as the records step made them)
        first = session.execute(select(Customer.id).where(
            Customer.owner_id == user.id, Customer.locked.is_(False), Customer.next_contact_at.is_(None))
            .order_by(Customer.id.desc())).scalars().first()
        if first is not None:
            pool_moves.give_back(session, actor_for(session, user), [str(first)], reason, pool_ref="华东公海")
            returned.append(first)
            state.count("pool customers")
    if returned and "zhaomin" in state.users and "wuxia" in state.users:
        pool_moves.assign(session, actor_for(session, state.users["zhaomin"]), [str(returned[-1])], "wuxia",
                          reason="重新分配给吴霞跟进")
        state.count("pool customers", -1)
    _demo_neglect(session, state)


def _demo_neglect(session: Session, state: Any) -> None:
    """Let some never-followed customers have been owned for weeks, so recycling has work to show.

    The records step made every customer "now"; this back-dates when their owners received them
    (and when they were created) — history the demo pretends happened, as ``docs/demo.md`` says.
    A third become due for recycling (35–60 days), a third fall due within the week (24–29 days).
    """
    from datetime import timedelta

    from sqlalchemy import update

    from crmcli.store.models import Customer

    rng = state.rng("pool-neglect")
    now = clock.now()
    ids = session.execute(select(Customer.id).where(
        Customer.owner_id.is_not(None), Customer.locked.is_(False), Customer.last_followup_at.is_(None))
        .order_by(Customer.id)).scalars().all()
    for customer_id in ids:
        roll = rng.random()
        if roll < 1 / 3:
            since = now - timedelta(days=rng.randint(35, 60), hours=rng.randint(0, 8))
        elif roll < 2 / 3:
            since = now - timedelta(days=rng.randint(24, 29), hours=rng.randint(0, 8))
        else:
            continue
        session.execute(update(Customer).where(Customer.id == customer_id)
                        .values(owned_since=since, created_at=since))
        state.count("neglected customers")


def _register_demo() -> None:
    """The demo step, and: ``crm init`` makes the default pools, so a new database has rows in these tables."""
    from crmcli.services import demo

    demo._INIT_TABLES.update({"pool", "pool_rule"})
    if not any(step.name == "pool" for step in demo.STEPS):
        after = "records" if any(step.name == "records" for step in demo.STEPS) else None
        demo.add_step("pool", _demo_step, after=after)


_register_demo()


def _register_schedule() -> None:
    """``crm remind`` and ``crm today`` (the schedule area's extension points): customers about to be recycled."""
    try:
        from crmcli.services import reminders, today
    except ImportError:  # pragma: no cover - without the schedule area
        return
    reminders.register_source("pool", _reminder_source)
    today.register_section("recycling", N_("Customers about to be recycled"), _today_section, after="followups")


def _reminder_source(session: Session, actor: Actor, since: Any, now: Any) -> list[Any]:
    from crmcli.services import pool_rules  # imported here: pool_rules imports this module

    return pool_rules.reminder_source(session, actor, since, now)


def _today_section(session: Session, actor: Actor, ctx: Any) -> list[Any]:
    from crmcli.services import pool_rules

    return pool_rules.today_section(session, actor, ctx)


_register_schedule()

