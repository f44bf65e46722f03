"""Dedupe rules (crmcli/services/dedupe.py): keys, the strong credit code, the noise threshold, person names,
merged customers, contacts, and the likely-duplicate pairs of ``crm customer dupes`` (exact and fuzzy, blocked,
scoped)."""

from __future__ import annotations

import pytest

from crmcli.errors import Conflict
from crmcli.services import customers, dedupe
from crmcli.services.access import load_actor
from crmcli.services.normalise import name_key
from crmcli.store.models import Customer
from tests.commands._customer_org import CODE_HUAWEI, CODE_TENCENT, NOW, customer_id, ok, org  # noqa: F401


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)


def make(session, rows: list[dict], owner: str = "admin") -> list[int]:
    """Customers made straight through the service (duplicates allowed), in one transaction."""
    with session() as s:
        actor = load_actor(s, owner)
        made = []
        for values in rows:
            clean = customers.clean_values(values)
            made.append(customers.create(s, actor, clean, actor.id, allow_duplicate=True).id)
        s.commit()
        return made


def matches(session, keys: dict, **kwargs) -> list[tuple[int, str, bool]]:
    with session() as s:
        return [(m.record_id, m.key, m.strong) for m in dedupe.customer_matches(s, keys, **kwargs)]


@pytest.mark.parametrize("a, b", [
    ("ACME Co., Ltd.", "acme"),
    ("Acme Inc", "ACME Corporation"),
    ("华为技术有限公司", "華為技術"),
    ("ＡＣＭＥ　Ｌｔｄ", "acme"),           # full-width
    ("腾讯科技（深圳）有限公司", "腾讯科技(深圳)"),
    ("阿里巴巴集团控股有限公司", "阿里巴巴"),
])
def test_name_keys_collide(a, b):
    assert name_key(a) == name_key(b)


def test_matches_by_every_key_strong_first(session, db_url):
    [acme, other] = make(session, [
        {"name": "Acme Ltd", "phone": "010-88886666", "email": "info@acme.com"},
        {"name": "Other", "credit_code": CODE_HUAWEI}])
    assert matches(session, {"name": "acme", "phone": "+861088886666", "email": "info@acme.com",
                             "credit_code": CODE_HUAWEI}) == [
        (other, "credit_code", True), (acme, "name", False), (acme, "phone", False), (acme, "email", False)]
    assert matches(session, {"name": "acme"}, exclude_id=acme) == []


def test_different_credit_codes_mean_different_organisations(session, db_url):
    [coded] = make(session, [{"name": "Huawei", "phone": "0755-28780808", "credit_code": CODE_HUAWEI}])
    assert matches(session, {"name": "huawei", "credit_code": CODE_TENCENT}) == []
    assert matches(session, {"phone": "+8675528780808", "credit_code": CODE_TENCENT}) == []
    # no code on the new one: the name still matches
    assert matches(session, {"name": "huawei"}) == [(coded, "name", False)]


def test_people_are_not_matched_by_name(session, db_url):
    [person, company] = make(session, [{"name": "张伟", "kind": "person"}, {"name": "张伟", "kind": "company"}])
    assert matches(session, {"name": "张伟"}, kind="person") == []
    assert matches(session, {"name": "张伟"}, kind="company") == [(company, "name", False)]
    assert person


def test_a_key_shared_by_twenty_records_is_noise(session, db_url):
    make(session, [{"name": f"Shop {i}", "phone": "400-800-8888"} for i in range(19)])
    assert len(matches(session, {"phone": "+864008008888"})) == 19
    make(session, [{"name": "Shop 19", "phone": "400-800-8888"}])
    assert matches(session, {"phone": "+864008008888"}) == []
    # the noisy key no longer blocks an add; the name still does
    with session() as s:
        actor = load_actor(s, "admin")
        customers.add(s, actor, {"name": "New shop", "phone": "400 800 8888"})
        with pytest.raises(Conflict):
            customers.add(s, actor, {"name": "Shop 3", "phone": "400 800 8888"})


def test_the_strong_key_is_never_noise_and_never_allowed(session, db_url):
    with session() as s:
        actor = load_actor(s, "admin")
        first = customers.add(s, actor, {"name": "Huawei", "credit_code": CODE_HUAWEI})
        with pytest.raises(Conflict) as refused:
            customers.add(s, actor, {"name": "Other", "credit_code": CODE_HUAWEI}, allow_duplicate=True)
        assert f"#{first.id}" in refused.value.message


def test_merged_customers_are_not_matched(session, db_url):
    [keep, drop] = make(session, [{"name": "Acme"}, {"name": "Acme Ltd", "email": "x@acme.com"}])
    with session() as s:
        s.get(Customer, drop).merged_into_id = keep
        s.commit()
    assert matches(session, {"name": "acme"}) == [(keep, "name", False)]
    assert matches(session, {"email": "x@acme.com"}) == []


def test_contacts_match_on_email_and_phone(crm, session, org):
    cust = customer_id(crm, "Acme")
    first = ok(crm("contact", "add", "Li", "--customer", cust, "--email", "li@acme.com", "--mobile", "13800138000",
                   "--json")).json()["id"]
    with session() as s:
        found = dedupe.contact_matches(s, {"email": "li@acme.com", "phone": "+8613800138000"})
        assert [(m.record_id, m.key) for m in found] == [(first, "email"), (first, "phone")]
        assert dedupe.contact_matches(s, {"email": "li@acme.com"}, exclude_id=first) == []


# --- pairs -------------------------------------------------------------------------------------------------


def pairs(session, login: str = "admin", **kwargs) -> list[tuple[int, int, list[str], int | None]]:
    with session() as s:
        actor = load_actor(s, login)
        return [(p.a, p.b, p.reasons, p.score) for p in customers.dupes(s, actor, **kwargs)]


def test_pairs_exact_and_fuzzy_with_reasons(session, db_url):
    ids = make(session, [
        {"name": "Acme Co., Ltd.", "phone": "010-88886666"},        # 1
        {"name": "ACME Limited", "phone": "+86 10 8888 6666"},      # 2: same name key and phone as 1
        {"name": "Globex Trading", "email": "sales@globex.com"},    # 3
        {"name": "Globex Tradng"},                                  # 4: similar to 3
        {"name": "Initech", "email": "SALES@globex.com"},           # 5: same email as 3
        {"name": "Umbrella", "credit_code": CODE_HUAWEI},           # 6
        {"name": "Umbrela Corp"},                                   # 7: same code as 6 (below), similar name
        {"name": "Hooli"},                                          # 8: alone
    ])
    assert ids == [1, 2, 3, 4, 5, 6, 7, 8]
    with session() as s:  # as an import from before dedupe might have left it
        s.get(Customer, 7).credit_code = CODE_HUAWEI
        s.commit()
    found = pairs(session)
    assert found == [(6, 7, ["credit_code", "similar"], 93),
                     (1, 2, ["name", "phone"], None),
                     (3, 5, ["email"], None),   # an exact key before a similar name
                     (3, 4, ["similar"], 96)]
    assert pairs(session, fuzzy=False) == [(6, 7, ["credit_code"], None), (1, 2, ["name", "phone"], None),
                                           (3, 5, ["email"], None)]
    assert [p[:2] for p in pairs(session, min_score=95)] == [(6, 7), (1, 2), (3, 5), (3, 4)]
    assert [p[:2] for p in pairs(session, min_score=97)] == [(6, 7), (1, 2), (3, 5)]
    assert len(pairs(session, limit=2)) == 2


def test_pairs_are_blocked_by_both_ends_of_the_name(session, db_url):
    # different first characters, same ending: the suffix block finds them
    make(session, [{"name": "Xinhua Bookstore Trading"}, {"name": "Zinhua Bookstore Trading"},
                   {"name": "Completely Unrelated"}])
    assert [p[:3] for p in pairs(session)] == [(1, 2, ["similar"])]


def test_pairs_skip_different_credit_codes_people_and_noise(session, db_url):
    make(session, [{"name": "Huawei", "credit_code": CODE_HUAWEI}, {"name": "Huawei", "credit_code": CODE_TENCENT},
                   {"name": "王芳", "kind": "person"}, {"name": "王芳", "kind": "person"}])
    make(session, [{"name": "Same Shop", "phone": f"021-5550{i:04d}"} for i in range(20)])
    assert pairs(session) == []


def test_pairs_only_among_the_customers_the_actor_sees(crm, session, org):
    customer_id(crm, "Acme", user="rep")
    customer_id(crm, "Acme Ltd", "--allow-duplicate", user="rep2")
    customer_id(crm, "ACME Inc", "--allow-duplicate", user="rep")
    assert [p[:3] for p in pairs(session, "rep")] == [(1, 3, ["name"])]
    assert [p[:2] for p in pairs(session, "mgr")] == [(1, 2), (1, 3), (2, 3)]
    result = ok(crm("customer", "dupes", "--format", "tsv", user="rep"))
    assert result.rows() == [["id", "name", "other_id", "other_name", "reason", "score"],
                             ["1", "Acme", "3", "ACME Inc", "name", ""]]
    plain = ok(crm("customer", "dupes", "--format", "plain", user="rep")).out
    assert plain.splitlines()[1].split() == ["1", "Acme", "3", "ACME", "Inc", "name"]
    bad = crm("customer", "dupes", "--min-score", "10")
    assert bad.code == 2, bad
