"""``crm currency``: supported codes, recorded rates, conversion."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crmcli.store.models.contracts import CurrencyRate
from tests.commands._org import snapshot
from tests.commands.test_bad_input import assert_refused
from tests.commands.test_contract import ok, rows

NOW = "2026-11-20T10:00:00+00:00"


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)


def test_list_has_minor_units(crm):
    table = dict(tuple(r) for r in ok(crm("currency", "list", "--format", "tsv")).rows()[1:])
    assert (table["CNY"], table["JPY"], table["KWD"], table["USD"]) == ("2", "0", "3", "2")


def test_set_list_and_convert(crm, session):
    result = ok(crm("currency", "rate", "set", "usd", "CNY", "7.1", "--date", "2026-11-01"))
    assert result.err == "1 USD = 7.1 CNY from 2026-11-01.\n"
    ok(crm("currency", "rate", "set", "USD", "CNY", "7.25"))  # from today
    ok(crm("currency", "rate", "set", "USD", "CNY", "7.2", "--date", "2026-11-01"))  # replaces that day's rate
    assert [(r.rate, r.valid_from.isoformat()) for r in rows(session, CurrencyRate)] == [
        (Decimal("7.2"), "2026-11-01"), (Decimal("7.25"), "2026-11-20")]
    assert ok(crm("currency", "rate", "list", "--format", "tsv")).rows() == [
        ["base", "quote", "rate", "valid_from"], ["USD", "CNY", "7.25", "2026-11-20"], ["USD", "CNY", "7.2", "2026-11-01"]]
    converted = ok(crm("currency", "convert", "100", "USD", "CNY", "--json")).json()
    assert (converted["result"], converted["rate"]) == ("725.00", "7.25")
    assert ok(crm("currency", "convert", "100", "USD", "CNY", "--date", "2026-11-10", "--json")).json()["result"] == "720.00"
    inverse = ok(crm("currency", "convert", "725", "CNY", "USD", "--json")).json()
    assert inverse["result"] == "100.00"


@pytest.mark.parametrize("args, code, err", [
    (("rate", "set", "USD", "XYZ", "7"), 6,
     "crm: error: unknown currency 'XYZ' (hint: crm currency list shows the supported codes)\n"),
    (("rate", "set", "USD", "USD", "1"), 6, "crm: error: a rate needs two different currencies\n"),
    (("rate", "set", "USD", "CNY", "0"), 6, "crm: error: the rate must be more than zero: 0\n"),
    (("rate", "set", "USD", "CNY", "--", "-7"), 6, "crm: error: the rate must be more than zero: -7\n"),
    (("rate", "set", "USD", "CNY", "abc"), 6, "crm: error: the rate 'abc' is not a number\n"),
    (("convert", "1.005", "USD", "CNY"), 6, "crm: error: 1.005 has more decimals than USD has (2)\n"),
    (("convert", "1", "EUR", "CNY"), 6, "crm: error: no EUR→CNY rate recorded on or before 2026-11-20 (hint: "
                                        "record one: crm currency rate set EUR CNY RATE --date 2026-11-20)\n"),
])
def test_bad_currency_input(crm, session, args, code, err):
    before = snapshot(session)
    assert_refused(crm("currency", *args), code, err)
    assert snapshot(session) == before


def test_only_finance_or_administrators_set_rates(crm, session):
    ok(crm("user", "add", "rep", "--role", "sales_rep"))
    ok(crm("user", "add", "fin", "--role", "finance"))
    before = snapshot(session)
    assert_refused(crm("currency", "rate", "set", "USD", "CNY", "7", user="rep"), 4,
                   "crm: error: rep may not currency.admin", exact=False)
    assert snapshot(session) == before
    ok(crm("currency", "rate", "set", "USD", "CNY", "7", user="fin"))
