"""Money rules of the pipeline (crmcli/services/pricing.py) and the exact Fixed column type."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from crmcli.errors import ValidationError
from crmcli.services import pricing
from crmcli.services.opportunities import closing_range
from crmcli.store.models.pipeline import Fixed

UTC = timezone.utc


@pytest.mark.parametrize("value, currency, expected", [
    ("12", "CNY", Decimal("12.00")), ("12.5", "USD", Decimal("12.50")), ("1,234.56", "CNY", Decimal("1234.56")),
    ("1000", "JPY", Decimal("1000.00")), ("0", "CNY", Decimal("0.00")), (Decimal("3.10"), "EUR", Decimal("3.10")),
])
def test_parse_money(value, currency, expected):
    assert pricing.parse_money(value, currency) == expected


@pytest.mark.parametrize("value, currency, message", [
    ("-1", "CNY", "the amount cannot be negative: -1"),
    ("1.234", "CNY", "the amount 1.234 has more decimals than CNY allows (2)"),
    ("1.5", "JPY", "the amount 1.5 has more decimals than JPY allows (0)"),
    ("NaN", "CNY", "the amount 'NaN' is not a number"),
    ("1e16", "CNY", "the amount 1e16 is out of range"),
])
def test_bad_money(value, currency, message):
    with pytest.raises(ValidationError) as caught:
        pricing.parse_money(value, currency)
    assert caught.value.message == message


@pytest.mark.parametrize("value, currency, expected", [
    ("0.005", "CNY", "0.01"), ("0.015", "CNY", "0.02"), ("0.025", "CNY", "0.03"), ("-0.005", "CNY", "-0.01"),
    ("2.5", "JPY", "3.00"), ("3.5", "JPY", "4.00"), ("0.0049", "CNY", "0.00"),
])
def test_rounding_is_half_up_to_the_minor_unit(value, currency, expected):
    assert pricing.round_money(Decimal(value), currency) == Decimal(expected)


def test_line_total_rounds_once():
    # 3 × 0.335 = 1.005 → 1.01 (rounding each unit price first would give 3 × 0.34 = 1.02)
    assert pricing.line_total(Decimal("3"), Decimal("0.335"), Decimal("0"), "CNY") == Decimal("1.01")
    assert pricing.line_total(Decimal("1.5"), Decimal("33.33"), Decimal("12.5"), "CNY") == Decimal("43.75")


@pytest.mark.parametrize("value, bad", [("100.01", True), ("-0.01", True), ("12.345", True), ("12.5%", False),
                                         ("100", False)])
def test_percent(value, bad):
    if bad:
        with pytest.raises(ValidationError):
            pricing.parse_percent(value)
    else:
        assert pricing.parse_percent(value) == Decimal(value.rstrip("%")).quantize(Decimal("0.01"))


def test_fixed_stores_whole_hundredths():
    money = Fixed(2)
    assert money.process_bind_param(Decimal("1234.56"), None) == 123456
    assert money.process_bind_param("0.1", None) == 10
    assert money.process_result_value(123456, None) == Decimal("1234.56")
    assert money.process_result_value(Decimal("5"), None) == Decimal("0.05")  # PostgreSQL sums come back numeric
    assert money.process_bind_param("0.001", None) == 0.1  # only a comparison (--where) gets here: not rounded
    with pytest.raises(ValidationError):
        money.process_bind_param("abc", None)
    assert Fixed(3).process_bind_param(Decimal("1.5"), None) == 1500


@pytest.mark.parametrize("text, expected", [
    ("this-month", (date(2026, 11, 1), date(2026, 11, 30))), ("next-month", (date(2026, 12, 1), date(2026, 12, 31))),
    ("this-quarter", (date(2026, 10, 1), date(2026, 12, 31))), ("next-quarter", (date(2027, 1, 1), date(2027, 3, 31))),
    ("this-year", (date(2026, 1, 1), date(2026, 12, 31))), ("overdue", (None, date(2026, 11, 19))),
    ("2027-02", (date(2027, 2, 1), date(2027, 2, 28))), ("2026-Q2", (date(2026, 4, 1), date(2026, 6, 30))),
    ("2026-12-01..2026-12-15", (date(2026, 12, 1), date(2026, 12, 15))),
])
def test_closing_periods(text, expected):
    now = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert closing_range(text, UTC, now) == expected


@pytest.mark.parametrize("code, expected", [("cny", "CNY"), (" USD ", "USD"), ("JPY", "JPY")])
def test_check_currency_is_the_iso_check(code, expected):
    assert pricing.check_currency(code) == expected


@pytest.mark.parametrize("code, message", [
    ("XYZ", "unknown currency 'XYZ'"), ("RMB1", "unknown currency 'RMB1'"), ("", "unknown currency ''"),
    ("KWD", "KWD has 3 decimals; products, opportunities and quotes keep amounts to hundredths"),
])
def test_check_currency_refuses(code, message):
    with pytest.raises(ValidationError) as caught:
        pricing.check_currency(code)
    assert caught.value.message == message
