"""``crm demo``: the records step — leads, customers, contacts and follow-ups of the demo's sales people.

Registered with :func:`crmcli.services.demo.add_step` as ``records``, after
``profiles`` and before ``leavers`` (so that 刘敏's records are handed over to
陈浩 when she leaves).  Everything goes through the ordinary services, acting as
the sales person who owns the record (or their manager, or marketing), so every
change is checked and logged as it would be from the command line.

The data is the same on every run (``demo.rng("records")``); times are relative
to :func:`crmcli.clock.now` (``CRM_NOW``): some next contacts are overdue, some
due today, some this week.  Names, companies and notes are demo *data*, not
interface text, so they are not translated.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crmcli import clock
from crmcli.services import contacts, customers, demo, fields, leads
from crmcli.services.access import Actor, actor_for
from crmcli.services.normalise import name_key
from crmcli.store.models import Contact, Customer, FollowUp, Lead

# --- the data ----------------------------------------------------------------------------------

SURNAMES = [("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
            ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
            ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("高", "gao"), ("林", "lin"),
            ("罗", "luo"), ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"), ("唐", "tang"),
            ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"), ("彭", "peng"), ("曾", "zeng"),
            ("肖", "xiao"), ("田", "tian"), ("董", "dong"), ("潘", "pan"), ("袁", "yuan"), ("蔡", "cai"),
            ("蒋", "jiang"), ("余", "yu"), ("叶", "ye")]
GIVEN = [("建国", "jianguo"), ("志强", "zhiqiang"), ("海燕", "haiyan"), ("丽娟", "lijuan"), ("晓明", "xiaoming"),
         ("文博", "wenbo"), ("雅婷", "yating"), ("俊杰", "junjie"), ("欣怡", "xinyi"), ("子轩", "zixuan"),
         ("浩然", "haoran"), ("静", "jing"), ("磊", "lei"), ("鹏", "peng"), ("敏", "min"), ("涛", "tao"),
         ("勇", "yong"), ("婷", "ting"), ("宇航", "yuhang"), ("国华", "guohua"), ("秀英", "xiuying"),
         ("立新", "lixin"), ("春梅", "chunmei"), ("振宇", "zhenyu"), ("思远", "siyuan"), ("佳琪", "jiaqi"),
         ("明辉", "minghui"), ("玉兰", "yulan"), ("德华", "dehua"), ("晨", "chen"), ("红霞", "hongxia"),
         ("卫东", "weidong")]
FIRST = ["Oliver", "Amelia", "Lucas", "Mia", "Noah", "Isla", "Daniel", "Grace", "Hugo", "Chloe", "Mateo",
         "Lucia", "Hiroshi", "Yuki", "Aiko", "Ren", "Wei Ling", "Arjun", "Priya", "Thomas", "Sarah", "Ethan",
         "Hannah", "Carlos", "Elena", "Marcus", "Nadia"]
LAST = ["Smith", "Jones", "Taylor", "Brown", "Garcia", "Fernandez", "Lopez", "Sato", "Suzuki", "Takahashi",
        "Tan", "Lim", "Ng", "Müller", "Schmidt", "Rossi", "Clarke", "Patel", "Walker", "O'Brien", "Nakamura"]

# (city, pinyin, area code, credit-code region) by team
CITIES = {
    "华东销售部": [("上海", "sh", "021", "310115"), ("苏州", "suzhou", "0512", "320505"),
                ("杭州", "hz", "0571", "330106"), ("南京", "nj", "025", "320104"), ("宁波", "nb", "0574", "330203"),
                ("无锡", "wuxi", "0510", "320214")],
    "华南销售部": [("深圳", "sz", "0755", "440305"), ("广州", "gz", "020", "440106"),
                ("东莞", "dg", "0769", "441900"), ("佛山", "fs", "0757", "440604"), ("厦门", "xm", "0592", "350206"),
                ("珠海", "zh", "0756", "440402")],
}
BRANDS = [("恒瑞", "hengrui"), ("华信", "huaxin"), ("金石", "jinshi"), ("瑞丰", "ruifeng"), ("天工", "tiangong"),
          ("宏达", "hongda"), ("博远", "boyuan"), ("中联", "zhonglian"), ("新元", "xinyuan"), ("汇通", "huitong"),
          ("嘉禾", "jiahe"), ("锦泰", "jintai"), ("永盛", "yongsheng"), ("盛世", "shengshi"), ("鼎新", "dingxin"),
          ("华瑞", "huarui"), ("同创", "tongchuang"), ("启明", "qiming"), ("海川", "haichuan"), ("远航", "yuanhang"),
          ("凯德", "kaide"), ("明阳", "mingyang"), ("联创", "lianchuang"), ("安泰", "antai"), ("星辰", "xingchen"),
          ("富华", "fuhua"), ("长风", "changfeng"), ("云帆", "yunfan")]
# (Chinese business, slug, English business, industry, GB/T 4754 code)
INDUSTRIES = [("精密机械", "machinery", "Precision Machinery", "制造业", "C34"),
              ("电子科技", "electronics", "Electronics", "电子", "C39"),
              ("供应链管理", "supplychain", "Logistics", "物流", "G58"),
              ("软件", "soft", "Software", "软件与信息服务", "I65"),
              ("医疗器械", "medical", "Medical Systems", "医疗", "C35"),
              ("新材料", "materials", "Advanced Materials", "化工", "C26"),
              ("食品", "food", "Foods", "食品", "C14"),
              ("国际贸易", "trading", "Trading", "批发零售", "F51"),
              ("建设工程", "build", "Engineering", "建筑", "E48"),
              ("教育科技", "edu", "Learning", "教育", "P83")]
SUFFIXES = ["有限公司", "有限公司", "股份有限公司", "有限责任公司", "集团有限公司"]
PREFIXES = ["Northwind", "Contoso", "Fabrikam", "Blue Harbor", "Silverline", "Redwood", "Brightpath", "Summit",
            "Pioneer", "Evergreen", "Atlas", "Meridian", "Crescent", "Apex", "Harbourside", "Lumen", "Kestrel",
            "Orchid", "Tidewater", "Granite"]
# international sales people: (region, phone pattern, company suffixes, web suffix)
ABROAD = {
    "emily": ("Singapore", "+65 9### ####", ["Pte Ltd"], "sg"),
    "james": ("London", "+44 7700 9#####", ["Ltd", "plc"], "co.uk"),
    "sofia": ("Madrid", "+34 6## ### ###", ["S.L.", "S.A."], "es"),
    "kenji": ("Tokyo", "+81 90 #### ####", ["K.K.", "Co., Ltd."], "jp"),
}
TITLES_CN = ["采购经理", "技术总监", "总经理", "IT经理", "行政主管", "生产经理", "财务总监", "项目经理"]
TITLES_EN = ["Purchasing Manager", "CTO", "Managing Director", "IT Manager", "Operations Director",
             "Head of Procurement", "Project Manager"]
ROLES_CN = ["采购", "技术负责人", "决策人", "财务", "使用人"]
ROLES_EN = ["purchasing manager", "technical lead", "decision maker", "finance", "user"]
TAGS = ["展会2026", "重点", "老客户推荐", "hot", "渠道", "VIP"]
CAMPAIGNS = ["2026 工博会", "双十一促销", "线上研讨会 11月", "Autumn Webinar", "CIIE 2026"]
INVALID_REASONS = ["空号，无法联系", "无采购需求", "同行，非客户", "重复线索", "学生咨询，无预算",
                   "Wrong number", "No budget this year", "Competitor research"]
NOTES_CN = ["电话沟通了需求，对方要一份报价单", "发送了产品资料和案例", "上门拜访，见了采购和技术负责人",
            "微信沟通，约了下周演示", "对方预算在审批中，月底再跟", "演示后反馈不错，需要内部讨论",
            "询问了售后服务和交付周期", "发了短信提醒研讨会时间"]
NOTES_EN = ["Call about their requirements; they asked for a quote", "Sent the brochure and two case studies",
            "Visited the office, met procurement and the CTO", "Demo booked for next week",
            "Budget is being approved, follow up at month end", "Good feedback after the demo; internal review"]
VIA_BY_NOTE_CN = ["phone", "email", "visit", "wechat", "phone", "visit", "phone", "sms"]
VIA_BY_NOTE_EN = ["phone", "email", "visit", "email", "phone", "visit"]

# How much each sales person has: (leads, customers).
VOLUME = {"sales_rep": (12, 6), "sales_manager": (4, 3)}
WANGFANG_VOLUME = (2, 2)  # the director keeps a couple of strategic accounts
SHOWCASE = ("liqiang", "杭州联创电子科技有限公司")  # the customer the hints show: `crm customer show 杭州联创…`
EVENT_LEADS = 12  # brought in by marketing (杨雪) from an expo; some handed to sales, the rest left in the pool


def credit_code_for(region: str, rng: random.Random) -> str:
    """A valid 统一社会信用代码 (GB 32100-2015) for a company registered in ``region``."""
    from crmcli.services.normalise import _CREDIT_CHARS, _CREDIT_WEIGHTS

    body = "91" + region + "".join(rng.choice(_CREDIT_CHARS[:10] + "ABCDEFGH") for _ in range(9))
    total = sum(_CREDIT_CHARS.index(ch) * w for ch, w in zip(body, _CREDIT_WEIGHTS))
    return body + _CREDIT_CHARS[(31 - total % 31) % 31]


@dataclass
class Company:
    name: str
    domain: str
    industry: str
    code: str
    region: str
    city: dict[str, str]
    phone: str
    credit_code: str | None
    website: str


class Maker:
    """Draws names, companies, phones and e-mails, never the same twice (so dedupe lets them in)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.names: set[str | None] = set()
        self.phones: set[str] = set()
        self.emails: set[str] = set()
        self.domains: set[str] = set()
        self.people: set[str] = set()

    def digits(self, pattern: str) -> str:
        while True:
            value = "".join(str(self.rng.randrange(10)) if ch == "#" else ch for ch in pattern)
            if value not in self.phones:
                self.phones.add(value)
                return value

    def mobile_cn(self) -> str:
        return self.digits(self.rng.choice(["138", "139", "136", "150", "158", "186", "188", "135"]) + " #### ####")

    def email(self, local: str, domain: str) -> str:
        value = f"{local}@{domain}"
        n = 2
        while value in self.emails:
            value, n = f"{local}{n}@{domain}", n + 1
        self.emails.add(value)
        return value

    def company(self, team: str, login: str) -> Company:
        rng = self.rng
        while True:
            industry = rng.choice(INDUSTRIES)
            if login in ABROAD:
                region, phone, suffixes, web = ABROAD[login]
                prefix = rng.choice(PREFIXES)
                name = f"{prefix} {industry[2]} {rng.choice(suffixes)}"
                domain = f"{prefix.lower().replace(' ', '')}-{industry[1]}.{web}"
                city = {"name": region, "phone": phone}
                credit = None
            else:
                city_name, city_slug, area, credit_region = rng.choice(CITIES.get(team, CITIES["华东销售部"]))
                brand, brand_slug = rng.choice(BRANDS)
                name = f"{city_name}{brand}{industry[0]}{rng.choice(SUFFIXES)}"
                domain = f"{brand_slug}-{industry[1]}.com.cn"
                if domain in self.domains:
                    domain = f"{brand_slug}-{city_slug}.com.cn"
                region = city_name
                city = {"name": city_name, "phone": f"{area}-{rng.choice('568')}### ####"}
                credit = credit_code_for(credit_region, rng)
            key = name_key(name)
            if key in self.names or domain in self.domains:
                continue
            self.names.add(key)
            self.domains.add(domain)
            return Company(name, domain, industry[3], industry[4], region, city, self.digits(city["phone"]),
                           credit, f"https://www.{domain}")

    def person(self, abroad: str | None, domain: str) -> dict[str, Any]:
        while True:  # one name, one person: a converted lead without a company must not match another
            found = self._person(abroad, domain)
            if found["name"] not in self.people:
                self.people.add(found["name"])
                found["email"] = self.email(found.pop("local"), domain)
                return found

    def _person(self, abroad: str | None, domain: str) -> dict[str, Any]:
        rng = self.rng
        if abroad:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            local = f"{first.split()[0]}.{last}".lower().replace("'", "").replace("ü", "u")
            return {"name": f"{first} {last}", "title": rng.choice(TITLES_EN),
                    "mobile": self.digits(ABROAD[abroad][1]), "local": local}
        (surname, s_py), (given, g_py) = rng.choice(SURNAMES), rng.choice(GIVEN)
        return {"name": surname + given, "title": rng.choice(TITLES_CN), "mobile": self.mobile_cn(),
                "local": f"{g_py}.{s_py}"}


# --- times --------------------------------------------------------------------------------------------


def _next_contact(rng: random.Random, now: datetime, tz: str, when: str) -> tuple[datetime, datetime]:
    """(a past follow-up time, the next contact) so that the next contact is overdue, today, this week or later."""
    local = now.astimezone(ZoneInfo(tz))
    if when == "overdue":
        at = now - timedelta(days=rng.randint(5, 12), hours=rng.randint(0, 6))
        return at, now - timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 5))
    at = now - timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 8))
    if when == "today":
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        slot = start + timedelta(hours=rng.randint(10, 17), minutes=rng.choice([0, 30]))
        if slot <= local:  # the working day is over (or nearly): later this evening
            slot = local + timedelta(minutes=rng.choice([30, 45, 60]))
            if slot.date() != local.date():
                slot = local.replace(hour=23, minute=59, second=0, microsecond=0)
                if slot <= local:
                    slot = local + timedelta(seconds=30)
        return at, slot.astimezone(now.tzinfo)
    if when == "week":
        return at, (local + timedelta(days=rng.randint(2, 5), hours=rng.randint(0, 4))).astimezone(now.tzinfo)
    return at, now + timedelta(days=rng.randint(10, 40))


PATTERNS = ["overdue", "today", "week", "week", "later", "later", None]


def _pattern(rng: random.Random, seller: "Seller", deck: str) -> str | None:
    """What the latest follow-up leaves as the next contact: each seller draws from their own shuffled decks
    (one for leads, one for customers, one for contacts), so everyone has leads and customers overdue, due
    today and due this week."""
    cards = seller.decks.setdefault(deck, [])
    if not cards:  # overdue and today come first, the rest in any order
        first, rest = PATTERNS[:2], PATTERNS[2:]
        rng.shuffle(first)
        rng.shuffle(rest)
        cards += reversed(first + rest)
    return cards.pop()


# --- the step -----------------------------------------------------------------------------------------


@dataclass
class Seller:
    login: str
    team: str
    actor: Actor
    tz: str
    manager: Actor | None
    abroad: str | None
    decks: dict[str, list[str | None]] = field(default_factory=dict)


def _follow(session: Session, follow: Any, seller: Seller, ref: str, rng: random.Random, now: datetime,
            count: int, deck: str | None) -> None:
    """``count`` follow-ups of one record, oldest first; the last sets the next contact drawn from ``deck``
    (none without a deck: the record is about to be closed)."""
    notes, vias = (NOTES_EN, VIA_BY_NOTE_EN) if seller.abroad else (NOTES_CN, VIA_BY_NOTE_CN)
    pattern = _pattern(rng, seller, deck) if deck else None
    last_at, next_at = _next_contact(rng, now, seller.tz, pattern or "later")
    times = sorted(last_at - timedelta(days=rng.randint(3, 30) * (i + 1)) for i in range(count - 1)) + [last_at]
    for i, at in enumerate(times):
        n = rng.randrange(len(notes))
        follow(session, seller.actor, ref, vias[n], notes[n], at=at,
               next_contact=next_at if i == len(times) - 1 and pattern else None)


def _customers(session: Session, seller: Seller, maker: Maker, rng: random.Random, now: datetime, n: int,
               state: demo.Demo, colleagues: list[str]) -> list[int]:
    made: list[int] = []
    for i in range(n):
        showcase = i == 0 and seller.login == SHOWCASE[0]  # a key account with everything on it
        if showcase:
            domain = "lianchuang-electronics.com.cn"
            company = Company(SHOWCASE[1], domain, "电子", "C39", "杭州", {"name": "杭州"},
                              maker.digits("0571-8### ####"), credit_code_for("330106", rng), f"https://www.{domain}")
        else:
            company = maker.company(seller.team, seller.login)
        tier = "A" if showcase else rng.choices(["A", "B", "C", None], weights=[2, 4, 4, 1])[0]
        values = {"name": company.name, "industry": company.industry, "tier": tier,
                  "source": rng.choice(leads.SOURCES), "region": company.region, "phone": company.phone,
                  "website": company.website, "address": f"{company.region}" if seller.abroad else
                  f"{company.region}市{rng.choice(['高新区', '工业园区', '经济开发区', '科技园'])}"
                  f"{rng.randint(1, 300)}号", "credit_code": company.credit_code}
        custom = {"industry_code": company.code} if not seller.abroad or rng.random() < 0.5 else None
        customer = customers.add(session, seller.actor, values,
                                 tags=[rng.choice(TAGS)] if rng.random() < 0.35 else None, custom=custom)
        ref = f"#{customer.id}"
        made.append(customer.id)
        # contacts: 1-3, the first primary; some with a birthday
        for k in range(3 if showcase else rng.choice([1, 1, 2, 2, 2, 3])):
            person = maker.person(seller.abroad, company.domain)
            roles = ROLES_EN if seller.abroad else ROLES_CN
            person["role"] = rng.choice(roles[:3]) if k == 0 else rng.choice(roles)
            if not seller.abroad and rng.random() < 0.5:
                person["wechat"] = "wx_" + person["email"].split("@")[0].replace(".", "_")
            birthday = None
            if rng.random() < 0.6:
                birthday = date(rng.randint(1965, 1996), rng.randint(1, 12), rng.randint(1, 28))
                if rng.random() < 0.1:  # a birthday this week, to be remembered
                    soon = (now + timedelta(days=rng.randint(0, 6))).date()
                    birthday = date(rng.randint(1970, 1992), soon.month, min(soon.day, 28))
            contact = contacts.add(session, seller.actor, ref, person, birthday=birthday,
                                   primary=(k == 1 and rng.random() < 0.2))
            if rng.random() < 0.25:
                _follow(session, contacts.follow, seller, f"#{contact.id}", rng, now, 1, "contact")
        # follow-ups: most customers have a history (the first makes a new customer active)
        if showcase or rng.random() < 0.8:
            status = "active" if showcase else rng.choices(["active", "maintaining", "inactive", "closed"],
                                                           weights=[6, 3, 1, 1])[0]
            _follow(session, customers.follow, seller, ref, rng, now, 4 if showcase else rng.randint(1, 4),
                    "customer" if status != "closed" else None)
            if status != "active":
                customers.set_status(session, seller.actor, [ref], status)
        # a colleague co-maintains some (客户团队)
        if showcase:
            customers.team_add(session, seller.actor, ref, "zhoujie", "write")
        elif colleagues and rng.random() < 0.25:
            customers.team_add(session, seller.actor, ref, rng.choice(colleagues), rng.choice(["read", "write"]))
        # the team's manager locks the key accounts (exempt from recycling into the pool)
        if seller.manager is not None and tier == "A" and (showcase or rng.random() < 0.6):
            customers.set_locked(session, seller.manager, [ref], True)
    return made


def _leads(session: Session, seller: Seller, maker: Maker, rng: random.Random, now: datetime, n: int,
           state: demo.Demo) -> None:
    for _i in range(n):
        company = maker.company(seller.team, seller.login)
        person = maker.person(seller.abroad, company.domain)
        values = {"name": person["name"], "company": company.name, "title": person["title"],
                  "mobile": person["mobile"], "email": person["email"], "website": company.website,
                  "region": company.region, "industry": company.industry,
                  "source": rng.choice(leads.SOURCES),
                  "campaign": rng.choice(CAMPAIGNS) if rng.random() < 0.3 else None,
                  "score": rng.choice([10, 20, 35, 50, 60, 75, 90])}
        if rng.random() < 0.15:  # a person, not a company
            del values["company"], values["website"]
        if rng.random() < 0.2:
            values["phone"] = company.phone
        lead = leads.add(session, seller.actor, values, tags=[rng.choice(TAGS)] if rng.random() < 0.3 else None)
        ref = f"#{lead.id}"
        fate = rng.choices(["new", "followed", "qualified", "invalid", "converted"], weights=[3, 4, 2, 2, 2])[0]
        if fate == "new":
            continue
        if fate in ("followed", "converted", "invalid") or rng.random() < 0.5:
            _follow(session, leads.follow, seller, ref, rng, now, rng.randint(1, 3),
                    "lead" if fate in ("followed", "qualified") else None)
        if fate == "qualified" and lead.status == "new":
            leads.qualify(session, seller.actor, [ref])
        elif fate == "invalid":
            leads.invalidate(session, seller.actor, [ref], rng.choice(INVALID_REASONS))
        elif fate == "converted":
            leads.convert(session, seller.actor, [ref])


def _event_leads(session: Session, state: demo.Demo, maker: Maker, rng: random.Random,
                 sellers: dict[str, Seller]) -> None:
    """Marketing (杨雪) enters expo leads; she hands some to the East China team, the rest wait in the pool."""
    marketing = actor_for(session, state.users["yangxue"])
    east = [login for login, s in sellers.items() if s.team == "华东销售部" and s.manager is not None]
    for i in range(EVENT_LEADS):
        company = maker.company("华东销售部", "yangxue")
        person = maker.person(None, company.domain)
        lead = leads.add(session, marketing, {
            "name": person["name"], "company": company.name, "title": person["title"], "mobile": person["mobile"],
            "email": person["email"], "region": company.region, "industry": company.industry, "source": "event",
            "campaign": "2026 工博会"}, owner="me" if i % 3 else "none", tags=["展会2026"])
        if i % 3 and i % 2:
            leads.transfer(session, marketing, [f"#{lead.id}"], rng.choice(east))


def _records(session: Session, actor: Actor, state: demo.Demo) -> None:
    rng = state.rng("records")
    maker = Maker(rng)
    maker.names.add(name_key(SHOWCASE[1]))
    maker.domains.add("lianchuang-electronics.com.cn")
    now = clock.now()
    fields.add(session, actor, "customer", "industry_code", "text", label="行业代码 (GB/T 4754)")
    people = {p.login: p for p in demo.PEOPLE}
    actors: dict[str, Actor] = {}

    def actor_of(login: str) -> Actor:
        if login not in actors:
            actors[login] = actor_for(session, state.users[login])
        return actors[login]

    sellers: dict[str, Seller] = {}
    for person in demo.PEOPLE:
        if person.role not in VOLUME:
            continue
        manager = people.get(person.manager) if person.manager else None
        sellers[person.login] = Seller(
            person.login, person.dept, actor_of(person.login), person.timezone,
            actor_of(manager.login) if manager is not None and manager.role == "sales_manager" else None,
            person.login if person.login in ABROAD else None)
    for seller in sellers.values():
        n_leads, n_customers = VOLUME[people[seller.login].role]
        if seller.login == "wangfang":
            n_leads, n_customers = WANGFANG_VOLUME
        colleagues = [s.login for s in sellers.values()
                      if s.team == seller.team and s.login != seller.login and not people[s.login].left]
        _customers(session, seller, maker, rng, now, n_customers, state, colleagues)
        _leads(session, seller, maker, rng, now, n_leads, state)
    _event_leads(session, state, maker, rng, sellers)
    # a hand-over between colleagues: 郑凯 gives two customers to 吴霞 and stays on their team (read)
    mine = list(session.execute(select(Customer.id).where(
        Customer.owner_id == state.users["zhengkai"].id).order_by(Customer.id).limit(2)).scalars())
    customers.transfer(session, actor_of("zhaomin"), [f"#{i}" for i in mine], "wuxia", with_contacts=True,
                       keep_member="read", reason="区域调整")
    for what, model in (("leads", Lead), ("customers", Customer), ("contacts", Contact), ("follow-ups", FollowUp)):
        state.count(what, session.execute(select(func.count()).select_from(model)).scalar_one())


demo.add_step("records", _records, after="profiles")
