"""Money rules: supported currencies, decimals, the rounding rule, exact splitting, exact storage."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crmcli.errors import ValidationError
from crmcli.services import money
from crmcli.store.models.contracts import Scaled


def test_unknown_currency():
    with pytest.raises(ValidationError, match="unknown currency 'ABC'"):
        money.check_currency("ABC")
    assert money.check_currency(" usd ") == "USD"


@pytest.mark.parametrize("text, currency, expected", [
    ("12.30", "CNY", Decimal("12.30")), ("12.3", "CNY", Decimal("12.30")), ("1,200", "CNY", Decimal("1200.00")),
    ("100", "JPY", Decimal("100")), ("1.234", "KWD", Decimal("1.234")), ("12.300", "CNY", Decimal("12.30")),
])
def test_parse_amount(text, currency, expected):
    assert money.parse_amount(text, currency) == expected


@pytest.mark.parametrize("text, currency, message", [
    ("12.345", "CNY", r"12.345 has more decimals than CNY has \(2\)"), ("1.5", "JPY", "1.5 has more decimals than JPY"),
    ("0", "CNY", "must be more than zero"), ("-1", "CNY", "must be more than zero"), ("1e400x", "CNY", "not a number"),
    ("NaN", "CNY", "not a number"), ("Infinity", "CNY", "not a number"),
])
def test_parse_amount_refuses(text, currency, message):
    with pytest.raises(ValidationError, match=message):
        money.parse_amount(text, currency)


def test_round_half_up():
    assert money.round_to(Decimal("83.325"), "CNY") == Decimal("83.33")
    assert money.round_to(Decimal("0.5"), "JPY") == Decimal("1")
    assert money.round_to(Decimal("2.5"), "JPY") == Decimal("3")  # half up, not half even


@pytest.mark.parametrize("total, weights, currency", [
    (Decimal("100.00"), [1, 1, 1], "CNY"), (Decimal("0.10"), [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")], "CNY"),
    (Decimal("1000"), [3, 3, 3, 1], "JPY"), (Decimal("999999999.99"), [30, 40, 30], "USD"),
])
def test_split_sums_exactly(total, weights, currency):
    shares = money.split(total, [Decimal(w) for w in weights], currency)
    assert sum(shares) == total
    assert all(s == s.quantize(money.quantum(currency)) for s in shares)


def test_scaled_storage_is_exact():
    money_type = Scaled(4)
    for value in ("0.01", "12345678901234.5678", "0.1", "-3.3333"):
        stored = money_type.process_bind_param(Decimal(value), None)
        assert isinstance(stored, int)
        assert money_type.process_result_value(stored, None) == Decimal(value)
    with pytest.raises(ValidationError):
        money_type.process_bind_param(Decimal("0.00001"), None)
