"""``crm demo``: a realistic demo organisation in a new database.

The demo is a list of **seed steps** (:data:`STEPS`).  Each step is a function
``step(session, actor, demo)`` that makes its part through the ordinary services
— so every change is checked like any other and lands in the operation log —
and notes what it made in ``demo.created``.  Later capabilities add their records
(leads, customers, opportunities …) by appending a step with :func:`add_step`;
a step that needs randomness asks ``demo.rng(name)``, a generator seeded by the
step's name, so every run makes the same organisation.  Times come from
:func:`crmcli.clock.now`, which honours ``CRM_NOW``.

The demo only fills a database that holds nothing beyond what ``crm init``
made (:func:`beyond_init`); anything more is refused as a conflict before a
single row is written.

The names below are demo *data* (a Chinese company with an international sales
team), not interface text, so they are not translated.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crmcli.errors import Conflict
from crmcli.i18n import _
from crmcli.services import departments, users
from crmcli.services.access import Actor, actor_for, require
from crmcli.store.models import AuditLog, Department, Role, User

if TYPE_CHECKING:
    from crmcli.services.bootstrap import InitResult
    from crmcli.store.engine import Target

SEED = 20261122
COMPANY = "星海科技"
EMAIL_DOMAIN = "starsea.example.com"

# name -> parent name (None: directly under the company, the top department)
DEPARTMENTS: list[tuple[str, str | None]] = [
    ("总经办", None),
    ("销售部", None),
    ("华东销售部", "销售部"),
    ("华南销售部", "销售部"),
    ("International Sales", "销售部"),
    ("市场部", None),
    ("客服部", None),
    ("财务部", None),
]


@dataclass(frozen=True)
class Person:
    login: str
    name: str
    dept: str
    role: str
    manager: str | None = None
    timezone: str = "Asia/Shanghai"
    phone: str = "+86 13# #### ####"  # each '#' becomes a digit from the step's seeded generator
    left: bool = False  # a former employee: disabled after the demo is built (users are never deleted)


# In order: everyone's manager comes before them.
PEOPLE: list[Person] = [
    # 总经办 — the general manager holds the extra super administrator role
    Person("zhangwei", "张伟", "总经办", "super_admin"),
    # 销售部 — the sales director sees every sales team below her (department_and_children)
    Person("wangfang", "王芳", "销售部", "sales_manager", "zhangwei"),
    # 华东销售部
    Person("zhaomin", "赵敏", "华东销售部", "sales_manager", "wangfang"),
    Person("liqiang", "李强", "华东销售部", "sales_rep", "zhaomin"),
    Person("zhoujie", "周杰", "华东销售部", "sales_rep", "zhaomin"),
    Person("sunli", "孙丽", "华东销售部", "sales_rep", "zhaomin"),
    Person("huanglei", "黄磊", "华东销售部", "sales_rep", "zhaomin"),
    Person("wuxia", "吴霞", "华东销售部", "sales_rep", "zhaomin"),
    Person("zhengkai", "郑凯", "华东销售部", "sales_rep", "zhaomin"),
    # 华南销售部
    Person("chenhao", "陈浩", "华南销售部", "sales_manager", "wangfang"),
    Person("linxiaoyu", "林小雨", "华南销售部", "sales_rep", "chenhao"),
    Person("hejun", "何军", "华南销售部", "sales_rep", "chenhao"),
    Person("guoting", "郭婷", "华南销售部", "sales_rep", "chenhao"),
    Person("fengyu", "冯宇", "华南销售部", "sales_rep", "chenhao"),
    Person("liumin", "刘敏", "华南销售部", "sales_rep", "chenhao", left=True),
    # International Sales
    Person("emily", "Emily Chen", "International Sales", "sales_manager", "wangfang",
           "Asia/Singapore", "+65 9### ####"),
    Person("james", "James Wilson", "International Sales", "sales_rep", "emily", "Europe/London", "+44 20 #### ####"),
    Person("sofia", "Sofia Martinez", "International Sales", "sales_rep", "emily", "Europe/Madrid", "+34 6## ### ###"),
    Person("kenji", "Kenji Tanaka", "International Sales", "sales_rep", "emily", "Asia/Tokyo", "+81 90 #### ####"),
    # 市场部
    Person("yangxue", "杨雪", "市场部", "marketing", "zhangwei"),
    Person("xuming", "徐明", "市场部", "marketing", "yangxue"),
    Person("maqian", "马倩", "市场部", "marketing", "yangxue"),
    Person("olivia", "Olivia Brown", "市场部", "marketing", "yangxue", "America/New_York", "+1 212 ### ####"),
    # 客服部
    Person("zhuhong", "朱红", "客服部", "customer_service", "zhangwei"),
    Person("hulin", "胡琳", "客服部", "customer_service", "zhuhong"),
    Person("gaofeng", "高峰", "客服部", "customer_service", "zhuhong"),
    Person("luojia", "罗佳", "客服部", "customer_service", "zhuhong"),
    # 财务部
    Person("songjia", "宋佳", "财务部", "finance", "zhangwei"),
    Person("tangwen", "唐文", "财务部", "finance", "songjia"),
]

LOGINS = frozenset(p.login for p in PEOPLE)


@dataclass
class Demo:
    """What the steps share: the company, what earlier steps made, and the counts for the summary."""

    company: str = COMPANY
    departments: dict[str, Department] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    created: dict[str, int] = field(default_factory=dict)

    def rng(self, name: str) -> random.Random:
        """A generator for one step, seeded by its name: steps stay reproducible when others are added."""
        return random.Random(f"{SEED}:{name}")

    def count(self, what: str, n: int = 1) -> None:
        self.created[what] = self.created.get(what, 0) + n


StepFunction = Callable[[Session, Actor, Demo], None]


@dataclass(frozen=True)
class Step:
    name: str
    run: StepFunction


# --- the steps ---------------------------------------------------------------------------


def _company(session: Session, actor: Actor, demo: Demo) -> None:
    """The top department ('Office' in a new database) becomes the company."""
    top = departments.top(session)
    if top.name != demo.company:
        top = departments.rename(session, actor, str(top.id), demo.company)
    demo.departments[demo.company] = top


def _departments(session: Session, actor: Actor, demo: Demo) -> None:
    for name, parent in DEPARTMENTS:
        parent_dept = demo.departments[parent or demo.company]
        demo.departments[name] = departments.add(session, actor, name, parent=f"#{parent_dept.id}")
        demo.count("departments")


def _users(session: Session, actor: Actor, demo: Demo) -> None:
    for person in PEOPLE:
        manager = demo.users[person.manager] if person.manager else None
        demo.users[person.login] = users.add(
            session, actor, person.login, person.name,
            email=f"{person.login}@{EMAIL_DOMAIN}",
            dept=f"#{demo.departments[person.dept].id}",
            manager=f"#{manager.id}" if manager else None,
            role_refs=[person.role], timezone=person.timezone,
        )
        demo.count("users")


def _profiles(session: Session, actor: Actor, demo: Demo) -> None:
    """Each person fills in their own phone number, as themselves: their first entries in the log."""
    rng = demo.rng("profiles")
    for person in PEOPLE:
        user = demo.users[person.login]
        phone = "".join(str(rng.randrange(10)) if ch == "#" else ch for ch in person.phone)
        users.edit(session, actor_for(session, user), person.login, phone=phone)


def _leavers(session: Session, actor: Actor, demo: Demo) -> None:
    """Someone left: disabled, never deleted (they own nothing yet, so nothing is handed over)."""
    for person in PEOPLE:
        if person.left:
            users.disable(session, actor, person.login, handover_to=person.manager)
            demo.count("disabled")


STEPS: list[Step] = [
    Step("company", _company),
    Step("departments", _departments),
    Step("users", _users),
    Step("profiles", _profiles),
    Step("leavers", _leavers),
]


def add_step(name: str, run: StepFunction, *, after: str | None = None) -> None:
    """Add a seed step (later capabilities add their records this way); at the end unless ``after``."""
    if any(step.name == name for step in STEPS):
        raise ValueError(f"demo step {name!r} exists")
    position = len(STEPS)
    if after is not None:
        names = [step.name for step in STEPS]
        if after not in names:
            raise ValueError(f"no demo step {after!r}")
        position = names.index(after) + 1
    STEPS.insert(position, Step(name, run))


# --- the guard ---------------------------------------------------------------------------

_INIT_TABLES = {"department", "user_account", "role", "role_permission", "user_role", "audit_log"}


def beyond_init(session: Session) -> list[str]:
    """What the database holds beyond a new one made by ``crm init`` (empty: it is new)."""
    from sqlmodel import SQLModel

    from crmcli.store import models

    models.load_all()  # every table
    found: list[str] = []
    n_depts = session.execute(select(func.count()).select_from(Department)).scalar_one()
    if n_depts > 1:
        found.append(_("{n} departments").format(n=n_depts))
    n_users = session.execute(select(func.count()).select_from(User)).scalar_one()
    if n_users > 1:
        found.append(_("{n} users").format(n=n_users))
    n_roles = session.execute(select(func.count()).select_from(Role).where(Role.builtin.is_(False))).scalar_one()
    if n_roles:
        found.append(_("{n} roles of its own").format(n=n_roles))
    n_log = session.execute(
        select(func.count()).select_from(AuditLog).where(AuditLog.action != "db.init")).scalar_one()
    if n_log:
        found.append(_("{n} operation-log entries").format(n=n_log))
    for table in SQLModel.metadata.sorted_tables:
        if table.name in _INIT_TABLES:
            continue
        n = session.execute(select(func.count()).select_from(table)).scalar_one()
        if n:
            found.append(_("{n} rows in {table}").format(n=n, table=table.name))
    return found


def check_admin_login(login: str) -> None:
    """The acting administrator must not be one of the demo's people (their login would be taken)."""
    if login in LOGINS:
        raise Conflict(
            _("the login '{login}' belongs to one of the demo's users").format(login=login),
            hint=_("act as another login, e.g. crm --user admin demo"),
        )


# --- the whole demo ------------------------------------------------------------------------


def prepare(target: "Target", admin_login: str) -> "InitResult | None":
    """Create the database when there is none yet (no SQLite file, or an empty PostgreSQL database).

    Returns what ``crm init`` would report, or None when a database is already there.
    """
    from sqlalchemy.exc import DBAPIError

    from crmcli.services import database
    from crmcli.store import engine as store_engine

    check_admin_login(admin_login)
    path = target.sqlite_path
    if path is not None:
        if path.exists():
            return None
    else:
        try:
            with store_engine.engine_for(target).connect() as conn:
                if store_engine.current_revision(conn) is not None:
                    return None
        except DBAPIError as exc:
            raise store_engine.describe_connect_error(target, exc) from None
    return database.initialise(target, admin_login)


@dataclass
class DemoResult:
    company: str
    created: dict[str, int]
    admins: list[str]
    users: list[str]


def build(session: Session, actor: Actor, where: str) -> DemoResult:
    """Run every step in the caller's transaction; refuse (nothing written) unless the database is new."""
    check_admin_login(actor.login)
    require(actor, "dept.create")
    require(actor, "user.create")
    existing = beyond_init(session)
    if existing:
        raise Conflict(
            _("{where} already holds data ({what}); crm demo fills only a new database").format(
                where=where, what=", ".join(existing)),
            hint=_("make a separate demo database: crm --db demo.sqlite demo"),
        )
    demo = Demo()
    for step in STEPS:
        step.run(session, actor, demo)
    session.flush()
    admins = [actor.login] + [p.login for p in PEOPLE if p.role == "super_admin"]
    return DemoResult(demo.company, demo.created, admins, [p.login for p in PEOPLE])
