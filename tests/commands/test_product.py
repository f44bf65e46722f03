"""``crm product``: the catalog, categories, pricing rules, import/export, and bad input."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from crmcli.store.models import AuditLog
from crmcli.store.models.pipeline import PriceRule, Product
from tests.commands._customer_org import ok, org  # noqa: F401
from tests.commands._org import snapshot
from tests.commands.test_bad_input import assert_refused


def product(session, code: str) -> Product:
    with session() as s:
        row = s.execute(select(Product).where(Product.code == code)).scalar_one()
        s.expunge_all()
        return row


def test_add_show_and_edit(crm, session):
    ok(crm("product", "category", "add", "软件"))
    ok(crm("product", "category", "add", "CRM", "--parent", "软件"))
    result = crm("product", "add", "SW-001", "CRM 标准版", "--unit", "套", "--price", "9800", "--cost", "2000.5",
                 "--category", "软件/CRM", "--stock", "100", "--json")
    assert result.code == 0, result
    data = result.json()
    assert {k: data[k] for k in ("code", "name", "unit", "category", "list_price", "cost", "currency", "stock",
                                 "on_sale")} == {
        "code": "SW-001", "name": "CRM 标准版", "unit": "套", "category": "软件/CRM", "list_price": "9800.00",
        "cost": "2000.50", "currency": "CNY", "stock": 100, "on_sale": True}
    row = product(session, "SW-001")
    assert (row.list_price, row.cost) == (Decimal("9800.00"), Decimal("2000.50"))
    ok(crm("product", "edit", "SW-001", "--price", "8800", "--off-sale"))
    row = product(session, "SW-001")
    assert (row.list_price, row.on_sale) == (Decimal("8800.00"), False)
    with session() as s:
        entry = s.execute(select(AuditLog).where(AuditLog.action == "product.edit")).scalar_one()
    assert entry.changes == {"list_price": ["9800.00", "8800.00"], "on_sale": [True, False]}
    assert ok(crm("product", "show", "SW-001", "--json")).json()["on_sale"] is False


def test_list_by_category_tree_and_sale(crm):
    ok(crm("product", "category", "add", "硬件"))
    ok(crm("product", "category", "add", "服务器", "--parent", "硬件"))
    ok(crm("product", "add", "HW-1", "Rack", "--category", "硬件/服务器"))
    ok(crm("product", "add", "HW-2", "Cable", "--category", "硬件", "--off-sale"))
    ok(crm("product", "add", "SV-1", "Support"))
    codes = lambda *a: [r["code"] for r in ok(crm("product", "list", *a, "--json")).json()]  # noqa: E731
    assert codes() == ["HW-1", "HW-2", "SV-1"]
    assert codes("--category", "硬件") == ["HW-1", "HW-2"]
    assert codes("--category", "服务器") == ["HW-1"]
    assert codes("--on-sale") == ["HW-1", "SV-1"]
    assert codes("--search", "cab") == ["HW-2"]
    rows = ok(crm("product", "category", "list", "--format", "tsv")).rows()
    assert rows == [["id", "path", "products"], ["1", "硬件", "1"], ["2", "硬件/服务器", "1"]]


def test_pricing_rules(crm, session):
    ok(crm("product", "add", "P", "P", "--price", "10"))
    ok(crm("product", "rule", "add", "quantity", "--min-quantity", "10", "--discount", "5", "--product", "P"))
    ok(crm("product", "rule", "add", "tier", "--tier", "a", "--discount", "8"))
    ok(crm("product", "rule", "add", "role", "--role", "sales_rep", "--discount", "10"))
    ok(crm("product", "rule", "add", "role", "--role", "sales_rep", "--discount", "12"))  # replaces the limit
    rows = ok(crm("product", "rule", "list", "--json")).json()
    assert [(r["kind"], r["discount"], r["product"], r["min_quantity"], r["tier"], r["role"]) for r in rows] == [
        ("quantity", "5.00", "P", "10", None, None), ("role", "12.00", None, None, None, "sales_rep"),
        ("tier", "8.00", None, None, "A", None)]
    ok(crm("product", "rule", "remove", rows[0]["id"]))
    with session() as s:
        assert len(s.execute(select(PriceRule)).all()) == 2


def test_export_and_import_round_trip(crm, tmp_path, session):
    ok(crm("product", "category", "add", "X"))
    ok(crm("product", "add", "A-1", "Alpha", "--price", "12.5", "--category", "X", "--unit", "pcs", "--stock", "3"))
    ok(crm("product", "add", "B-1", "Beta", "--currency", "USD", "--off-sale"))
    path = tmp_path / "p.csv"
    ok(crm("product", "export", "--output", path))
    text = path.read_text(encoding="utf-8")
    assert text.splitlines() == ["code,name,unit,category,list_price,cost,currency,stock,on_sale,description",
                                 "A-1,Alpha,pcs,X,12.50,,CNY,3,true,", "B-1,Beta,,,0.00,,USD,,false,"]
    changed = text.replace("Alpha", "Alpha 2").replace("B-1,Beta", "C-1,Gamma").replace(",X,", ",X/Y,")
    path.write_text(changed, encoding="utf-8")
    result = ok(crm("product", "import", path, "--on-duplicate", "update", "--json"))
    assert result.json() == {"read": 2, "inserted": 1, "updated": 1, "skipped": 0}
    assert product(session, "A-1").name == "Alpha 2"
    assert product(session, "C-1").on_sale is False
    assert ok(crm("product", "show", "A-1", "--json")).json()["category"] == "X/Y"


def test_import_is_all_or_nothing(crm, tmp_path, session):
    path = tmp_path / "bad.csv"
    path.write_text("code,name,list_price\nOK-1,Fine,10\nBAD,Bad,-4\n", encoding="utf-8")
    before = snapshot(session)
    assert_refused(crm("product", "import", path), 6, "crm: error: line 3: the list price cannot be negative: -4\n")
    assert snapshot(session) == before


@pytest.mark.parametrize("args, code, err", [
    (("product", "add", "X", "Y", "--price", "-1"), 6, "crm: error: the list price cannot be negative: -1\n"),
    (("product", "add", "X", "Y", "--cost", "abc"), 6, "crm: error: the cost 'abc' is not a number\n"),
    (("product", "add", "X", "Y", "--stock", "-2"), 6, "crm: error: the stock cannot be negative: -2\n"),
    (("product", "add", "X", "Y", "--currency", "yuan"), 6,
     "crm: error: unknown currency 'yuan' (hint: crm currency list shows the supported codes)\n"),
    (("product", "add", "X", "Y", "--currency", "RMB"), 6,
     "crm: error: unknown currency 'RMB' (hint: crm currency list shows the supported codes)\n"),
    (("product", "add", "X", "Y", "--currency", "BHD"), 6,
     "crm: error: BHD has 3 decimals; products, opportunities and quotes keep amounts to hundredths "
     "(hint: price it in another currency, e.g. USD)\n"),
    (("product", "add", "A B", "Y"), 6, "crm: error: a product code is at most 64 characters, without spaces\n"),
    (("product", "add", "P", "Dup"), 5, "crm: error: there is already a product with code P\n"),
    (("product", "add", "X", "Y", "--category", "Nowhere"), 3,
     "crm: error: no product category named 'Nowhere' (hint: crm product category list)\n"),
    (("product", "edit", "NOPE", "--price", "1"), 3, "crm: error: no product 'NOPE' (hint: crm product list)\n"),
    (("product", "rule", "add", "quantity", "--min-quantity", "5", "--discount", "120"), 6,
     "crm: error: the discount must be between 0 and 100%: 120\n"),
    (("product", "rule", "add", "quantity", "--min-quantity", "-5", "--discount", "5"), 6,
     "crm: error: the quantity must be more than 0: -5\n"),
    (("product", "rule", "add", "quantity", "--discount", "5"), 6, "crm: error: a quantity tier needs --min-quantity\n"),
    (("product", "rule", "add", "bulk", "--discount", "5"), 6,
     "crm: error: unknown rule 'bulk' (hint: one of: quantity, tier, role)\n"),
    (("product", "rule", "remove", "99"), 3, "crm: error: no pricing rule 99\n"),
    (("product", "category", "add", "a/b"), 6, "crm: error: a category needs a name of at most 120 characters, without '/'\n"),
])
def test_bad_input(crm, session, args, code, err):
    ok(crm("product", "add", "P", "P"))
    before = snapshot(session)
    assert_refused(crm(*args), code, err)
    assert snapshot(session) == before


def test_reps_see_the_catalog_but_do_not_change_it(crm, org, session):  # noqa: F811
    ok(crm("product", "add", "P", "P"))
    before = snapshot(session)
    assert_refused(crm("product", "add", "Q", "Q", user="rep"), 4, "crm: error: rep may not product.create", exact=False)
    assert_refused(crm("product", "edit", "P", "--price", "1", user="rep"), 4, "crm: error: rep may not product.edit",
                   exact=False)
    assert snapshot(session) == before
    assert [r["code"] for r in ok(crm("product", "list", "--json", user="rep")).json()] == ["P"]
