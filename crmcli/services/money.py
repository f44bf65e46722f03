"""Money: ``Decimal`` amounts with an ISO 4217 currency, never float.

* :data:`MINOR_UNITS` — the currencies crm knows and their minor units (ISO 4217); any other
  code is refused (exit 6).
* :func:`parse_amount` — what a user types: a positive amount with no more decimals than its
  currency has (``12.345`` CNY and ``100.5`` JPY are refused, never rounded away).
* :func:`round_to` — the one rounding rule for computed amounts (a line total, an instalment's
  share, a conversion): ROUND_HALF_UP to the currency's minor unit.
* :func:`split` — an amount cut into shares that sum to it exactly (the last share absorbs the
  rounding).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Iterable

from crmcli import limits
from crmcli.errors import ValidationError
from crmcli.i18n import _

DEFAULT_CURRENCY = "CNY"

# ISO 4217 minor units of the currencies crm supports.
MINOR_UNITS: dict[str, int] = {
    "CNY": 2, "USD": 2, "EUR": 2, "JPY": 0, "GBP": 2, "HKD": 2, "TWD": 2, "MOP": 2, "KRW": 0,
    "SGD": 2, "AUD": 2, "NZD": 2, "CAD": 2, "CHF": 2, "SEK": 2, "NOK": 2, "DKK": 2, "PLN": 2,
    "CZK": 2, "HUF": 2, "RUB": 2, "INR": 2, "IDR": 2, "MYR": 2, "THB": 2, "PHP": 2, "VND": 0,
    "AED": 2, "SAR": 2, "ILS": 2, "TRY": 2, "ZAR": 2, "BRL": 2, "MXN": 2, "CLP": 0, "ISK": 0,
    "KWD": 3, "BHD": 3, "OMR": 3, "JOD": 3, "TND": 3,
}


def check_currency(code: Any) -> str:
    """A supported ISO 4217 code, upper-cased; anything else is exit 6."""
    value = str(code or "").strip().upper()
    if value not in MINOR_UNITS:
        raise ValidationError(_("unknown currency '{code}'").format(code=code),
                              hint=_("crm currency list shows the supported codes"))
    return value


def minor_unit(currency: str) -> int:
    return MINOR_UNITS[currency]


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-MINOR_UNITS[currency])


def to_decimal(value: Any, what: str | None = None) -> Decimal:
    """A finite Decimal from what a user typed (``1,200.50`` and ``1_200`` are read; floats never).

    At most :data:`crmcli.limits.MAX_AMOUNT` in absolute value: every number money reads
    (amounts, quantities, rates, thresholds) fits the stored BIGINT with room for sums.
    """
    if isinstance(value, Decimal):
        number = value
    else:
        text = str(value).strip().replace(",", "").replace("_", "")
        try:
            number = Decimal(text)
        except (InvalidOperation, ValueError):
            number = Decimal("NaN")
    if not number.is_finite():
        raise ValidationError(_("{what} '{value}' is not a number").format(
            what=what or _("the amount"), value=limits.shown(value)))
    return limits.check_amount(number, value, what)


def check_places(number: Decimal, currency: str, raw: Any = None) -> Decimal:
    places = MINOR_UNITS[currency]
    if number != number.quantize(quantum(currency), rounding=ROUND_HALF_UP):
        raise ValidationError(_("{value} has more decimals than {currency} has ({places})").format(
            value=raw if raw is not None else number, currency=currency, places=places))
    return number.quantize(quantum(currency))


def parse_amount(value: Any, currency: str, what: str | None = None, allow_zero: bool = False) -> Decimal:
    """A positive amount in ``currency`` (zero only when ``allow_zero``), exact to its minor unit,
    at most :data:`crmcli.limits.MAX_AMOUNT`."""
    number = to_decimal(value, what)
    if number < 0 or (number == 0 and not allow_zero):
        raise ValidationError(_("{what} must be more than zero: {value}").format(
            what=what or _("the amount"), value=value))
    return check_places(number, currency, value)


def round_to(number: Decimal, currency: str) -> Decimal:
    """The one rounding rule: ROUND_HALF_UP to the currency's minor unit."""
    return number.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def split(total: Decimal, weights: Iterable[Decimal], currency: str) -> list[Decimal]:
    """``total`` cut in proportion to ``weights``; each share rounded, the last absorbing the rest."""
    weights = list(weights)
    whole = sum(weights, Decimal(0))
    shares = [round_to(total * w / whole, currency) for w in weights[:-1]]
    shares.append(total - sum(shares, Decimal(0)))
    return shares


def fmt(amount: Decimal | None, currency: str | None = None) -> str:
    """``1,234.50 CNY`` — an amount shown with its currency's decimals."""
    if amount is None:
        return ""
    if currency in MINOR_UNITS:
        amount = amount.quantize(quantum(currency))
    text = f"{amount:,}"
    return f"{text} {currency}" if currency else text


def plain(amount: Decimal, currency: str) -> Decimal:
    """The amount with exactly its currency's decimals (how JSON and TSV carry it)."""
    return amount.quantize(quantum(currency))
