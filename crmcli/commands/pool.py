"""``crm pool``: the public pool (公海), the lead pool (线索池), claiming, assigning, returning and recycling."""

from __future__ import annotations

from typing import List, Optional

import typer

from crmcli.commands._common import new_app, parse_when, read_ids, rt
from crmcli.commands._listing import (AfterOpt, CreatedOpt, LimitOpt, SearchOpt, SortOpt, SourceOpt, StatusOpt,
                                      TagOpt, WhereOpt, announce_next_page, list_options)
from crmcli.i18n import _

app = new_app(_("The public pool (公海) and the lead pool (线索池): claim, assign, return, rules and recycling.\n\n"
                "Examples:\n\n  crm pool customers\n\n  crm pool claim 12 13\n\n"
                "  crm pool assign 14 --to liqiang\n\n  crm pool return 12 --reason '客户暂无需求'\n\n"
                "  crm pool explain 12\n\n  crm pool rule set followup_days=30 warn_days=3\n\n"
                "  crm pool simulate --as-of +30d\n\n  crm pool recycle --dry-run"))

rule_app = new_app(_("A pool's recycling rules and claim limits, per pool and per tier.\n\n"
                     "Examples:\n\n  crm pool rule show\n\n  crm pool rule set followup_days=45 deal_days=off\n\n"
                     "  crm pool rule set --tier A followup_days=60"))
app.add_typer(rule_app, name="rule")

PoolOpt = typer.Option(None, "--pool", metavar="POOL", help=_("A pool's id or name (default: the default pool)."))
LeadsOpt = typer.Option(False, "--leads", help=_("The ids are leads (the lead pool), not customers."))


def _noun(leads: bool, n: int) -> str:
    if leads:
        return _("lead") if n == 1 else _("leads")
    return _("customer") if n == 1 else _("customers")


# --- pools ---------------------------------------------------------------------------------------


def _pool_fields(row) -> list:
    from crmcli.services import pool as pools

    p = row.pool
    return [("id", "id", p.id), ("name", _("name"), p.name),
            ("kind", _("holds"), _(pools.KIND_LABELS[p.kind])), ("default", _("default"), p.is_default),
            ("department", _("department"), row.department), ("everyone", _("everyone is a member"), p.everyone),
            ("members", _("members"), row.members), ("records", _("in the pool"), row.records),
            ("admin", _("you administer it"), row.admin), ("description", _("description"), p.description)]


def _pool_data(row) -> dict:
    p = row.pool
    return {"id": p.id, "name": p.name, "kind": p.kind, "default": p.is_default, "department": row.department,
            "everyone": p.everyone, "members": row.members, "records": row.records, "admin": row.admin,
            "description": p.description}


@app.command("add", help=_("Add a customer pool, e.g. one per department (its rules start as the default pool's).\n\n"
                           "Example: crm pool add 华东公海 --dept 华东销售部"))
def add(name: str = typer.Argument(..., help=_("The pool's name.")),
        dept: str = typer.Option(None, "--dept", metavar="DEPT",
                                 help=_("Its department: the home pool of customers owned by people there.")),
        everyone: bool = typer.Option(False, "--everyone", help=_("Every user is a member.")),
        description: str = typer.Option(None, "--description")) -> None:
    from crmcli.services import pool as pools

    with rt().transaction() as (s, me):
        created = pools.add(s, me, name, dept=dept, everyone=everyone, description=description)
        row = pools.show(s, me, str(created.id))
    rt().out().record(_pool_fields(row), data=_pool_data(row))


@app.command("list", help=_("List the pools you are a member of, with how many records each holds.\n\n"
                            "Example: crm pool list"))
def list_() -> None:
    from crmcli.output import Column
    from crmcli.services import pool as pools

    with rt().transaction(write=False) as (s, me):
        rows = pools.listing(s, me)
    rt().out().rows([Column("id", "id", "right"), Column("name", _("name")),
                     Column("kind", _("holds"), labels=pools.KIND_LABELS), Column("default", _("default")),
                     Column("department", _("department")), Column("records", _("in the pool"), "right"),
                     Column("admin", _("you administer it"))], [_pool_data(r) for r in rows])


@app.command("show", help=_("Show a pool.\n\nExample: crm pool show 公海"))
def show(pool: str = typer.Argument(..., help=_("Pool id or name."))) -> None:
    from crmcli.services import pool as pools

    with rt().transaction(write=False) as (s, me):
        row = pools.show(s, me, pool)
    rt().out().record(_pool_fields(row), data=_pool_data(row))


@app.command("edit", help=_("Rename a pool, change its department, who is a member, or make it the default.\n\n"
                            "Example: crm pool edit 2 --name 华东公海 --members-only"))
def edit(pool: str = typer.Argument(..., help=_("Pool id or name.")),
         name: str = typer.Option(None, "--name"),
         dept: str = typer.Option(None, "--dept", metavar="DEPT|none"),
         everyone: Optional[bool] = typer.Option(None, "--everyone/--members-only",
                                                 help=_("Every user is a member, or only those listed.")),
         description: str = typer.Option(None, "--description"),
         default: bool = typer.Option(False, "--default", help=_("Make it the default pool (returns go there)."))) -> None:
    from crmcli.services import pool as pools

    with rt().transaction() as (s, me):
        changed = pools.edit(s, me, pool, name=name, dept=dept, everyone=everyone, description=description,
                             make_default=default)
        row = pools.show(s, me, str(changed.id))
    rt().out().record(_pool_fields(row), data=_pool_data(row))


@app.command("members", help=_("List a pool's members and administrators, or change them. Members see the pool "
                               "and claim from it; administrators also assign and set its rules.\n\n"
                               "Example: crm pool members 2 --add liqiang --admin zhaomin --add-dept 华东销售部"))
def members(pool: str = typer.Argument(..., help=_("Pool id or name.")),
            add: List[str] = typer.Option(None, "--add", metavar="LOGIN", help=_("Add a member (repeatable).")),
            admin: List[str] = typer.Option(None, "--admin", metavar="LOGIN", help=_("Add an administrator (repeatable).")),
            add_dept: List[str] = typer.Option(None, "--add-dept", metavar="DEPT",
                                               help=_("Make a department (and those below it) members.")),
            remove: List[str] = typer.Option(None, "--remove", metavar="LOGIN", help=_("Take a user off the list.")),
            remove_dept: List[str] = typer.Option(None, "--remove-dept", metavar="DEPT",
                                                  help=_("Take a department off the list."))) -> None:
    from crmcli.output import Column
    from crmcli.services import pool as pools

    changing = any((add, admin, add_dept, remove, remove_dept))
    with rt().transaction(write=changing) as (s, me):
        if changing:
            pools.change_members(s, me, pool, add=add or [], add_admins=admin or [], add_depts=add_dept or [],
                                 remove=remove or [], remove_depts=remove_dept or [])
        found, rows = pools.members(s, me, pool)
    types = {"user": _("user"), "dept": _("department")}
    rt().out().rows([Column("type", _("type"), labels=types), Column("name", _("name")),
                     Column("full_name", _("full name")), Column("role", _("role"), labels=pools.ROLE_LABELS)],
                    [{"type": r.member_type, "name": r.name, "full_name": r.full_name, "role": r.role} for r in rows])
    if found.everyone and rt().output_format() in ("table", "plain"):
        rt().message(_("Every user is a member of {pool}.").format(pool=found.name))


# --- rules ---------------------------------------------------------------------------------------


@rule_app.command("show", help=_("Show a pool's rules: the pool's own, and each tier's overrides.\n\n"
                                 "Example: crm pool rule show --pool 公海"))
def rule_show(pool: str = PoolOpt) -> None:
    from crmcli.output import Column
    from crmcli.services import pool as pools

    with rt().transaction(write=False) as (s, me):
        view = pools.rule_view(s, me, pool)
    keys = pools.RULE_KEYS if view.pool.kind == "customer" else pools.LIMIT_KEYS
    tiers = [t for t in view.rules if t != "*"]
    r = rt()
    if r.output_format() in ("json", "jsonl"):
        data = {"pool": view.pool.name, "pool_id": view.pool.id,
                "rule": {k: v for k, v in view.rules["*"].values().items() if k in keys},
                "tiers": {t: {k: view.rules[t].values()[k] for k in view.overridden.get(t, [])} for t in tiers}}
        r.out().record([], data=data)
        return
    rows = []
    for key in keys:
        row = {"rule": key, "value": view.rules["*"].values()[key], "meaning": _(pools.RULE_LABELS[key])}
        for t in tiers:
            row[f"tier_{t}"] = view.rules[t].values()[key] if key in view.overridden.get(t, []) else None
        rows.append(row)
    columns = [Column("rule", _("rule")), Column("value", _("value"))]
    columns += [Column(f"tier_{t}", _("tier {tier}").format(tier=t)) for t in tiers]
    columns.append(Column("meaning", _("meaning")))
    r.out().rows(columns, rows)
    if r.output_format() in ("table", "plain"):
        r.message(_("Pool {pool}.").format(pool=view.pool.name))


@rule_app.command("set", help=_("Set rules of a pool (or, with --tier, that tier's overrides; 'inherit' drops "
                                "one). Days of 0 or 'off' turn a rule off.\n\n"
                                "Example: crm pool rule set followup_days=30 followup_via=phone,visit,wechat "
                                "min_note=10 deal_days=90 warn_days=3 max_owned=200 max_claims_per_day=20 "
                                "reclaim_days=15"))
def rule_set(assignments: List[str] = typer.Argument(..., metavar="RULE=VALUE..."),
             pool: str = PoolOpt,
             tier: str = typer.Option(None, "--tier", metavar="TIER", help=_("Override the rule for this tier only."))
             ) -> None:
    from crmcli.services import pool as pools

    with rt().transaction() as (s, me):
        changed = pools.set_rule(s, me, pool, assignments, tier)
    rt().message(_("Rules of pool {pool} updated.").format(pool=changed.name))
    rule_show(pool=str(changed.id))


# --- what is in a pool ---------------------------------------------------------------------------


def _pooled_rows(s, page, kind: str) -> list[dict]:
    from crmcli.services import customers, pool as pools, pool_moves

    prev = customers.owner_logins(s, [r.prev_owner_id for r in page.rows])
    names = {p.id: p.name for p in pools.all_pools(s)}
    default = pools.default_pool(s, kind).name
    rows = []
    for r in page.rows:
        row = {"id": r.id, "name": r.name, "status": r.status, "pooled_at": r.pooled_at,
               "days_in_pool": pool_moves.days_in_pool(r), "prev_owner": prev.get(r.prev_owner_id),
               "last_followup_at": r.last_followup_at, "created_at": r.created_at}
        if kind == "customer":
            row.update(tier=r.tier, industry=r.industry, region=r.region,
                       pool=names.get(r.pool_id) or default)
        else:
            row.update(company=r.company, source=r.source, pool=default)
        rows.append(row)
    return rows


def _list_pooled(kind: str, pool: Optional[str], opts, tier=None) -> None:
    from crmcli.output import Column
    from crmcli.services import pool_moves

    r = rt()
    with r.transaction(write=False) as (s, me):
        chosen, page = pool_moves.page(s, me, opts, r.timezone(), pool_ref=pool, tiers=tier, kind=kind)
        kind = chosen[0].kind if chosen else kind
        rows = _pooled_rows(s, page, kind)
    columns = [Column("id", "id", "right"), Column("name", _("name"))]
    if kind == "customer":
        columns += [Column("tier", _("tier")), Column("industry", _("industry")), Column("region", _("region"))]
    else:
        columns += [Column("company", _("company")), Column("source", _("source"))]
    columns += [Column("pool", _("pool")), Column("pooled_at", _("in the pool since")),
                Column("days_in_pool", _("days"), "right"), Column("prev_owner", _("previous owner")),
                Column("last_followup_at", _("last follow-up"))]
    r.out().rows(columns, rows)
    announce_next_page(page.next_cursor)


@app.command("customers", help=_("List the customers in a pool (or in every pool you are a member of), with how "
                                 "long each has been there; the usual list filters apply.\n\n"
                                 "Example: crm pool customers 公海 --tier A --search 科技 --sort -pooled"))
def customers_(pool: Optional[str] = typer.Argument(None, metavar="[POOL]", help=_("Pool id or name.")),
               status: StatusOpt = None, source: SourceOpt = None, tag: TagOpt = None, created: CreatedOpt = None,
               search: SearchOpt = None, where: WhereOpt = None, sort: SortOpt = None, limit: LimitOpt = 50,
               after: AfterOpt = None,
               tier: Optional[List[str]] = typer.Option(None, "--tier", metavar="TIER",
                                                        help=_("Only this tier (repeatable)."))) -> None:
    opts = list_options(None, status, source, tag, created, None, search, where, sort, limit, after)
    _list_pooled("customer", pool, opts, tier)


@app.command("leads", help=_("List the leads in the lead pool (线索池), with how long each has been there.\n\n"
                             "Example: crm pool leads --source event --sort -pooled"))
def leads_(status: StatusOpt = None, source: SourceOpt = None, tag: TagOpt = None, created: CreatedOpt = None,
           search: SearchOpt = None, where: WhereOpt = None, sort: SortOpt = None, limit: LimitOpt = 50,
           after: AfterOpt = None) -> None:
    opts = list_options(None, status, source, tag, created, None, search, where, sort, limit, after)
    _list_pooled("lead", None, opts)


# --- moves ---------------------------------------------------------------------------------------


def _report(moved, leads: bool, text: str, **values) -> None:
    from crmcli.output import Column

    r = rt()
    if r.output_format() == "ids":
        r.out().rows([Column("id", "id")], [{"id": m.record.id} for m in moved])
    elif r.output_format() in ("json", "jsonl"):
        r.out().rows([Column("id", "id"), Column("pool", _("pool"))],
                     [{"id": m.record.id, "pool": m.pool.name} for m in moved])
    r.message(text.format(n=len(moved), what=_noun(leads, len(moved)), **values))


@app.command("claim", help=_("Claim (领取) customers or leads from a pool you are a member of (batch, all-or-nothing; "
                             "- reads ids from stdin). Someone else was faster: exit 5, naming them.\n\n"
                             "Example: crm pool claim 12 13\n\n  crm pool claim --leads 40"))
def claim(ids: List[str] = typer.Argument(..., metavar="IDS..."), leads: bool = LeadsOpt) -> None:
    from crmcli.services import pool_moves

    r = rt()
    with r.transaction() as (s, me):
        moved = pool_moves.claim(s, me, read_ids(ids), kind="lead" if leads else "customer", tz=r.timezone())
    _report(moved, leads, _("Claimed {n} {what}."))


@app.command("assign", help=_("Assign (分配) pooled customers or leads to a member of the pool (pool administrators; "
                              "batch).\n\nExample: crm pool assign 12 13 --to liqiang --reason '华东区域'"))
def assign(ids: List[str] = typer.Argument(..., metavar="IDS..."),
           to: str = typer.Option(..., "--to", metavar="LOGIN"),
           reason: str = typer.Option(None, "--reason"), leads: bool = LeadsOpt) -> None:
    from crmcli.services import pool_moves

    with rt().transaction() as (s, me):
        target, moved = pool_moves.assign(s, me, read_ids(ids), to, kind="lead" if leads else "customer",
                                          reason=reason)
    _report(moved, leads, _("Assigned {n} {what} to {login}."), login=target.login)


@app.command("return", help=_("Return (退回) your customers or leads to a pool, with a reason (batch). They go to "
                              "the default pool unless --pool names another.\n\n"
                              "Example: crm pool return 12 --reason '客户暂无需求' --pool 华东公海"))
def return_(ids: List[str] = typer.Argument(..., metavar="IDS..."),
            reason: str = typer.Option(..., "--reason", help=_("Why they go back.")),
            pool: str = typer.Option(None, "--pool", metavar="POOL", help=_("The pool they go to.")),
            leads: bool = LeadsOpt) -> None:
    from crmcli.services import pool_moves

    with rt().transaction() as (s, me):
        moved = pool_moves.give_back(s, me, read_ids(ids), reason, kind="lead" if leads else "customer",
                                     pool_ref=pool)
    _report(moved, leads, _("Returned {n} {what} to {pool}."), pool=moved[0].pool.name if moved else "-")


# --- rules at work -------------------------------------------------------------------------------


@app.command("explain", help=_("Explain when a customer would be recycled: its pool and rule, both clocks, the "
                               "days left and the exemptions.\n\nExample: crm pool explain 12"))
def explain(customer: str = typer.Argument(..., help=_("Customer id or name."))) -> None:
    from crmcli import clock
    from crmcli.services import pool_moves, pool_rules

    r = rt()
    with r.transaction(write=False) as (s, me):
        ex = pool_rules.explain(s, me, customer)
    c, ck = ex.customer, ex.clock
    now = clock.now()
    fields = [("id", "id", c.id), ("name", _("name"), c.name), ("tier", _("tier"), c.tier),
              ("owner", _("owner"), ex.owner), ("pool", _("pool"), ex.pool.name)]
    data = {k: v for k, _label, v in fields}
    if ck is None:
        days = pool_moves.days_in_pool(c, now)
        fields += [("pooled_at", _("in the pool since"), c.pooled_at), ("days_in_pool", _("days in the pool"), days),
                   ("verdict", _("verdict"), _("in the pool: nothing to recycle"))]
        data.update(pooled_at=c.pooled_at, days_in_pool=days, verdict="pooled")
        r.out().record(fields, data=data)
        return
    from crmcli.services.records import VIA_LABELS

    rule = ck.rule
    labels = pool_rules.REASON_LABELS
    fields += [("rule", _("rule"), _("pool rule") if ck.tier == "*" else _("tier {tier} rule").format(tier=ck.tier)),
               ("received_at", _("owner received it"), ck.received_at)]
    if ck.last_followup:
        at, fid, via = ck.last_followup
        fields.append(("last_followup", _("last qualifying follow-up"),
                       _("{when} (#{id}, {via})").format(when=_human(at, r), id=fid, via=_(VIA_LABELS[via]))))
    else:
        fields.append(("last_followup", _("last qualifying follow-up"), _("none")))
    counted = _("{via}, notes of at least {n} characters").format(
        via=", ".join(_(VIA_LABELS[v]) for v in rule.followup_via), n=rule.min_note)
    if rule.followup_days:
        fields += [("followup_rule", _("follow-up rule"), _("{days} days without a follow-up ({counted})").format(
                       days=rule.followup_days, counted=counted)),
                   ("followup_due_at", _("follow-up clock runs out"), ck.followup_due_at)]
    else:
        fields.append(("followup_rule", _("follow-up rule"), _("off")))
    if rule.deal_days:
        fields += [("deal_rule", _("deal rule"), _("{days} days without a deal").format(days=rule.deal_days)),
                   ("last_deal_at", _("last deal"), c.last_deal_at),
                   ("deal_due_at", _("deal clock runs out"), ck.deal_due_at)]
    else:
        fields.append(("deal_rule", _("deal rule"), _("off")))
    exemptions = [_(labels[e]) for e in ck.exemptions]
    fields.append(("exemptions", _("exemptions"), ", ".join(exemptions) or _("none")))
    left = ck.days_left(now)
    if ck.exemptions:
        verdict = _("never recycled while it is {why}").format(why=", ".join(exemptions))
    elif ck.due_at is None:
        verdict = _("no rule applies: never recycled")
    elif left <= 0:
        verdict = _("due: the next recycle run returns it to {pool} ({why})").format(
            pool=ck.pool.name, why=_(labels[ck.reason]))
    else:
        verdict = _("recycled to {pool} on {when} ({why}) unless followed up; the owner is warned {warn} days "
                    "before").format(pool=ck.pool.name, when=_human(ck.due_at, r), why=_(labels[ck.reason]),
                                     warn=rule.warn_days)
    fields += [("due_at", _("recycled at"), ck.due_at), ("days_left", _("days left"), left),
               ("verdict", _("verdict"), verdict)]
    data.update({k: v for k, _label, v in fields})
    data.update(rule=ck.tier, rule_values=rule.values(), received_at=ck.received_at,
                last_followup_at=ck.last_followup[0] if ck.last_followup else None,
                followup_due_at=ck.followup_due_at, deal_due_at=ck.deal_due_at, last_deal_at=c.last_deal_at,
                exemptions=ck.exemptions, due_at=ck.due_at, days_left=left, reason=ck.reason)
    r.out().record(fields, data=data)


def _human(value, r) -> str:
    return value.astimezone(r.timezone()).strftime("%Y-%m-%d %H:%M")


def _due_table(rows) -> None:
    from crmcli.output import Column
    from crmcli.services import pool_rules

    rt().out().rows([Column("id", "id", "right"), Column("name", _("name")), Column("tier", _("tier")),
                     Column("owner", _("owner")), Column("pool", _("pool")),
                     Column("rule", _("rule"), labels=pool_rules.REASON_LABELS), Column("days", _("days"), "right")],
                    [{"id": d.id, "name": d.name, "tier": d.tier, "owner": d.owner, "pool": d.pool.name,
                      "rule": d.reason, "days": d.days} for d in rows])


@app.command("simulate", help=_("Show what a recycle run would move at a date or under changed rules; changes "
                                "nothing.\n\nExample: crm pool simulate --as-of +14d --set followup_days=20"))
def simulate(as_of: str = typer.Option(None, "--as-of", metavar="DATE", help=_("Run as of this time (default: now).")),
             set_: List[str] = typer.Option(None, "--set", metavar="RULE=VALUE",
                                            help=_("Try a rule value (repeatable; applies to every pool and tier).")),
             pool: str = typer.Option(None, "--pool", metavar="POOL", help=_("Only this pool."))) -> None:
    from crmcli.services import pool_rules

    r = rt()
    with r.transaction(write=False) as (s, me):
        when, rows = pool_rules.simulate(s, me, as_of=parse_when(as_of), pool_ref=pool, assignments=set_ or [])
    _due_table(rows)
    r.message(_("{n} customers would be recycled at {when} (simulation: nothing changed).").format(
        n=len(rows), when=_human(when, r)))


@app.command("recycle", help=_(
    "Recycle (回收): move every customer a rule catches back into its pool and log each move with the rule that "
    "fired — the cron job. Safe to run twice and to overlap. Prints a summary; nothing when there is nothing to do "
    "unless --verbose (--format json: always). Exit 0 when it ran (moving something or nothing), 1 when the "
    "database cannot be reached, 3 for an unknown pool, 4 when the acting user may not administer the pools.\n\n"
    "Example: crm --user admin pool recycle\n\n  crm pool recycle --dry-run --pool 华东公海 --format json"))
def recycle(dry_run: bool = typer.Option(False, "--dry-run", help=_("Count what would move; change nothing.")),
            pool: str = typer.Option(None, "--pool", metavar="POOL", help=_("Only this pool.")),
            verbose: bool = typer.Option(False, "--verbose", "-v", help=_("Say so also when nothing moved."))) -> None:
    from crmcli.output import Column
    from crmcli.services import pool_rules, recycle as recycling

    r = rt()
    r.busy_retries = 3  # a cron job: waits again rather than fail while another crm writes
    with r.transaction(write=not dry_run) as (s, me):
        summary = recycling.run(s, me, pool_ref=pool, dry_run=dry_run)
    fmt = r.output_format()
    if fmt in ("json", "jsonl"):
        data = {"as_of": summary.as_of, "dry_run": dry_run, "moved": summary.moved, "rules": summary.rows(),
                "ids": summary.ids}
        r.out().record([], data=data)
        return
    if fmt == "ids":
        r.out().rows([Column("id", "id")], [{"id": i} for i in summary.ids])
        return
    if not summary.moved:
        if verbose:
            r.message(_("Nothing to recycle."))
        return
    r.out().rows([Column("pool", _("pool")), Column("tier", _("tier")),
                  Column("rule", _("rule"), labels=pool_rules.REASON_LABELS), Column("count", _("customers"), "right")],
                 [dict(row, tier=None if row["tier"] == "*" else row["tier"]) for row in summary.rows()])
    text = _("{n} customers would be recycled (dry run).") if dry_run else _("Recycled {n} customers.")
    r.message(text.format(n=summary.moved))


@app.command("warn", help=_("List owned customers about to be recycled (within each rule's warning days, or "
                            "--within), soonest first, with their owners.\n\n"
                            "Example: crm pool warn\n\n  crm pool warn --within 7d --owner me"))
def warn(within: str = typer.Option(None, "--within", metavar="DURATION", help=_("e.g. 7d (default: each rule's warn_days).")),
         owner: str = typer.Option(None, "--owner", metavar="me|LOGIN", help=_("Only this owner's customers."))) -> None:
    from crmcli import clock, dates
    from crmcli.output import Column
    from crmcli.services import pool_rules

    r = rt()
    span = dates.parse_duration(within) if within else None
    with r.transaction(write=False) as (s, me):
        rows = pool_rules.warnings(s, me, within=span, owner=owner)
    now = clock.now()
    r.out().rows([Column("owner", _("owner")), Column("id", "id", "right"), Column("name", _("name")),
                  Column("pool", _("pool")), Column("due_at", _("recycled at")),
                  Column("days_left", _("days left"), "right"),
                  Column("reason", _("rule"), labels=pool_rules.REASON_LABELS)],
                 [{"owner": w.owner, "id": w.customer.id, "name": w.customer.name, "pool": w.clock.pool.name,
                   "due_at": w.clock.due_at, "days_left": w.clock.days_left(now), "reason": w.clock.reason}
                  for w in rows])
    if r.output_format() in ("table", "plain"):
        r.message(_("{n} customers will be recycled soon.").format(n=len(rows)))
