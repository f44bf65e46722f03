"""The access matrix: every default role and scope × every read and write path, on records inside and
outside each user's scope — built once per module, printed (``pytest -s``), and failing on any leak.

    Office            admin (super administrator), fin (finance: scope all),
    │                 none (a role with scope all and no permission at all)
    └── Sales         dir (sales director: sales_manager, department and children)
        ├── East      mgr_e (regional manager: sales_manager's permissions, department scope),
        │             rep_e (sales_rep: self)
        └── West      rep_w (sales_rep: self; a read-write team member of East's customer),
                      ro (sales_rep: self; a read-only team member of East's customer)

Records: a customer of each region (C_E owned by rep_e, C_W by rep_w), one in the public pool (C_P);
on each region's customer a contact, an opportunity and a contract (with a receivable plan and a
payment); on C_E also an opportunity, a quote and a contract that rep_w (its team member) added — the
customer's owner must see those; a lead, a task and an event of each rep.

The expected outcome of every cell comes from the small model below (scopes, teams, the default
roles' permissions), written independently of ``crmcli/services/access.py``; the actual one from
running ``crm`` in-process.  A cell that differs is a leak (shown where it should not be) or a
wrong refusal; both fail the test.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import ADMIN, PG_URL, _reset_pg, run_crm

NOW = "2026-11-20T10:00:00+00:00"
USERS = ("admin", "dir", "mgr_e", "rep_e", "ro", "rep_w", "fin", "none")

# --- the model: departments, scopes, permissions ------------------------------------------------------

DEPT = {"admin": "Office", "fin": "Office", "none": "Office", "dir": "Sales", "mgr_e": "East", "rep_e": "East",
        "rep_w": "West", "ro": "West"}
ALL = None
SCOPE: dict[str, Any] = {"admin": ALL, "fin": ALL, "none": ALL, "dir": {"Sales", "East", "West"},
                         "mgr_e": {"East"}, "rep_e": set(), "ro": set(), "rep_w": set()}
_SALES_VIEW = {"lead", "customer", "contact", "opportunity", "quote", "contract", "task", "event", "audit", "pool",
               "user", "dept", "product", "report"}
VIEW = {"admin": None, "dir": _SALES_VIEW, "mgr_e": _SALES_VIEW, "rep_e": _SALES_VIEW, "ro": _SALES_VIEW,
        "rep_w": _SALES_VIEW, "fin": {"customer", "contract", "audit", "user", "dept", "product", "report"},
        "none": set()}
_MANAGER = {"customer.edit", "customer.transfer", "customer.import", "customer.export", "customer.claim",
            "followup.create",
            "payment.create", "invoice.create", "contract.edit"}
_REP = {"customer.edit", "customer.transfer", "customer.claim", "followup.create", "payment.create",
        "contract.edit"}
DO = {"admin": None, "dir": _MANAGER, "mgr_e": _MANAGER, "rep_e": _REP, "ro": _REP, "rep_w": _REP,
      "fin": {"payment.create", "invoice.create"}, "none": set()}
TEAM = {"C_E": {"ro": "read", "rep_w": "write"}}  # the customer's team


def can_view(user: str, noun: str) -> bool:
    return VIEW[user] is None or noun in VIEW[user]


def can_do(user: str, permission: str) -> bool:
    return DO[user] is None or permission in DO[user]


def covers(user: str, owner: str | None) -> bool:
    if owner is None:
        return False
    return owner == user or SCOPE[user] is ALL or DEPT[owner] in SCOPE[user]


@dataclass
class Rec:
    key: str
    kind: str  # as in crm why: customer, contact, opportunity, contract, quote, lead, task, event
    owner: str | None
    customer: str | None = None  # the key of the customer it belongs to
    id: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


NOUN = {"customer": "customer", "contact": "contact", "opportunity": "opportunity", "contract": "contract",
        "quote": "quote", "lead": "lead", "task": "task", "event": "event"}


class World:
    def __init__(self) -> None:
        self.recs: dict[str, Rec] = {}

    def add(self, rec: Rec) -> Rec:
        self.recs[rec.key] = rec
        return rec

    def of(self, kind: str) -> list[Rec]:
        return [r for r in self.recs.values() if r.kind == kind]

    def sees(self, user: str, rec: Rec) -> bool:
        """Data scope only (the model of visible_clause / can_see)."""
        if covers(user, rec.owner):
            return True
        customer = self.recs[rec.customer] if rec.customer else (rec if rec.kind == "customer" else None)
        if customer is None:
            return False
        return covers(user, customer.owner) or user in TEAM.get(customer.key, {})

    def changes(self, user: str, rec: Rec) -> bool:
        """Scope for a change: scope covers the owner (or the customer's owner), or a write team member."""
        if covers(user, rec.owner):
            return True
        customer = self.recs[rec.customer] if rec.customer else (rec if rec.kind == "customer" else None)
        if customer is None:
            return False
        return covers(user, customer.owner) or TEAM.get(customer.key, {}).get(user) == "write"

    def visible(self, user: str, kind: str) -> set[int]:
        return {r.id for r in self.of(kind) if self.sees(user, r)}


# --- building it once ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def db_url(request, tmp_path_factory) -> str:
    """One database for the whole module (overrides the per-test database of conftest)."""
    if PG_URL:
        url = request.getfixturevalue("pg_schema_url")
        _reset_pg(url)
        return url
    template = request.getfixturevalue("sqlite_template")
    path = tmp_path_factory.mktemp("matrix") / "crm.sqlite"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)


def _ok(result):
    assert result.code == 0, result
    return result


@pytest.fixture(scope="module")
def world(db_url, tmp_path_factory) -> World:
    home = tmp_path_factory.mktemp("matrix-home")
    with pytest.MonkeyPatch.context() as mp:
        for name, value in {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
                            "XDG_DATA_HOME": str(home / ".local"), "CRM_CONFIG": str(home / "c.toml"),
                            "CRM_LANG": "en", "TZ": "UTC", "CRM_DATABASE_URL": db_url, "CRM_NOW": NOW}.items():
            mp.setenv(name, value)
        for name in ("CRM_USER", "CRM_DEBUG"):
            mp.delenv(name, raising=False)

        def crm(*args: Any, user: str = ADMIN) -> Any:
            return _ok(run_crm(["--user", user, *[str(a) for a in args]]))

        return _build(crm)


def _build(crm) -> World:
    w = World()
    for args in (("dept", "add", "Sales"), ("dept", "add", "East", "--parent", "Sales"),
                 ("dept", "add", "West", "--parent", "Sales"),
                 ("role", "add", "Regional manager", "--scope", "department", "--copy-from", "sales_manager"),
                 ("role", "add", "Nothing", "--scope", "all"),
                 ("user", "add", "dir", "--name", "Director", "--dept", "Sales", "--role", "sales_manager"),
                 ("user", "add", "mgr_e", "--name", "East manager", "--dept", "East", "--role", "Regional manager"),
                 ("user", "add", "rep_e", "--name", "East rep", "--dept", "East", "--role", "sales_rep"),
                 ("user", "add", "rep_w", "--name", "West rep", "--dept", "West", "--role", "sales_rep"),
                 ("user", "add", "ro", "--name", "Read only", "--dept", "West", "--role", "sales_rep"),
                 ("user", "add", "fin", "--name", "Finance", "--dept", "Office", "--role", "finance"),
                 ("user", "add", "none", "--name", "Nobody", "--dept", "Office", "--role", "Nothing")):
        crm(*args)

    def rid(result) -> int:
        return result.json()["id"]

    def customer(key: str, owner: str) -> Rec:
        rec = w.add(Rec(key, "customer", owner))
        rec.id = rid(crm("customer", "add", f"Cust {key}", "--industry", "Steel", "--json", user=owner))
        return rec

    c_e, c_w = customer("C_E", "rep_e"), customer("C_W", "rep_w")
    crm("customer", "team", "add", c_e.id, "ro", "--access", "read", user="rep_e")
    crm("customer", "team", "add", c_e.id, "rep_w", "--access", "write", user="rep_e")
    c_p = customer("C_P", "rep_e")
    crm("pool", "return", c_p.id, "--reason", "no budget", user="rep_e")
    c_p.owner = None

    for key, owner, cust in (("K_CONTACT_E", "rep_e", c_e), ("K_CONTACT_W", "rep_w", c_w)):
        rec = w.add(Rec(key, "contact", owner, cust.key))
        rec.id = rid(crm("contact", "add", f"Person {key}", "--customer", cust.id, "--json", user=owner))
    for key, owner, cust in (("O_E", "rep_e", c_e), ("O_W", "rep_w", c_w), ("O_T", "rep_w", c_e)):
        rec = w.add(Rec(key, "opportunity", owner, cust.key))
        rec.id = rid(crm("opp", "add", cust.id, f"Deal {key}", "--amount", "1000", "--json", user=owner))
    q = w.add(Rec("Q_T", "quote", "rep_w", "C_E"))
    q.id = rid(crm("quote", "add", w.recs["O_T"].id, "--json", user="rep_w"))
    for key, owner, cust in (("K_E", "rep_e", c_e), ("K_W", "rep_w", c_w), ("K_T", "rep_w", c_e)):
        rec = w.add(Rec(key, "contract", owner, cust.key))
        data = crm("contract", "add", "--customer", cust.id, "--title", f"Contract {key}", "--amount", "100000",
                   "--signed", "2026-11-01", "--json", user=owner).json()
        rec.id, rec.extra["number"] = data["id"], data["number"]
        crm("contract", "plan", "add", rec.id, "--amount", "50000", "--due", "2026-11-10", user=owner)
        crm("contract", "submit", rec.id, user=owner)
        crm("contract", "pay", rec.id, "--amount", "10", "--date", "2026-11-15")  # admin
    for key, owner in (("L_E", "rep_e"), ("L_W", "rep_w")):
        rec = w.add(Rec(key, "lead", owner))
        rec.id = rid(crm("lead", "add", f"Lead {key}", "--json", user=owner))
    for key, owner, cust in (("T_E", "rep_e", c_e), ("T_W", "rep_w", c_w)):
        rec = w.add(Rec(key, "task", owner))
        rec.id = rid(crm("task", "add", f"Task {key}", "--due", "2026-11-20", "--on", f"customer:{cust.id}",
                         "--json", user=owner))
    for key, owner in (("E_E", "rep_e"), ("E_W", "rep_w")):
        rec = w.add(Rec(key, "event", owner))
        rec.id = rid(crm("event", "add", f"Event {key}", "--start", "2026-11-20 15:00", "--json", user=owner))
    crm("customer", "edit", c_w.id, "--industry", "Steel", "--tier", "A", user="rep_w")  # a logged change with values
    return w


# --- running and printing ------------------------------------------------------------------------------


class Matrix:
    """Cells (path, user) -> (expected, actual); printed as a table, failing on any difference."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.cells: dict[tuple[str, str], tuple[str, str]] = {}
        self.known: dict[str, str] = {}  # path -> why a difference there is a known, reported failure

    def put(self, path: str, user: str, expected: Any, actual: Any) -> None:
        self.cells[(path, user)] = (str(expected), str(actual))

    def report(self) -> list[str]:
        paths = list(dict.fromkeys(p for p, _u in self.cells))
        width = max(len(p) for p in paths) + 2
        lines = [f"\n{self.title}  (cell: outcome; '!' marks a leak or wrong refusal: expected→actual)",
                 "".ljust(width) + "".join(u.ljust(9) for u in USERS)]
        wrong = []
        for path in paths:
            row = path.ljust(width)
            for user in USERS:
                expected, actual = self.cells.get((path, user), ("", ""))
                if expected == actual:
                    row += expected[:8].ljust(9)
                else:
                    row += f"!{expected}→{actual}"[:8].ljust(9)
                    if path not in self.known:
                        wrong.append(f"{path} as {user}: expected {expected}, got {actual}")
            lines.append(row + (f"  (known: {self.known[path]})" if path in self.known else ""))
        print("\n".join(lines))
        return wrong


def code_of(user: str, world: World, rec: Rec, noun: str | None = None) -> int:
    """The exit code of reading one record: 3 outside scope, 4 without the view permission, else 0."""
    if not world.sees(user, rec):
        return 3
    return 0 if can_view(user, noun or NOUN[rec.kind]) else 4


def ids(result) -> set[int]:
    return {int(x) for x in result.out.split()}


# --- the read paths ------------------------------------------------------------------------------------


LISTS = (("lead", "lead"), ("customer", "customer"), ("contact", "contact"), ("opp", "opportunity"),
         ("contract", "contract"), ("quote", "quote"))


def test_read_matrix(crm, world):
    w = world
    m = Matrix("READ PATHS")
    pooled = {w.recs["C_P"].id}
    for user in USERS:
        run = lambda *args: crm(*args, user=user)  # noqa: E731
        # list (and --format ids), for every noun with a list
        for noun, kind in LISTS:
            result = run(noun, "list", "--limit", "1000", "--format", "ids")
            expected = sorted(w.visible(user, kind) - pooled) if can_view(user, NOUN[kind]) else "exit 4"
            actual = sorted(ids(result) - pooled) if result.code == 0 else f"exit {result.code}"
            m.put(f"{noun} list", user, expected, actual)
        # search (the same listing)
        result = run("customer", "list", "--search", "Cust", "--format", "ids")
        m.put("customer list --search", user,
              sorted(w.visible(user, "customer") - pooled) if can_view(user, "customer") else "exit 4",
              sorted(ids(result) - pooled) if result.code == 0 else f"exit {result.code}")
        # export
        for noun, kind in (("customer", "customer"), ("lead", "lead")):
            result = run(noun, "export", "--format", "csv")
            allowed = can_view(user, kind) and can_do(user, f"{kind}.export") if kind == "customer" else \
                can_view(user, kind) and (DO[user] is None or user in ("dir", "mgr_e", "rep_e", "ro", "rep_w"))
            got = (sorted({int(r["id"]) for r in csv.DictReader(io.StringIO(result.out))} - pooled)
                   if result.code == 0 else f"exit {result.code}")
            expected = sorted(w.visible(user, kind) - pooled) if allowed else "exit 4"
            m.put(f"{noun} export", user, expected, got)
        # show and --json of every record
        shows = {"customer": "customer", "contact": "contact", "opportunity": "opp", "contract": "contract",
                 "quote": "quote", "lead": "lead", "task": "task", "event": "event"}
        for rec in w.recs.values():
            if rec.key == "C_P":
                continue
            result = run(shows[rec.kind], "show", rec.id, "--json")
            m.put(f"show {rec.key}", user, code_of(user, w, rec), result.code)
            # why about oneself: "no such record" (3) unless the asker may see it
            why = run("why", user, f"{rec.kind}:{rec.id}")
            m.put(f"why {rec.key}", user, 0 if user == "admin" or code_of(user, w, rec) == 0 else 3, why.code)
        # the 360 view's sections, table and JSON
        for key in ("C_E", "C_W"):
            rec = w.recs[key]
            result = run("customer", "show", rec.id, "--json")
            if result.code != 0:
                continue
            data = result.json()
            for section, noun in (("contacts", "contact"), ("opportunities", "opportunity"),
                                  ("contracts", "contract"), ("receivable_plans", "contract"),
                                  ("payments", "contract")):
                m.put(f"360 {key} {section}", user, "shown" if can_view(user, noun) else "hidden",
                      "shown" if section in data else "hidden")
            if "opportunities" in data:
                shown = sorted(r["id"] for r in data["opportunities"])
                expected = sorted(r.id for r in w.of("opportunity") if r.customer == key and w.sees(user, r))
                m.put(f"360 {key} opportunity ids", user, expected, shown)
            if "contracts" in data:
                shown = sorted(r["number"] for r in data["contracts"])
                expected = sorted(r.extra["number"] for r in w.of("contract") if r.customer == key and w.sees(user, r))
                m.put(f"360 {key} contract numbers", user, expected, shown)
            table = run("customer", "show", rec.id, "--format", "plain")
            for title, noun in (("Contacts", "contact"), ("Opportunities", "opportunity"), ("Contracts", "contract"),
                                ("Payments", "contract")):
                m.put(f"360 {key} table {title}", user, "shown" if can_view(user, noun) else "hidden",
                      "shown" if f"\n{title}\n" in table.out else "hidden")
        # receivables and approvals (contract.view)
        contracts_seen = {r.extra["number"] for r in w.of("contract") if w.sees(user, r)}
        result = run("receivable", "list", "--json")
        m.put("receivable list", user, sorted(contracts_seen) if can_view(user, "contract") else "exit 4",
              sorted({r["contract"] for r in result.json()}) if result.code == 0 else f"exit {result.code}")
        result = run("receivable", "aging", "--json")
        m.put("receivable aging", user, 0 if can_view(user, "contract") else 4, result.code)
        result = run("approval", "list", "--json")
        submitted = {f"contract:{r.id}" for r in w.of("contract") if covers(user, r.owner)}
        m.put("approval list", user, sorted(submitted) if can_view(user, "contract") else [],
              sorted({r["record"] for r in result.json()}) if result.code == 0 else f"exit {result.code}")
        # crm today --team: the receivables section needs contract.view
        result = run("today", "--team", "--json")
        sections = {r["section"] for r in result.json()} if result.code == 0 else set()
        m.put("today receivables", user, "shown" if can_view(user, "contract") and (
            SCOPE[user] is ALL or SCOPE[user] or user in ("rep_e", "rep_w")) and user not in ("ro",) else "hidden",
            "shown" if "receivables" in sections else "hidden")
        # pipeline of another region
        result = run("opp", "pipeline", "--dept", "West", "--json")
        m.put("opp pipeline --dept West", user,
              0 if can_view(user, "opportunity") and (SCOPE[user] is ALL or "West" in SCOPE[user]) else 4, result.code)
        # the operation log: values only for record types the reader may view
        result = run("audit", "list", "--json", "--limit", "10000")
        if result.code == 0:
            leaked = sorted({r["record"].split(":")[0] for r in result.json()
                             if r["changes"] and r["record"].split(":")[0] in NOUN
                             and not can_view(user, NOUN[r["record"].split(":")[0]])})
            m.put("audit values of unviewable types", user, [], leaked)
        else:
            m.put("audit values of unviewable types", user, [] if not can_view(user, "audit") else "exit 0",
                  [] if result.code == 4 else f"exit {result.code}")
        # the pools: what sits in them, and what a recycle run would take
        result = run("pool", "customers", "--format", "ids")
        m.put("pool customers", user, sorted(pooled) if can_view(user, "pool") and can_view(user, "customer")
              else "exit 4", sorted(ids(result)) if result.code == 0 else f"exit {result.code}")
        result = run("pool", "simulate", "--as-of", "2028-01-01", "--json")
        owned = {r.id for r in w.of("customer") if r.owner is not None and w.sees(user, r)}
        m.put("pool simulate", user, sorted(owned) if can_view(user, "pool") else "exit 4",
              sorted({r["id"] for r in result.json()}) if result.code == 0 else f"exit {result.code}")
        # calendar export: no event or task title of someone outside the scope
        result = run("cal", "export", "--ics", "-", "--team", "--tasks")
        titles = sorted(k for k in ("E_E", "E_W", "T_E", "T_W") if result.code == 0 and f"{k.split('_')[0] == 'E' and 'Event' or 'Task'} {k}" in result.out)
        expected = sorted(k for k in ("E_E", "E_W", "T_E", "T_W")
                          if w.sees(user, w.recs[k]) and can_view(user, w.recs[k].kind)
                          and (SCOPE[user] is ALL or SCOPE[user] or w.recs[k].owner == user))
        m.put("cal export --team", user, expected if can_view(user, "event") else [], titles)
    wrong = m.report()
    assert not wrong, "\n".join(wrong)


# --- the write paths -----------------------------------------------------------------------------------


def _refusal(user: str, w: World, rec: Rec, permission: str) -> int:
    """0 allowed; 4 without the verb's permission (refused before the record is looked at, whether it
    exists or not); 3 outside scope (not found); 4 visible but without a scope that may change it."""
    if not can_do(user, permission):
        return 4
    if not w.sees(user, rec):
        return 3
    if not can_view(user, NOUN[rec.kind]) or not w.changes(user, rec):
        return 4
    return 0


def test_write_matrix(crm, world, session):
    """Each write on a record inside and outside each user's scope.  The writes that are allowed leave the
    records as they were (the same industry, a transfer to the current owner) or add rows the reads above
    do not count (a follow-up, a payment of 0.01, an invoice)."""
    from sqlalchemy import select

    from crmcli.store.models import Customer

    w = world
    m = Matrix("WRITE PATHS")
    owners = {"C_E": "rep_e", "C_W": "rep_w"}
    for n, user in enumerate(USERS):
        run = lambda *args: crm(*args, user=user)  # noqa: E731
        for key in ("C_E", "C_W"):
            rec = w.recs[key]
            m.put(f"customer edit {key}", user, _refusal(user, w, rec, "customer.edit"),
                  run("customer", "edit", rec.id, "--industry", "Steel").code)
            m.put(f"customer transfer {key}", user, _refusal(user, w, rec, "customer.transfer"),
                  run("customer", "transfer", rec.id, "--to", owners[key]).code)
            m.put(f"customer follow {key}", user, _refusal(user, w, rec, "followup.create"),
                  run("customer", "follow", rec.id, "--via", "phone", "--note", "called about the renewal").code)
            # claiming an owned customer: outside scope it is not found; inside, a conflict (it is owned)
            expected = 4 if not can_do(user, "customer.claim") else (3 if not w.sees(user, rec) else 5)
            m.put(f"pool claim {key}", user, expected, run("pool", "claim", rec.id).code)
            # import --on-duplicate update: a record outside scope is never updated
            data = f"name,industry\nCust {key},Hacked-{user}\n"
            crm("customer", "import", "-", "--input-format", "csv", "--dedupe-by", "name", "--on-duplicate",
                "update", "--on-error", "skip", user=user, stdin=data)
            with session() as s:
                industry = s.execute(select(Customer.industry).where(Customer.id == rec.id)).scalar_one()
            m.put(f"import update {key}", user, "Steel" if _refusal(user, w, rec, "customer.import") else
                  f"Hacked-{user}", industry)
            if industry != "Steel":
                crm("customer", "edit", rec.id, "--industry", "Steel")  # back, as admin
        for key in ("K_E", "K_W"):
            rec = w.recs[key]
            m.put(f"contract pay {key}", user, _refusal(user, w, rec, "payment.create"),
                  run("contract", "pay", rec.id, "--amount", "0.01").code)
            m.put(f"contract invoice {key}", user, _refusal(user, w, rec, "invoice.create"),
                  run("contract", "invoice", "add", rec.id, "--amount", "0.01", "--number", f"INV-{key}-{n}").code)
    wrong = m.report()
    assert not wrong, "\n".join(wrong)
