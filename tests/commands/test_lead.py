"""``crm lead``: add, list (the shared filter grammar and keyset paging), show, edit, follow,
transfer/assign, qualify, invalidate, lifecycle rules, free-text search, the operation log and bad input.

Data scope (who sees which lead) is in test_lead_scope.py; the filter engine's units in
tests/services/test_filters.py.  Every test runs on SQLite and, with CRM_TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import shlex
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select

from crmcli.store.models import AuditLog, FollowUp, Lead, Tag
from tests.commands._org import snapshot
from tests.commands.test_bad_input import assert_refused

NOW = "2026-11-20T10:00:00+00:00"  # a Friday
UTC = timezone.utc


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)


def add(crm, name: str, *args, user: str = "admin") -> int:
    result = crm("lead", "add", name, *args, "--json", user=user)
    assert result.code == 0, result
    return result.json()["id"]


def ids(crm, *args, user: str = "admin") -> list[int]:
    result = crm("lead", "list", *args, "--format", "ids", user=user)
    assert result.code == 0, result
    return [int(x) for x in result.out.split()]


def lead(session, lead_id: int) -> Lead:
    with session() as s:
        row = s.get(Lead, lead_id)
        s.expunge_all()
        return row


def tags(session, lead_id: int) -> list[str]:
    with session() as s:
        return sorted(s.execute(select(Tag.tag).where(Tag.record_type == "lead", Tag.record_id == lead_id)).scalars())


def log(session, action: str | None = None) -> list[AuditLog]:
    with session() as s:
        query = select(AuditLog).order_by(AuditLog.id)
        if action:
            query = query.where(AuditLog.action == action)
        return list(s.execute(query).scalars())


def log_count(session) -> int:
    with session() as s:
        return s.execute(select(func.count()).select_from(AuditLog)).scalar_one()


def add_field(crm, name: str, type_: str, *args) -> None:
    """A lead custom field, the way a user makes one."""
    result = crm("field", "add", "lead", name, "--type", type_, *args)
    assert result.code == 0, result


def user(crm, login: str, *args) -> None:
    result = crm("user", "add", login, *args)
    assert result.code == 0, result


# --- add -------------------------------------------------------------------------------------


def test_add_with_every_field(crm, session):
    result = crm("lead", "add", "张伟", "--company", "华为技术有限公司", "--title", "CTO", "--phone", "010-12345678",
                 "--mobile", "138 0013 8000", "--email", "Zhang.Wei@Huawei.com", "--website", "https://huawei.com",
                 "--address", "深圳市龙岗区", "--region", "Guangdong", "--industry", "Telecom", "--source", "EVENT",
                 "--campaign", "expo2026", "--score", "40", "--tag", "vip,hot", "--tag", " vip ",
                 "--next", "2026-11-25 14:30", "--json")
    assert result.code == 0, result
    data = result.json()
    assert {k: data[k] for k in ("id", "name", "company", "title", "phone", "mobile", "email", "website", "address",
                                 "region", "industry", "source", "campaign", "score", "status", "owner", "tags",
                                 "next_contact_at", "last_followup_at", "custom")} == {
        "id": 1, "name": "张伟", "company": "华为技术有限公司", "title": "CTO", "phone": "010-12345678",
        "mobile": "138 0013 8000", "email": "Zhang.Wei@Huawei.com", "website": "https://huawei.com",
        "address": "深圳市龙岗区", "region": "Guangdong", "industry": "Telecom", "source": "event",
        "campaign": "expo2026", "score": 40, "status": "new", "owner": "admin", "tags": ["hot", "vip"],
        "next_contact_at": "2026-11-25T14:30:00+00:00", "last_followup_at": None, "custom": {}}
    row = lead(session, 1)
    assert (row.owner_id, row.created_by, row.owned_since, row.created_at) == (1, 1, at(NOW), at(NOW))
    assert (row.email_key, row.phone_key) == ("zhang.wei@huawei.com", "+8613800138000")  # mobile first
    assert tags(session, 1) == ["hot", "vip"]
    [entry] = log(session, "lead.add")
    assert (entry.actor_login, entry.record_type, entry.record_id, entry.record_label) == (
        "admin", "lead", 1, "张伟 (华为技术有限公司)")
    assert entry.changes["tags"] == [None, ["hot", "vip"]]
    assert entry.changes["source"] == [None, "event"]
    assert entry.changes["next_contact_at"] == [None, "2026-11-25T14:30:00+00:00"]
    assert entry.changes["owner_id"] == [None, 1]
    assert entry.command.startswith("crm --user admin lead add '张伟' --company '华为技术有限公司'")


def test_add_shows_the_lead_as_a_record(crm):
    result = crm("lead", "add", "Li Na", "--company", "Acme", "--format", "plain")
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert lines[0].split() == ["id", "1"]
    assert lines[2].split() == ["company", "Acme"]
    assert any(line.split() == ["status", "new"] for line in lines)
    assert any(line.split() == ["owner", "admin"] for line in lines)


def test_add_is_mine_by_default_and_owner_none_puts_it_in_the_lead_pool(crm, session):
    user(crm, "bob")
    mine = add(crm, "Mine")
    me = add(crm, "Also mine", "--owner", "me")
    pooled = add(crm, "Pooled", "--owner", "none")
    bobs = add(crm, "Bob's", "--owner", "bob")
    assert (lead(session, mine).owner_id, lead(session, me).owner_id) == (1, 1)
    row = lead(session, pooled)
    assert (row.owner_id, row.owned_since, row.created_by) == (None, None, 1)
    assert lead(session, bobs).owner_id == 2
    assert ids(crm, "--owner", "none") == [pooled]
    assert ids(crm, "--owner", "me") == [me, mine]
    assert ids(crm, "--owner", "bob") == [bobs]
    assert crm("lead", "show", str(pooled), "--json").json()["owner"] is None


def test_add_with_custom_fields(crm, session):
    add_field(crm, "budget", "number")
    add_field(crm, "vip", "bool")
    new = add(crm, "Zhao", "--set", "budget=50000", "--set", "vip=是")
    assert lead(session, new).custom == {"budget": 50000, "vip": True}
    assert log(session, "lead.add")[0].changes["custom"] == [None, {"budget": 50000, "vip": True}]


def test_add_trims_and_keeps_empty_optional_fields_empty(crm, session):
    new = add(crm, "  Wang  ", "--company", "  ", "--email", "")
    row = lead(session, new)
    assert (row.name, row.company, row.email, row.email_key) == ("Wang", None, None, None)


# --- list: filters -----------------------------------------------------------------------------


@pytest.fixture
def book(crm, monkeypatch) -> dict[str, int]:
    """Five leads made at different times, owners, sources, tags, statuses and next-contact times.

    1 张伟     华为技术有限公司  admin  event     vip       new         created 11-01, next 11-19 09:00 (overdue)
    2 Li Na    Acme Trading Ltd  bob    web       vip, hot  new         created 11-10, next 11-20 15:00 (today)
    3 Wang Fang 中兴通讯          (pool) referral  -         new         created 11-15, next 11-24 (this week)
    4 Chen Jie 华为终端           admin  web       -         invalid     created 11-20
    5 Zhao Lei Tencent           bob    event     hot       qualifying  created 11-20, next 12-15, score 80
    """
    user(crm, "bob", "--name", "Bob")
    made = {}

    def make(key, when, *args):
        monkeypatch.setenv("CRM_NOW", when)
        made[key] = add(crm, *args)

    make("zhang", "2026-11-01T08:00:00+00:00", "张伟", "--company", "华为技术有限公司", "--mobile", "13800138000",
         "--email", "zhang.wei@huawei.com", "--source", "event", "--tag", "vip", "--next", "2026-11-19 09:00")
    make("li", "2026-11-10T08:00:00+00:00", "Li Na", "--company", "Acme Trading Ltd", "--phone", "021-55501234",
         "--email", "LINA@ACME.example", "--source", "web", "--tag", "vip,hot", "--owner", "bob",
         "--next", "2026-11-20 15:00", "--region", "Shanghai")
    make("wang", "2026-11-15T08:00:00+00:00", "Wang Fang", "--company", "中兴通讯", "--source", "referral",
         "--owner", "none", "--next", "2026-11-24")
    make("chen", NOW, "Chen Jie", "--company", "华为终端", "--source", "web", "--score", "20")
    make("zhao", NOW, "Zhao Lei", "--company", "Tencent", "--source", "event", "--tag", "hot", "--owner", "bob",
         "--score", "80", "--next", "2026-12-15")
    monkeypatch.setenv("CRM_NOW", NOW)
    assert crm("lead", "invalidate", made["chen"], "--reason", "duplicate").code == 0
    assert crm("lead", "qualify", made["zhao"]).code == 0
    assert made == {"zhang": 1, "li": 2, "wang": 3, "chen": 4, "zhao": 5}
    return made


def test_list_shows_every_lead_newest_first(crm, book):
    assert ids(crm) == [5, 4, 3, 2, 1]  # 4 and 5 were made at the same instant: the higher id first
    result = crm("lead", "list", "--format", "tsv")
    rows = result.rows()
    assert rows[0] == ["id", "name", "company", "status", "source", "owner", "mobile", "email", "next_contact_at",
                       "created_at"]
    assert rows[-1] == ["1", "张伟", "华为技术有限公司", "new", "event", "admin", "13800138000", "zhang.wei@huawei.com",
                        "2026-11-19T09:00:00+00:00", "2026-11-01T08:00:00+00:00"]
    assert result.err == ""  # one page: no "more:" hint


def test_list_json_carries_tags_and_owner(crm, book):
    rows = {r["id"]: r for r in crm("lead", "list", "--json").json()}
    assert rows[2]["tags"] == ["hot", "vip"] and rows[2]["owner"] == "bob"
    assert rows[3]["owner"] is None
    assert rows[4]["status"] == "invalid" and rows[4]["invalid_reason"] == "duplicate"


@pytest.mark.parametrize("args, expected", [
    (("--owner", "me"), [4, 1]),
    (("--owner", "bob"), [5, 2]),
    (("--owner", "none"), [3]),
    (("--owner", "pool"), [3]),
    (("--status", "new"), [3, 2, 1]),
    (("--status", "new", "--status", "qualifying"), [5, 3, 2, 1]),
    (("--status", "invalid"), [4]),
    (("--status", "converted"), []),
    (("--source", "web"), [4, 2]),
    (("--source", "web", "--source", "event"), [5, 4, 2, 1]),
    (("--tag", "vip"), [2, 1]),
    (("--tag", "vip", "--tag", "hot"), [2]),
    (("--tag", "vip,hot"), [2]),
    (("--tag", "nosuch"), []),
    (("--created", "2026-11-10..2026-11-15"), [3, 2]),  # the until day counts whole
    (("--created", "2026-11-16.."), [5, 4]),
    (("--created", "..2026-11-01"), [1]),
    (("--created", "-7d.."), [5, 4, 3]),
    (("--created", "2026-11-10T08:00:00+00:00..2026-11-10T08:00:00+00:00"), [2]),
    (("--next-contact", "overdue"), [1]),
    (("--next-contact", "today"), [2]),
    (("--next-contact", "week"), [3, 2]),
    (("--next-contact", "OVERDUE"), [1]),
    (("--where", "score>50"), [5]),
    (("--where", "score>=20"), [5, 4]),
    (("--where", "score=0"), [3, 2, 1]),
    (("--where", "company~华为"), [4, 1]),
    (("--where", "company~acme"), [2]),
    (("--where", "email=LINA@ACME.example"), [2]),
    (("--where", "region="), [5, 4, 3, 1]),
    (("--where", "region!="), [2]),
    (("--where", "name!=Li Na"), [5, 4, 3, 1]),
])
def test_list_filters(crm, book, args, expected):
    assert ids(crm, *args) == expected


@pytest.mark.parametrize("args, expected", [
    (("--owner", "bob", "--source", "web", "--tag", "vip"), [2]),
    (("--owner", "bob", "--status", "new"), [2]),
    (("--status", "new", "--created", "2026-11-05.."), [3, 2]),
    (("--source", "event", "--next-contact", "overdue"), [1]),
    (("--tag", "hot", "--search", "tencent"), [5]),
    (("--search", "华为", "--status", "new"), [1]),
    (("--search", "华为", "--where", "score>10"), [4]),
    (("--owner", "me", "--tag", "hot"), []),
    (("--owner", "none", "--next-contact", "week", "--source", "referral"), [3]),
])
def test_list_combined_filters(crm, book, args, expected):
    assert ids(crm, *args) == expected


def test_next_contact_windows_follow_the_users_time_zone(crm, session, monkeypatch):
    user(crm, "sh", "--timezone", "Asia/Shanghai", "--role", "super_admin")
    # 2026-11-20 20:00 UTC is already 11-21 04:00 in Shanghai
    monkeypatch.setenv("CRM_NOW", "2026-11-20T20:00:00+00:00")
    late = add(crm, "Late", "--next", "2026-11-20T17:00:00+00:00")  # 11-21 01:00 Shanghai: today there, overdue
    morning = add(crm, "Morning", "--next", "2026-11-21T03:00:00+00:00")  # 11-21 11:00 Shanghai
    assert ids(crm, "--next-contact", "today", user="sh") == [morning, late]
    assert ids(crm, "--next-contact", "today") == [late]  # admin's zone is UTC: the 21st is tomorrow
    assert ids(crm, "--next-contact", "overdue", user="sh") == [late]


# --- list: sorting and keyset paging -------------------------------------------------------------


def test_sorting_ascending_and_descending(crm, book):
    assert ids(crm, "--sort", "score") == [1, 2, 3, 4, 5]  # 0, 0, 0, 20, 80; ties by id
    assert ids(crm, "--sort", "-score") == [5, 4, 3, 2, 1]
    assert ids(crm, "--sort", "created") == [1, 2, 3, 4, 5]
    assert ids(crm, "--sort", "-created") == [5, 4, 3, 2, 1]
    assert ids(crm, "--sort", "+id") == [1, 2, 3, 4, 5]
    assert ids(crm, "--sort", "next_contact") == [1, 2, 3, 5, 4]  # no next contact (4) last
    assert ids(crm, "--sort", "-next_contact") == [5, 3, 2, 1, 4]  # NULLs last in both directions
    assert ids(crm, "--sort", "name") == [4, 2, 3, 5, 1]  # Chen, Li, Wang, Zhao, 张
    assert ids(crm, "--sort", "-name") == [1, 5, 3, 2, 4]
    by_status = crm("lead", "list", "--sort", "status", "--json").json()
    assert [r["status"] for r in by_status] == sorted(r["status"] for r in by_status)


def test_limit_and_the_next_page_hint(crm, book):
    result = crm("lead", "list", "--limit", "2", "--format", "ids")
    assert result.code == 0, result
    assert result.out.split() == ["5", "4"]
    assert result.err.startswith("more: --after ") and result.err.count("\n") == 1
    cursor = result.err.split()[-1]
    nxt = crm("lead", "list", "--limit", "2", "--after", cursor, "--format", "ids")
    assert nxt.out.split() == ["3", "2"]
    last = crm("lead", "list", "--limit", "2", "--after", nxt.err.split()[-1], "--format", "ids")
    assert (last.out.split(), last.err) == (["1"], "")
    exact = crm("lead", "list", "--limit", "5", "--format", "ids")
    assert (exact.out.split(), exact.err) == (["5", "4", "3", "2", "1"], "")
    quiet = crm("lead", "list", "--limit", "2", "--quiet", "--format", "ids")
    assert (quiet.out.split(), quiet.err) == (["5", "4"], "")


def _page_through(crm, *args, limit: int) -> list[int]:
    seen: list[int] = []
    cursor = None
    for _ in range(200):
        extra = ("--after", cursor) if cursor else ()
        result = crm("lead", "list", *args, "--limit", limit, *extra, "--format", "ids")
        assert result.code == 0, result
        page = [int(x) for x in result.out.split()]
        assert 0 < len(page) <= limit, result
        seen += page
        if not result.err:
            return seen
        assert result.err.startswith("more: --after "), result
        cursor = result.err.split()[-1]
    raise AssertionError("paging did not end")


@pytest.fixture
def many(session) -> list[int]:
    """23 leads with ties and NULLs in every sortable column (made straight in the table for speed)."""
    base = at(NOW)
    rows = []
    for i in range(23):
        when = base - timedelta(days=i % 4)  # created/updated: four distinct values, many ties
        rows.append(Lead(
            name=["Ann", "Bo", "Cy"][i % 3], company=None if i % 5 == 0 else f"Co{i % 4}",
            score=(i * 7) % 3 * 10, status=["new", "qualifying", "invalid"][i % 3], owner_id=1,
            next_contact_at=None if i % 3 == 0 else base + timedelta(days=i % 2),
            created_at=when, updated_at=when + timedelta(hours=i % 2), created_by=1))
    with session() as s:
        s.add_all(rows)
        s.commit()
        return sorted(r.id for r in rows)


SORTS = ("id", "created", "updated", "name", "company", "next_contact", "score", "status")


@pytest.mark.parametrize("sort", [*SORTS, *(f"-{s}" for s in SORTS)])
def test_paging_through_every_page_gives_every_row_once(crm, many, sort):
    everything = ids(crm, "--sort", sort, "--limit", "1000")
    assert sorted(everything) == many
    for limit in (1, 4, 7) if sort in ("next_contact", "-company") else (4, 7):
        paged = _page_through(crm, "--sort", sort, limit=limit)
        assert len(paged) == len(set(paged)), (sort, limit, paged)
        assert paged == everything, (sort, limit)


def test_paging_order_matches_the_sort_with_nulls_last(crm, session, many):
    with session() as s:
        leads_ = {lead_.id: lead_ for lead_ in s.execute(select(Lead)).scalars()}
    for sort, attr in (("next_contact", "next_contact_at"), ("score", "score"), ("created", "created_at"),
                       ("company", "company")):
        for desc in (False, True):
            values = [(getattr(leads_[i], attr), i) for i in many]
            present = sorted((v for v in values if v[0] is not None), reverse=desc)
            missing = sorted((v for v in values if v[0] is None), reverse=desc)
            expected = [i for _v, i in present + missing]
            assert _page_through(crm, "--sort", ("-" if desc else "") + sort, limit=5) == expected, (sort, desc)


def test_paging_with_filters_keeps_the_filter(crm, many):
    everything = ids(crm, "--status", "new", "--sort", "next_contact", "--limit", "1000")
    assert 0 < len(everything) < len(many)
    assert _page_through(crm, "--status", "new", "--sort", "next_contact", limit=2) == everything


def test_a_cursor_is_only_good_for_the_sort_it_came_from(crm, many):
    result = crm("lead", "list", "--sort", "score", "--limit", "3", "--format", "ids")
    cursor = result.err.split()[-1]
    assert_refused(crm("lead", "list", "--sort", "created", "--after", cursor), 6,
                   f"crm: error: '{cursor}' is not a page cursor from crm\n")
    assert crm("lead", "list", "--sort", "+score", "--after", cursor, "--format", "ids").code == 0


@pytest.mark.parametrize("cursor", ["garbage", "WzEsMiwzXQ", "", "e30", "!!!"])
def test_a_garbage_cursor_is_refused(crm, book, cursor):
    if cursor == "":
        result = crm("lead", "list", "--after", cursor)
        assert result.code == 0  # an empty --after is no cursor at all
        return
    assert_refused(crm("lead", "list", "--after", cursor), 6,
                   f"crm: error: '{cursor}' is not a page cursor from crm\n")


# --- show ------------------------------------------------------------------------------------------


def test_show_fields_and_timeline(crm, session, monkeypatch):
    new = add(crm, "张伟", "--company", "华为技术有限公司", "--mobile", "13800138000", "--tag", "vip")
    assert crm("lead", "edit", new, "--title", "CTO").code == 0
    monkeypatch.setenv("CRM_NOW", "2026-11-21T09:30:00+00:00")
    assert crm("lead", "follow", new, "--via", "wechat", "--note", "约了下周演示", "--next", "2026-11-27 10:00").code == 0
    result = crm("lead", "show", new, "--format", "plain")
    assert result.code == 0, result
    head, timeline = result.out.split("\nTimeline\n")
    fields = {line.split("  ", 1)[0].strip(): line.split("  ", 1)[1].strip() for line in head.splitlines() if line}
    assert fields == {
        "id": str(new), "name": "张伟", "company": "华为技术有限公司", "title": "CTO", "mobile": "13800138000",
        "score": "0", "status": "qualifying", "owner": "admin", "tags": "vip",
        "next contact": "2026-11-27 10:00", "last follow-up": "2026-11-21 09:30",
        "created": "2026-11-20 10:00", "updated": "2026-11-21 09:30"}
    lines = timeline.strip().splitlines()
    assert lines[0].split() == ["time", "who", "what"]
    assert lines[1].split() == ["2026-11-21", "09:30", "admin", "[WeChat]", "约了下周演示"]
    assert [line.split()[-1] for line in lines[2:]] == ["lead.edit", "lead.add"]


def test_show_by_name_and_json(crm, session):
    add_field(crm, "budget", "number")
    new = add(crm, "Li Na", "--set", "budget=12.5")
    data = crm("lead", "show", "Li Na", "--json").json()
    assert (data["id"], data["custom"]) == (new, {"budget": 12.5})
    plain = crm("lead", "show", new, "--format", "plain").out
    assert any(line.split() == ["budget", "12.5"] for line in plain.splitlines())
    add(crm, "Li Na")
    assert_refused(crm("lead", "show", "Li Na"), 6,
                   "crm: error: 'Li Na' could mean several lead records: #1 Li Na; #2 Li Na "
                   "(hint: name it by id instead)\n")
    assert_refused(crm("lead", "show", "99"), 3, "crm: error: no lead 99\n")
    assert_refused(crm("lead", "show", "Nobody"), 3, "crm: error: no lead Nobody\n")


# --- edit ------------------------------------------------------------------------------------------


def test_edit_fields_logs_before_and_after(crm, session, monkeypatch):
    new = add(crm, "Li Na", "--company", "Acme", "--email", "li@acme.example", "--mobile", "13800138000")
    monkeypatch.setenv("CRM_NOW", "2026-11-21T08:00:00+00:00")
    result = crm("lead", "edit", new, "--name", "Li Na (CEO)", "--email", "LN@Acme.example", "--phone", "+1 650 253 0000",
                 "--mobile", "", "--score", "75", "--source", "referral", "--company", "Acme", "--json")
    assert result.code == 0, result
    row = lead(session, new)
    assert (row.name, row.email, row.email_key, row.phone, row.mobile, row.phone_key, row.score, row.source) == (
        "Li Na (CEO)", "LN@Acme.example", "ln@acme.example", "+1 650 253 0000", None, "+16502530000", 75, "referral")
    assert row.updated_at == at("2026-11-21T08:00:00+00:00") and row.created_at == at(NOW)
    [entry] = log(session, "lead.edit")
    assert entry.changes == {"name": ["Li Na", "Li Na (CEO)"], "email": ["li@acme.example", "LN@Acme.example"],
                             "phone": [None, "+1 650 253 0000"], "mobile": ["13800138000", None],
                             "score": [0, 75], "source": [None, "referral"]}
    assert entry.record_label == "Li Na (CEO) (Acme)"


def test_an_edit_that_changes_nothing_is_not_logged(crm, session):
    new = add(crm, "Li Na", "--company", "Acme", "--tag", "vip")
    before = snapshot(session)
    assert crm("lead", "edit", new, "--company", "Acme", "--add-tag", "vip").code == 0
    assert snapshot(session) == before


def test_edit_tags(crm, session):
    new = add(crm, "Li Na", "--tag", "vip,hot")
    assert crm("lead", "edit", new, "--add-tag", "cold,big", "--remove-tag", "hot", "--remove-tag", "never").code == 0
    assert tags(session, new) == ["big", "cold", "vip"]
    assert log(session, "lead.edit")[-1].changes == {"tags": [["hot", "vip"], ["big", "cold", "vip"]]}
    assert ids(crm, "--tag", "cold") == [new] and ids(crm, "--tag", "hot") == []


def test_edit_next_contact_and_clearing_it(crm, session):
    new = add(crm, "Li Na")
    assert crm("lead", "edit", new, "--next", "+3d").code == 0
    assert lead(session, new).next_contact_at == at("2026-11-23T00:00:00+00:00")
    assert crm("lead", "edit", new, "--no-next").code == 0
    assert lead(session, new).next_contact_at is None
    assert [e.changes for e in log(session, "lead.edit")] == [
        {"next_contact_at": [None, "2026-11-23T00:00:00+00:00"]},
        {"next_contact_at": ["2026-11-23T00:00:00+00:00", None]}]


def test_edit_custom_fields(crm, session):
    add_field(crm, "budget", "number")
    add_field(crm, "size", "choice", "--choices", "S,M,L")
    add_field(crm, "since", "date")
    new = add(crm, "Li Na", "--set", "budget=100")
    assert crm("lead", "edit", new, "--set", "budget=2500.50", "--set", "size=M", "--set", "since=2026-01-31").code == 0
    assert lead(session, new).custom == {"budget": 2500.5, "size": "M", "since": "2026-01-31"}
    assert crm("lead", "edit", new, "--set", "size=").code == 0  # empty clears
    assert lead(session, new).custom == {"budget": 2500.5, "since": "2026-01-31"}
    assert [e.changes for e in log(session, "lead.edit")] == [
        {"custom": [{"budget": 100}, {"budget": 2500.5, "since": "2026-01-31", "size": "M"}]},
        {"custom": [{"budget": 2500.5, "since": "2026-01-31", "size": "M"}, {"budget": 2500.5, "since": "2026-01-31"}]}]
    assert ids(crm, "--where", "budget>2000") == [new]
    assert ids(crm, "--where", "size=") == [new]


@pytest.mark.parametrize("args, err", [
    (("--set", "budget=lots"), "crm: error: budget: 'lots' is not a number\n"),
    (("--set", "size=XL"), "crm: error: size: 'XL' is not one of S, M, L\n"),
    (("--set", "colour=red"), "crm: error: lead has no field 'colour' (hint: crm field add lead colour --type text)\n"),
    (("--set", "budget"), "crm: error: 'budget' is not NAME=VALUE\n"),
    (("--set", "region=x"), "crm: error: lead has no field 'region' (hint: crm field add lead region --type text)\n"),
])
def test_edit_bad_custom_values(crm, session, args, err):
    add_field(crm, "budget", "number")
    add_field(crm, "size", "choice", "--choices", "S,M,L")
    new = add(crm, "Li Na")
    before, count = snapshot(session), log_count(session)
    assert_refused(crm("lead", "edit", new, *args), 6, err)
    assert (snapshot(session), log_count(session)) == (before, count)


def test_a_required_custom_field(crm, session):
    add_field(crm, "budget", "number", "--required")
    before, count = snapshot(session), log_count(session)
    assert_refused(crm("lead", "add", "Li Na"), 6, "crm: error: budget is required (hint: add --set budget=VALUE)\n")
    assert (snapshot(session), log_count(session)) == (before, count)
    new = add(crm, "Li Na", "--set", "budget=1")
    assert crm("lead", "edit", new, "--title", "CTO").code == 0  # not named: no need to repeat it
    assert_refused(crm("lead", "edit", new, "--set", "budget="), 6,
                   "crm: error: budget is required (hint: add --set budget=VALUE)\n")
    assert lead(session, new).custom == {"budget": 1}


# --- follow ------------------------------------------------------------------------------------------


def test_follow_moves_the_clock_and_a_new_lead_to_qualifying(crm, session):
    new = add(crm, "Li Na", "--next", "2026-11-20 09:00")  # due earlier today
    result = crm("lead", "follow", new, "--via", "Phone", "--note", "  called, wants a demo  ",
                 "--at", "2026-11-20 09:15", "--next", "2026-11-24 10:00")
    assert result.code == 0, result
    assert result.err == f"Logged follow-up 1 on lead {new}.\n"
    row = lead(session, new)
    assert (row.status, row.last_followup_at, row.next_contact_at, row.updated_at) == (
        "qualifying", at("2026-11-20T09:15:00+00:00"), at("2026-11-24T10:00:00+00:00"), at(NOW))
    with session() as s:
        [entry] = s.execute(select(FollowUp)).scalars()
        assert (entry.record_type, entry.record_id, entry.via, entry.content, entry.at, entry.author_id,
                entry.next_contact_at) == ("lead", new, "phone", "called, wants a demo",
                                           at("2026-11-20T09:15:00+00:00"), 1, at("2026-11-24T10:00:00+00:00"))
    [logged] = [e for e in log(session) if e.record_type == "lead" and e.action != "lead.add"]
    assert (logged.action, logged.record_id) == ("followup.add", new)
    assert logged.changes == {"via": [None, "phone"], "note": [None, "called, wants a demo"],
                              "at": [None, "2026-11-20T09:15:00+00:00"],
                              "next_contact_at": [None, "2026-11-24T10:00:00+00:00"],
                              "status": ["new", "qualifying"]}


def test_follow_without_next_clears_a_due_next_contact_and_keeps_a_future_one(crm, session):
    due = add(crm, "Due", "--next", "2026-11-20 09:00")
    later = add(crm, "Later", "--next", "2026-11-30 09:00")
    for record in (due, later):
        assert crm("lead", "follow", record, "--via", "email", "--note", "sent the brochure").code == 0
    assert lead(session, due).next_contact_at is None
    assert lead(session, later).next_contact_at == at("2026-11-30T09:00:00+00:00")
    assert lead(session, due).last_followup_at == at(NOW)


def test_an_older_follow_up_does_not_move_the_clock_back(crm, session):
    new = add(crm, "Li Na")
    assert crm("lead", "follow", new, "--via", "visit", "--note", "met").code == 0
    assert crm("lead", "follow", new, "--via", "sms", "--note", "earlier", "--at", "2026-11-18").code == 0
    row = lead(session, new)
    assert (row.status, row.last_followup_at) == ("qualifying", at(NOW))
    second = log(session, "followup.add")[1]
    assert "status" not in second.changes  # already qualifying: no status change to log


@pytest.mark.parametrize("args, err", [
    (("--via", "phone", "--note", "x", "--at", "2026-11-19 10:00", "--next", "2026-11-19 09:00"),
     "crm: error: the next contact must be after the follow-up\n"),
    (("--via", "phone", "--note", "x", "--at", "2026-11-19 10:00", "--next", "2026-11-19 10:00"),
     "crm: error: the next contact must be after the follow-up\n"),
    (("--via", "phone", "--note", "x", "--at", "+1d"),
     "crm: error: a follow-up cannot be in the future (hint: use --next for the next contact)\n"),
    (("--via", "fax", "--note", "x"),
     "crm: error: unknown follow-up method 'fax' (hint: one of: phone, email, visit, sms, wechat, other)\n"),
    (("--via", "phone", "--note", "   "), "crm: error: a follow-up needs a note (hint: add --note 'what was said')\n"),
    (("--via", "phone", "--note", "x", "--next", "notadate"),
     "crm: error: cannot read the date 'notadate' (hint: try 2026-12-01, 2026-12-01 14:30, today, tomorrow, friday, "
     "+3d, -2w, eow or eom)\n"),
    (("--via", "phone", "--note", "x", "--at", "garbage"),
     "crm: error: cannot read the date 'garbage' (hint: try 2026-12-01, 2026-12-01 14:30, today, tomorrow, friday, "
     "+3d, -2w, eow or eom)\n"),
])
def test_follow_refusals(crm, session, args, err):
    new = add(crm, "Li Na")
    before, count = snapshot(session), log_count(session)
    assert_refused(crm("lead", "follow", new, *args), 6, err)
    assert (snapshot(session), log_count(session)) == (before, count)


# --- transfer and assign -------------------------------------------------------------------------------


def test_transfer_a_batch(crm, session, monkeypatch):
    user(crm, "bob")
    first, second, third = add(crm, "A"), add(crm, "B"), add(crm, "C")
    monkeypatch.setenv("CRM_NOW", "2026-11-21T08:00:00+00:00")
    result = crm("lead", "transfer", first, third, first, "--to", "bob", "--reason", "territory")
    assert result.code == 0, result
    assert result.err == "2 leads now belong to bob.\n"
    for record in (first, third):
        row = lead(session, record)
        assert (row.owner_id, row.owned_since, row.updated_at) == (2, at("2026-11-21T08:00:00+00:00"),
                                                                   at("2026-11-21T08:00:00+00:00"))
    assert lead(session, second).owner_id == 1
    moved = log(session, "lead.transfer")
    assert [(e.record_id, e.changes, e.reason) for e in moved] == [
        (first, {"owner_id": [1, 2]}, "territory"), (third, {"owner_id": [1, 2]}, "territory")]
    assert ids(crm, "--owner", "bob") == [third, first]


def test_transfer_ids_from_stdin(crm, session):
    user(crm, "bob")
    made = [add(crm, name) for name in ("A", "B", "C")]
    listed = crm("lead", "list", "--format", "ids").out
    result = crm("lead", "transfer", "-", "--to", "bob", "--format", "ids", stdin=listed)
    assert result.code == 0, result
    assert sorted(int(x) for x in result.out.split()) == made
    assert ids(crm, "--owner", "bob") == made[::-1]
    assert crm("lead", "assign", "-", "--to", "admin", stdin=" 1 2\n\n3 ").code == 0
    assert ids(crm, "--owner", "me") == made[::-1]


def test_transfer_to_the_current_owner_changes_nothing(crm, session):
    new = add(crm, "A")
    before = snapshot(session)
    result = crm("lead", "transfer", new, "--to", "admin")
    assert result.code == 0, result
    assert snapshot(session) == before


def test_assign_takes_a_lead_out_of_the_pool(crm, session):
    user(crm, "bob")
    pooled = add(crm, "Pooled", "--owner", "none")
    assert crm("lead", "assign", pooled, "--to", "bob").code == 0
    assert lead(session, pooled).owner_id == 2
    [entry] = log(session, "lead.assign")
    assert (entry.record_id, entry.changes) == (pooled, {"owner_id": [None, 2]})


@pytest.mark.parametrize("verb", ["transfer", "assign"])
@pytest.mark.parametrize("args, code, err", [
    (("1", "99", "2"), 3, "crm: error: no lead 99\n"),
    (("1", "Nobody"), 3, "crm: error: no lead Nobody\n"),
    (("1", "2", "--to", "ghost"), 3, "crm: error: no user named 'ghost'\n"),
    (("1", "--to", "gone"), 6, "crm: error: user 'gone' is disabled\n"),
    (("-",), 6, "crm: error: name at least one lead\n"),
])
def test_a_bad_batch_moves_nothing(crm, session, verb, args, code, err):
    user(crm, "bob")
    user(crm, "gone")
    assert crm("user", "disable", "gone").code == 0
    add(crm, "A")
    add(crm, "B")
    before, count = snapshot(session), log_count(session)
    argv = list(args) if "--to" in args else [*args, "--to", "bob"]
    assert_refused(crm("lead", verb, *argv, stdin=""), code, err)
    assert (snapshot(session), log_count(session)) == (before, count)


# --- qualify, invalidate and the lifecycle ---------------------------------------------------------------


def test_qualify_a_batch(crm, session):
    first, second = add(crm, "A"), add(crm, "B")
    result = crm("lead", "qualify", first, second)
    assert (result.code, result.err) == (0, "2 leads are qualifying.\n")
    assert [lead(session, i).status for i in (first, second)] == ["qualifying", "qualifying"]
    assert [(e.record_id, e.changes) for e in log(session, "lead.qualify")] == [
        (first, {"status": ["new", "qualifying"]}), (second, {"status": ["new", "qualifying"]})]


def test_invalidate_a_batch_needs_a_reason(crm, session):
    first, second = add(crm, "A", "--next", "+2d"), add(crm, "B")
    assert crm("lead", "qualify", second).code == 0
    before, count = snapshot(session), log_count(session)
    for reason in ("", "   "):
        assert_refused(crm("lead", "invalidate", first, second, "--reason", reason), 6,
                       "crm: error: say why with --reason\n")
    assert (snapshot(session), log_count(session)) == (before, count)
    missing = crm("lead", "invalidate", first)
    assert missing.code == 2 and "--reason" in missing.err
    result = crm("lead", "invalidate", first, second, "--reason", " 空号 ")
    assert (result.code, result.err) == (0, "2 leads marked invalid.\n")
    for record in (first, second):
        row = lead(session, record)
        assert (row.status, row.invalid_reason, row.next_contact_at) == ("invalid", "空号", None)
    assert [(e.record_id, e.changes, e.reason) for e in log(session, "lead.invalidate")] == [
        (first, {"status": ["new", "invalid"], "next_contact_at": ["2026-11-22T00:00:00+00:00", None]}, "空号"),
        (second, {"status": ["qualifying", "invalid"]}, "空号")]


def _converted(session, lead_id: int) -> None:
    """Mark a lead converted in the table (``lead convert`` belongs to the customer change)."""
    with session() as s:
        row = s.get(Lead, lead_id)
        row.status = "converted"
        row.converted_at = at(NOW)
        s.commit()


@pytest.mark.parametrize("state", ["invalid", "converted"])
@pytest.mark.parametrize("args, code, err", [
    (("follow", "{id}", "--via", "phone", "--note", "x"), 6, "crm: error: lead {id} is {state}: it takes no more follow-ups\n"),
    (("qualify", "{other}", "{id}"), 6, "crm: error: lead {id} is {state}: its status can no longer change\n"),
    (("invalidate", "{other}", "{id}", "--reason", "x"), None, None),
])
def test_nothing_moves_a_closed_lead(crm, session, state, args, code, err):
    other = add(crm, "Open")
    closed = add(crm, "Closed")
    if state == "invalid":
        assert crm("lead", "invalidate", closed, "--reason", "spam").code == 0
    else:
        _converted(session, closed)
    if args[0] == "invalidate":  # invalid again: already in that state (5); converted: a rule (6)
        code, err = (5, "crm: error: lead {id} is already {state}\n") if state == "invalid" else (
            6, "crm: error: lead {id} is {state}: its status can no longer change\n")
    before, count = snapshot(session), log_count(session)
    argv = [a.format(id=closed, other=other) for a in args]
    assert_refused(crm("lead", *argv), code, err.format(id=closed, state=state))
    assert (snapshot(session), log_count(session)) == (before, count)  # the open lead of the batch did not move either


def test_qualifying_a_qualifying_lead_is_already_done(crm, session):
    new = add(crm, "A")
    assert crm("lead", "qualify", new).code == 0
    before, count = snapshot(session), log_count(session)
    assert_refused(crm("lead", "qualify", new), 5, f"crm: error: lead {new} is already qualifying\n")
    assert (snapshot(session), log_count(session)) == (before, count)


def test_the_lifecycle_speaks_chinese(crm, session, monkeypatch):
    new = add(crm, "A")
    assert crm("lead", "invalidate", new, "--reason", "x").code == 0
    monkeypatch.setenv("CRM_LANG", "zh_CN")
    result = crm("lead", "qualify", new)
    assert (result.code, result.err) == (6, f"crm：错误：线索 {new} 为“无效”状态，状态不能再更改\n")


def test_an_invalid_lead_can_still_be_edited_and_shown(crm, session):
    new = add(crm, "A")
    assert crm("lead", "invalidate", new, "--reason", "x").code == 0
    assert crm("lead", "edit", new, "--title", "Buyer").code == 0
    assert crm("lead", "show", new, "--json").json()["invalid_reason"] == "x"


# --- search ----------------------------------------------------------------------------------------------


@pytest.fixture
def searchable(crm) -> dict[str, int]:
    return {
        "huawei": add(crm, "张伟", "--company", "华为技术有限公司", "--mobile", "13800138000",
                      "--email", "zhang.wei@huawei.com"),
        "acme": add(crm, "Li Na", "--company", "Acme Trading Ltd", "--phone", "021-55501234",
                    "--email", "LINA@ACME.example"),
        "zte": add(crm, "王芳", "--company", "中兴通讯", "--mobile", "13912345678"),
        "percent": add(crm, "Promo 50%_off", "--company", "Deals"),
    }


@pytest.mark.parametrize("query, expected", [
    ("华为技术", ["huawei"]),            # Chinese, 3+ characters: the trigram index
    ("技术有限公司", ["huawei"]),
    ("华为", ["huawei"]),                # 2 characters: LIKE
    ("为", ["huawei"]),
    ("中兴", ["zte"]),
    ("张伟", ["huawei"]),
    ("王", ["zte"]),
    ("3800138", ["huawei"]),             # phone and mobile substrings
    ("5550123", ["acme"]),
    ("021-555", ["acme"]),
    ("138", ["huawei"]),
    ("zhang.wei@huawei.com", ["huawei"]),  # email, whole and in part
    ("@acme.exa", ["acme"]),
    ("acme", ["acme"]),                  # case-insensitive English
    ("ACME", ["acme"]),
    ("tRaDiNg", ["acme"]),
    ("li", ["acme"]),
    ("LI", ["acme"]),
    ("Li Na", ["acme"]),
    ("50%", ["percent"]),                # LIKE wildcards are plain characters
    ("%", ["percent"]),
    ("_", ["percent"]),
    ("0%_", ["percent"]),
    ("nothing here", []),
    ('say "hi"', []),                  # quotes do not break the FTS query
    ("广州", []),
    ("Ltd 021", []),                     # a match lies within one field, never across two
    ("Na Acme", []),
    ("公司 138", []),
])
def test_search(crm, searchable, query, expected):
    assert ids(crm, "--search", query) == sorted((searchable[k] for k in expected), reverse=True)


def test_search_follows_edits_and_deletes(crm, session, searchable):
    huawei, acme = searchable["huawei"], searchable["acme"]
    assert crm("lead", "edit", huawei, "--company", "中兴通讯深圳", "--email", "zw@zte.example").code == 0
    for gone in ("华为技术", "华为", "huawei"):
        assert ids(crm, "--search", gone) == [], gone
    assert ids(crm, "--search", "中兴通讯深圳") == [huawei]
    assert ids(crm, "--search", "中兴") == [searchable["zte"], huawei]
    assert ids(crm, "--search", "zw@zte") == [huawei]
    assert ids(crm, "--search", "13800138000") == [huawei]  # untouched columns are still found
    assert crm("lead", "edit", huawei, "--mobile", "").code == 0
    assert ids(crm, "--search", "13800138000") == []
    with session() as s:
        s.execute(delete(Lead).where(Lead.id == acme))
        s.commit()
    assert ids(crm, "--search", "acme") == []
    assert ids(crm, "--search", "li") == []
    new = add(crm, "Acme again")
    assert ids(crm, "--search", "acme") == [new]


def test_search_with_paging(crm):
    made = [add(crm, f"华为客户{i}", "--company", "华为技术有限公司") for i in range(5)]
    add(crm, "Other")
    assert _page_through(crm, "--search", "华为技术", limit=2) == made[::-1]
    assert _page_through(crm, "--search", "华为", limit=2) == made[::-1]


# --- the operation log ---------------------------------------------------------------------------------------


def test_every_lead_verb_writes_one_row_per_record(crm, session):
    user(crm, "bob")
    a, b = add(crm, "A"), add(crm, "B")
    steps = [
        (("edit", a, "--title", "CTO"), [("lead.edit", a, {"title": [None, "CTO"]}, None)]),
        (("follow", a, "--via", "phone", "--note", "hi"),
         [("followup.add", a, {"via": [None, "phone"], "note": [None, "hi"], "at": [None, NOW],
                               "status": ["new", "qualifying"]}, None)]),
        (("qualify", b), [("lead.qualify", b, {"status": ["new", "qualifying"]}, None)]),
        (("transfer", a, b, "--to", "bob"), [("lead.transfer", a, {"owner_id": [1, 2]}, None),
                                             ("lead.transfer", b, {"owner_id": [1, 2]}, None)]),
        (("assign", a, b, "--to", "admin", "--reason", "back"), [("lead.assign", a, {"owner_id": [2, 1]}, "back"),
                                                                  ("lead.assign", b, {"owner_id": [2, 1]}, "back")]),
        (("invalidate", a, b, "--reason", "spam"), [("lead.invalidate", a, {"status": ["qualifying", "invalid"]}, "spam"),
                                                    ("lead.invalidate", b, {"status": ["qualifying", "invalid"]}, "spam")]),
    ]
    for args, expected in steps:
        seen = log_count(session)
        result = crm("lead", *args)
        assert result.code == 0, result
        rows = log(session)[seen:]
        assert [(e.action, e.record_id, e.changes, e.reason) for e in rows] == expected, args
        assert all(e.record_type == "lead" and e.actor_login == "admin" for e in rows)
        assert {e.command for e in rows} == {"crm --user admin lead " + shlex.join(str(x) for x in args)}


# --- bad input -------------------------------------------------------------------------------------------------

DATE_HINT = "(hint: try 2026-12-01, 2026-12-01 14:30, today, tomorrow, friday, +3d, -2w, eow or eom)"


@pytest.mark.parametrize("args, code, err", [
    (("add", "X", "--email", "not-an-email"), 6, "crm: error: 'not-an-email' is not a valid email address\n"),
    (("add", "X", "--email", "a@b"), 6, "crm: error: 'a@b' is not a valid email address\n"),
    (("add", "X", "--phone", "call me"), 6, "crm: error: 'call me' is not a phone number\n"),
    (("add", "X", "--mobile", "12"), 6, "crm: error: '12' is not a phone number\n"),
    (("add", "X", "--source", "tv"), 6, "crm: error: unknown source 'tv' (hint: one of: web, email, ads, event, "
                                        "content, phone, referral, outreach, other)\n"),
    (("add", "X", "--score", "101"), 6, "crm: error: the score must be a whole number from 0 to 100\n"),
    (("add", "X", "--next", "notadate"), 6, f"crm: error: cannot read the date 'notadate' {DATE_HINT}\n"),
    (("add", "X", "--owner", "ghost"), 3, "crm: error: no user named 'ghost'\n"),
    (("add", "X", "--owner", "gone"), 6, "crm: error: user 'gone' is disabled\n"),
    (("add", "  "), 6, "crm: error: a lead needs a name\n"),
    (("add", "X", "--tag", "x" * 65), 6, f"crm: error: a tag may be at most 64 characters: {'x' * 65}\n"),
    (("add", "X", "--set", "nosuch=1"), 6,
     "crm: error: lead has no field 'nosuch' (hint: crm field add lead nosuch --type text)\n"),
    (("edit", "1", "--email", "bad@"), 6, "crm: error: 'bad@' is not a valid email address\n"),
    (("edit", "1", "--phone", "abc"), 6, "crm: error: 'abc' is not a phone number\n"),
    (("edit", "1", "--source", "tv"), 6, "crm: error: unknown source 'tv' (hint: one of: web, email, ads, event, "
                                         "content, phone, referral, outreach, other)\n"),
    (("edit", "1", "--next", "notadate"), 6, f"crm: error: cannot read the date 'notadate' {DATE_HINT}\n"),
    (("edit", "1", "--name", ""), 6, "crm: error: a lead needs a name\n"),
    (("edit", "1", "--score", "-1"), 6, "crm: error: the score must be a whole number from 0 to 100\n"),
    (("edit", "99", "--title", "x"), 3, "crm: error: no lead 99\n"),
    (("follow", "1", "--via", "pigeon", "--note", "x"), 6,
     "crm: error: unknown follow-up method 'pigeon' (hint: one of: phone, email, visit, sms, wechat, other)\n"),
    (("follow", "99", "--via", "phone", "--note", "x"), 3, "crm: error: no lead 99\n"),
    (("qualify", "1", "99"), 3, "crm: error: no lead 99\n"),
    (("invalidate", "99", "--reason", "x"), 3, "crm: error: no lead 99\n"),
    (("list", "--status", "open"), 6, "crm: error: unknown status 'open' (hint: one of: new, qualifying, converted, "
                                      "invalid)\n"),
    (("list", "--source", "tv"), 6, "crm: error: unknown source 'tv' (hint: one of: web, email, ads, event, "
                                    "content, phone, referral, outreach, other)\n"),
    (("list", "--created", "garbage"), 6, f"crm: error: cannot read the date 'garbage' {DATE_HINT}\n"),
    (("list", "--created", "2026-11-01..garbage"), 6, f"crm: error: cannot read the date 'garbage' {DATE_HINT}\n"),
    (("list", "--next-contact", "soon"), 6,
     "crm: error: unknown next-contact window 'soon' (hint: one of: overdue, today, week)\n"),
    (("list", "--sort", "colour"), 6, "crm: error: unknown sort 'colour' (hint: one of: company, created, id, name, "
                                      "next_contact, score, status, updated)\n"),
    (("list", "--owner", "ghost"), 3, "crm: error: no user named 'ghost'\n"),
    (("list", "--where", "colour=red"), 6, "crm: error: unknown field 'colour' (hint: built-in fields: name, company, "
                                           "title, region, industry, campaign, email, phone, mobile, score, website, "
                                           "address; custom fields: crm field list)\n"),
    (("list", "--where", "score>lots"), 6, "crm: error: 'lots' is not a number\n"),
    (("list", "--where", "score"), 6, "crm: error: 'score' is not a filter (hint: write FIELD=VALUE, FIELD!=VALUE, "
                                      "FIELD>VALUE, FIELD<VALUE or FIELD~TEXT)\n"),
    (("list", "--limit", "100001"), 6, "crm: error: --limit must be between 1 and 100000\n"),
])
def test_bad_input(crm, session, args, code, err):
    user(crm, "gone")
    assert crm("user", "disable", "gone").code == 0
    add(crm, "Existing", "--email", "e@example.com")
    before, count = snapshot(session), log_count(session)
    assert_refused(crm("lead", *args), code, err)
    assert (snapshot(session), log_count(session)) == (before, count)


@pytest.mark.parametrize("args", [
    ("list", "--limit", "0"), ("add", "X", "--score", "lots"), ("follow", "1", "--note", "x"), ("transfer", "1"),
])
def test_usage_errors(crm, session, args):
    add(crm, "Existing")
    before = snapshot(session)
    result = crm("lead", *args)
    assert result.code == 2, result
    assert result.err.startswith("crm: error: ") and result.out == ""
    assert snapshot(session) == before
