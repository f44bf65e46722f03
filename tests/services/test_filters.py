"""The filter grammar every ``list`` shares (crmcli.services.filters), at the unit level, on leads.

Runs against the test's database, so with CRM_TEST_DATABASE_URL every comparison (custom number fields
included) is checked on PostgreSQL as well as SQLite.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Boolean, Column, Date, Integer, MetaData, Numeric, String, Table

from crmcli.errors import ExitCode, NotFound, ValidationError
from crmcli.services import fields, filters, leads
from crmcli.services.access import load_actor
from crmcli.services.filters import ListOptions
from crmcli.store.models import Lead

UTC = timezone.utc
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
def db(session):
    """A session on the test's database and the admin actor."""
    with session() as s:
        yield s, load_actor(s, "admin")


def make(s, name: str, **values) -> int:
    values.setdefault("created_at", NOW)
    values.setdefault("updated_at", values["created_at"])
    values.setdefault("owner_id", 1)
    lead = Lead(name=name, **values)
    s.add(lead)
    s.flush()
    return lead.id


def names(s, actor, **opts) -> list[str]:
    opts.setdefault("sort", "id")
    opts.setdefault("limit", None)
    page = filters.select_page(s, actor, leads.LISTING, ListOptions(**opts), UTC, NOW)
    return [lead.name for lead in page.rows]


def refused(call, message: str | None = None) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        call()
    assert info.value.exit_code == ExitCode.VALIDATION == 6
    if message is not None:
        assert info.value.message == message
    return info.value


# --- cursors -----------------------------------------------------------------------------------

_t = Table("cursor_probe", MetaData(), Column("amount", Numeric(12, 2)), Column("flag", Boolean),
           Column("day", Date), Column("n", Integer), Column("s", String))


@pytest.mark.parametrize("sort, column, values", [
    ("-created", Lead.created_at, [False, datetime(2026, 11, 20, 10, 0, 0, 123456, tzinfo=UTC), 12]),
    ("created", Lead.created_at, [False, datetime(2026, 11, 20, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai")), 1]),
    ("next_contact", Lead.next_contact_at, [True, None, 7]),
    ("score", Lead.score, [False, 0, 3]),
    ("name", Lead.name, [False, "张伟 \"quoted\" ✓", 99]),
    ("amount", _t.c.amount, [False, Decimal("1234.50"), 5]),
    ("flag", _t.c.flag, [False, True, 5]),
    ("day", _t.c.day, [False, date(2026, 2, 28), 5]),
])
def test_a_cursor_round_trips(sort, column, values):
    cursor = filters._cursor_encode(sort, values)
    assert cursor.isascii() and "=" not in cursor and "/" not in cursor and "+" not in cursor  # safe on a command line
    decoded = filters._cursor_decode(cursor, sort, column)
    assert decoded == values
    if isinstance(values[1], datetime):
        assert decoded[1].tzinfo is not None


def _raw(items) -> str:
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(items).encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    "garbage", "!!!", "e30", _raw([1, 2, 3]), _raw(["score", False, 1]), _raw(["score", False, 1, 2, 3]),
    _raw(["-score", False, 10, 3]),  # another sort
    _raw(["score", False, "ten", 3]),  # wrong type for the column
    _raw(["score", False, True, 3]),  # a bool is not a score
    _raw(["score", False, 10, "3"]),  # the id must be a number
    _raw(["score", False, 10, True]),
    _raw(["score", "no", 10, 3]),
    _raw(["score", True, 10, 3]),  # NULL flag and value disagree
    _raw(["score", False, None, 3]),
    _raw(["score", False, {"x": 1}, 3]),
    _raw(["score", False, {"n": "lots"}, 3]),
    _raw(["score", False, {"t": "2026-11-20T10:00:00+00:00"}, 3]),
])
def test_a_bad_cursor_is_refused(cursor):
    refused(lambda: filters._cursor_decode(cursor, "score", Lead.score),
            f"'{cursor}' is not a page cursor from crm")


@pytest.mark.parametrize("value", [{"t": "2026-11-20T10:00:00"}, {"t": "yesterday"}, {"d": "2026-02-30"}, "text", 5])
def test_a_bad_time_in_a_cursor_is_refused(value):
    cursor = _raw(["created", False, value, 3])
    refused(lambda: filters._cursor_decode(cursor, "created", Lead.created_at))


def test_a_garbage_after_is_refused_by_select_page(db):
    s, admin = db
    make(s, "A")
    refused(lambda: names(s, admin, after="garbage", limit=10), "'garbage' is not a page cursor from crm")
    refused(lambda: names(s, admin, after=_raw(["created", False, "x", 1]), sort="created", limit=10))


# --- paging --------------------------------------------------------------------------------------


@pytest.fixture
def ties(db):
    """12 leads: three scores, a next contact for two in three (the rest NULL), two creation times."""
    s, admin = db
    for i in range(12):
        make(s, f"L{i:02d}", score=(i % 3) * 10, next_contact_at=None if i % 3 == 0 else NOW + timedelta(hours=i % 2),
             created_at=NOW - timedelta(days=i % 2), company=None if i % 4 == 0 else "Acme")
    return s, admin


@pytest.mark.parametrize("sort", ["score", "-score", "next_contact", "-next_contact", "created", "-created",
                                  "company", "-company", "id", "-id"])
@pytest.mark.parametrize("limit", [1, 2, 5, 11, 12, 13])
def test_pages_give_every_row_once_in_order(ties, sort, limit):
    s, admin = ties
    everything = names(s, admin, sort=sort)
    seen, after = [], None
    for _ in range(20):
        page = filters.select_page(s, admin, leads.LISTING, ListOptions(sort=sort, limit=limit, after=after), UTC, NOW)
        assert len(page.rows) <= limit
        seen += [lead.name for lead in page.rows]
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert seen == everything
    assert len(set(seen)) == 12
    expected_pages = -(-12 // limit)
    assert (len(seen), _ + 1) == (12, expected_pages)


def test_nulls_come_last_both_ways(ties):
    s, admin = ties
    for sort in ("next_contact", "-next_contact"):
        rows = filters.select_page(s, admin, leads.LISTING, ListOptions(sort=sort, limit=None), UTC, NOW).rows
        flags = [lead.next_contact_at is None for lead in rows]
        assert flags == sorted(flags) and flags.count(True) == 4
        nulls = [lead.id for lead in rows if lead.next_contact_at is None]
        assert nulls == sorted(nulls, reverse=sort.startswith("-"))


def test_stream_reads_everything_a_batch_at_a_time(ties):
    s, admin = ties
    streamed = [lead.name for lead in filters.stream(s, admin, leads.LISTING, ListOptions(sort="next_contact"), UTC,
                                                     batch=5)]
    assert streamed == names(s, admin, sort="next_contact")


@pytest.mark.parametrize("limit", [0, -1, filters.MAX_LIMIT + 1])
def test_limit_bounds(db, limit):
    s, admin = db
    refused(lambda: names(s, admin, limit=limit), f"--limit must be between 1 and {filters.MAX_LIMIT}")


def test_limit_edges(ties):
    s, admin = ties
    assert len(names(s, admin, limit=filters.MAX_LIMIT)) == 12
    one = filters.select_page(s, admin, leads.LISTING, ListOptions(limit=1), UTC, NOW)
    assert len(one.rows) == 1 and one.next_cursor
    unlimited = filters.select_page(s, admin, leads.LISTING, ListOptions(limit=None), UTC, NOW)
    assert (len(unlimited.rows), unlimited.next_cursor) == (12, None)
    exact = filters.select_page(s, admin, leads.LISTING, ListOptions(limit=12), UTC, NOW)
    assert (len(exact.rows), exact.next_cursor) == (12, None)


def test_the_default_sort_is_newest_first(ties):
    s, admin = ties
    rows = filters.select_page(s, admin, leads.LISTING, ListOptions(limit=None), UTC, NOW).rows
    assert [(lead.created_at, lead.id) for lead in rows] == sorted(((lead.created_at, lead.id) for lead in rows),
                                                                   reverse=True)


@pytest.mark.parametrize("sort", ["colour", "-colour", "", "created_at"])
def test_an_unknown_sort_is_refused(db, sort):
    s, admin = db
    if sort == "":  # empty means the default
        assert names(s, admin, sort="") == []
        return
    error = refused(lambda: names(s, admin, sort=sort), f"unknown sort '{sort}'")
    assert error.hint == "one of: company, created, id, name, next_contact, score, status, updated"


# --- --where ---------------------------------------------------------------------------------------


@pytest.fixture
def custom(db):
    """Four leads with built-in values and custom fields of every type."""
    s, admin = db
    for name, type_, choices in (("budget", "number", None), ("vip", "bool", None), ("since", "date", None),
                                 ("size", "choice", ["S", "M", "L"]), ("note", "text", None)):
        fields.add(s, admin, "lead", name, type_, choices=choices)
    rows = [
        ("C0", 0, "Beijing", {"budget": 500, "vip": True, "since": "2026-01-05", "size": "S", "note": "50% off"}),
        ("C1", 30, "Shanghai", {"budget": 5000, "vip": False, "since": "2026-03-01", "size": "M", "note": "VIP 客户"}),
        ("C2", 60, None, {"budget": 12.5, "vip": True, "since": "2025-12-31", "size": "L"}),
        ("C3", 90, "shanghai", None),
    ]
    for name, score, region, values in rows:
        make(s, name, score=score, region=region, custom=values)
    return s, admin


@pytest.mark.parametrize("expr, expected", [
    # numbers in a custom field compare as numbers (not text: "5000" < "600" as text)
    ("budget=500", ["C0"]),
    ("budget=500.00", ["C0"]),
    ("budget=5000.0", ["C1"]),
    ("budget!=500", ["C1", "C2"]),
    ("budget>600", ["C1"]),
    ("budget>=500", ["C0", "C1"]),
    ("budget<500", ["C2"]),
    ("budget<=500", ["C0", "C2"]),
    ("budget>12", ["C0", "C1", "C2"]),
    ("budget>12.5", ["C0", "C1"]),
    ("budget>-1e3", ["C0", "C1", "C2"]),
    ("budget~50", ["C0", "C1"]),
    ("budget=", ["C3"]),
    ("budget!=", ["C0", "C1", "C2"]),
    # yes/no fields take the same words as --set
    ("vip=yes", ["C0", "C2"]),
    ("vip=true", ["C0", "C2"]),
    ("vip=是", ["C0", "C2"]),
    ("vip=no", ["C1"]),
    ("vip!=yes", ["C1"]),
    ("vip=", ["C3"]),
    # dates compare in calendar order
    ("since=2026-01-05", ["C0"]),
    ("since>2026-01-01", ["C0", "C1"]),
    ("since<2026-01-01", ["C2"]),
    ("since>=2026-03-01", ["C1"]),
    ("since<=2026-03-01", ["C0", "C1", "C2"]),
    ("since!=2026-01-05", ["C1", "C2"]),
    # choice and text
    ("size=M", ["C1"]),
    ("size!=M", ["C0", "C2"]),
    ("size~m", ["C1"]),
    ("note~vip", ["C1"]),
    ("note~客户", ["C1"]),
    ("note~%", ["C0"]),  # a plain percent sign, not a wildcard
    ("note~_", []),
    ("note=", ["C2", "C3"]),
    # built-in columns
    ("score=30", ["C1"]),
    ("score!=30", ["C0", "C2", "C3"]),
    ("score>30", ["C2", "C3"]),
    ("score>=30", ["C1", "C2", "C3"]),
    ("score<30", ["C0"]),
    ("score<=30", ["C0", "C1"]),
    ("score~0", ["C0", "C1", "C2", "C3"]),
    ("region=Shanghai", ["C1"]),  # = is exact
    ("region~SHANG", ["C1", "C3"]),  # ~ ignores case
    ("region!=Shanghai", ["C0", "C3"]),  # != leaves out records without a value
    ("region=", ["C2"]),
    ("region!=", ["C0", "C1", "C3"]),
    ("region>Beijing", ["C1", "C3"]),
    ("name<C2", ["C0", "C1"]),
    (" score > 30 ", ["C2", "C3"]),
])
def test_where(custom, expr, expected):
    s, admin = custom
    assert names(s, admin, where=[expr]) == expected


def test_several_wheres_all_apply(custom):
    s, admin = custom
    assert names(s, admin, where=["budget>100", "vip=yes"]) == ["C0"]
    assert names(s, admin, where=["score>=30", "region~shanghai"]) == ["C1", "C3"]


@pytest.mark.parametrize("expr, message", [
    ("budget>lots", "'lots' is not a number"),
    ("budget=lots", "'lots' is not a number"),
    ("budget>NaN", "'NaN' is not a number"),
    ("score>lots", "'lots' is not a number"),
    ("score=1.5", "'1.5' is not a number"),
    ("vip=maybe", "vip: 'maybe' is not yes or no"),
    ("since>soon", "since: 'soon' is not a date (YYYY-MM-DD)"),
    ("score>", "'score>' is not a filter"),
    ("budget<", "'budget<' is not a filter"),
    ("score", "'score' is not a filter"),
    ("=5", "'=5' is not a filter"),
    ("score=>5", None),
    ("colour=red", "unknown field 'colour'"),
    ("owner_id=1", "unknown field 'owner_id'"),  # only the listed built-in columns
])
def test_bad_where(custom, expr, message):
    s, admin = custom
    refused(lambda: names(s, admin, where=[expr]), message)


def test_custom_fields_of_another_record_type_are_unknown(db):
    s, admin = db
    fields.add(s, admin, "customer", "tier_code", "text")
    refused(lambda: names(s, admin, where=["tier_code=A"]), "unknown field 'tier_code'")


# --- the other options ---------------------------------------------------------------------------------


def test_status_source_and_owner(db):
    s, admin = db
    make(s, "new", status="new", source="web")
    make(s, "qualifying", status="qualifying", source="event")
    make(s, "pool", owner_id=None, source="web")
    assert names(s, admin, status=["qualifying"]) == ["qualifying"]
    assert names(s, admin, source=["web"]) == ["new", "pool"]
    for pool in ("none", "pool", "-", " none "):
        assert names(s, admin, owner=pool) == ["pool"]
    assert names(s, admin, owner="me") == ["new", "qualifying"]
    assert names(s, admin, owner="admin") == ["new", "qualifying"]
    assert names(s, admin, owner="#1") == ["new", "qualifying"]
    with pytest.raises(NotFound):
        names(s, admin, owner="ghost")
    refused(lambda: names(s, admin, status=["open"]), "unknown status 'open'")
    refused(lambda: names(s, admin, source=["tv"]), "unknown source 'tv'")


def test_a_noun_with_free_text_sources_accepts_any(db):
    s, admin = db
    make(s, "tv", source="tv")
    free = filters.Listing(kind=leads.LEAD, statuses=leads.STATUSES, sources=None, sorts={"id": "id"},
                           default_sort="id")
    page = filters.select_page(s, admin, free, ListOptions(source=["tv"]), UTC, NOW)
    assert [lead.name for lead in page.rows] == ["tv"]


def test_tags_all_must_match(db):
    from crmcli.services.records import set_tags

    s, admin = db
    both, one = make(s, "both"), make(s, "one")
    set_tags(s, "lead", both, add=["vip", "hot"])
    set_tags(s, "lead", one, add=["vip"])
    assert names(s, admin, tags=["vip"]) == ["both", "one"]
    assert names(s, admin, tags=["vip", "hot"]) == ["both"]
    assert names(s, admin, tags=["vip,hot"]) == ["both"]
    assert names(s, admin, tags=[" hot "]) == ["both"]
    assert names(s, admin, tags=["cold"]) == []


def test_created_range(db):
    s, admin = db
    for day in (1, 10, 20):
        make(s, f"d{day}", created_at=datetime(2026, 11, day, 23, 30, tzinfo=UTC))
    assert names(s, admin, created="2026-11-10..2026-11-10") == ["d10"]  # the until day counts whole
    assert names(s, admin, created="2026-11-02..") == ["d10", "d20"]
    assert names(s, admin, created="..2026-11-09") == ["d1"]
    assert names(s, admin, created="-10d..") == ["d10", "d20"]  # since 11-10 00:00
    refused(lambda: names(s, admin, created="soon.."))
    refused(lambda: names(s, admin, created=".."))


def test_next_contact_windows_are_in_the_given_zone(db):
    s, admin = db
    make(s, "overdue", next_contact_at=NOW - timedelta(minutes=1))
    make(s, "now", next_contact_at=NOW)
    make(s, "tonight", next_contact_at=datetime(2026, 11, 20, 23, 0, tzinfo=UTC))
    make(s, "in6days", next_contact_at=datetime(2026, 11, 26, 23, 0, tzinfo=UTC))
    make(s, "in7days", next_contact_at=datetime(2026, 11, 27, 0, 0, tzinfo=UTC))
    make(s, "never")

    def window(name, tz=UTC):
        page = filters.select_page(s, admin, leads.LISTING, ListOptions(next_contact=name, sort="id"), tz, NOW)
        return [lead.name for lead in page.rows]

    assert window("overdue") == ["overdue"]
    assert window("today") == ["overdue", "now", "tonight"]
    assert window("week") == ["overdue", "now", "tonight", "in6days"]
    shanghai = ZoneInfo("Asia/Shanghai")  # 18:00 there; the day ends at 16:00 UTC
    assert window("today", shanghai) == ["overdue", "now"]
    assert window("week", shanghai) == ["overdue", "now", "tonight"]  # in6days is the 27th there
    refused(lambda: window("soon"), "unknown next-contact window 'soon'")


def test_search_on_this_backend(db):
    s, admin = db
    make(s, "张伟", company="华为技术有限公司", mobile="13800138000", email="zw@huawei.com")
    make(s, "Li Na", company="Acme", email="LI@ACME.example")
    assert names(s, admin, search="华为技术") == ["张伟"]
    assert names(s, admin, search="华为") == ["张伟"]
    assert names(s, admin, search="ACME.EX") == ["Li Na"]
    assert names(s, admin, search="li") == ["Li Na"]
    assert names(s, admin, search="   ") == ["张伟", "Li Na"]  # blank: no search at all
    assert names(s, admin, search="0013") == ["张伟"]


def test_extra_lets_a_noun_add_its_own_condition(db):
    s, admin = db
    make(s, "keep", score=5)
    make(s, "drop", score=0)
    listing = filters.Listing(kind=leads.LEAD, sorts={"id": "id"}, default_sort="id",
                              extra=lambda query, opts: query.where(Lead.score > 0))
    assert [lead.name for lead in filters.select_page(s, admin, listing, ListOptions(), UTC, NOW).rows] == ["keep"]


def test_build_applies_the_data_scope(db, crm):
    s, admin = db
    s.commit()  # end the read the fixture began, so the user added next is seen
    assert crm("user", "add", "rep", "--role", "sales_rep").code == 0
    rep = load_actor(s, "rep")
    make(s, "admins")
    make(s, "reps", owner_id=rep.id)
    assert names(s, rep) == ["reps"]
    assert names(s, admin) == ["admins", "reps"]
