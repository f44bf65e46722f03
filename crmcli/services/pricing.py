"""Money, quantities, percentages — and the one rounding rule.

Amounts are ``Decimal`` with a currency code, never float.  Codes are checked by
:func:`crmcli.services.money.check_currency` (the ISO 4217 codes crm supports; any other is
exit 6); amounts are stored to hundredths, so a currency with three decimals (KWD, BHD …) is
refused here with a clear message.  An
amount a user types must already fit the currency's minor unit (two decimals for most
currencies, none for JPY, KRW …): crm does not silently round what people type.

**Rounding is stated once, here:** a computed amount (a quote line's total after its discount,
a quote's tax) is rounded ROUND_HALF_UP to the currency's minor unit by :func:`round_money`, at
the line total; the quote's subtotal and total are exact sums of rounded amounts.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from crmcli import limits
from crmcli.errors import ValidationError
from crmcli.i18n import _

DEFAULT_CURRENCY = "CNY"
# ISO 4217 currencies without a minor unit; every other currency has two decimals.
_NO_DECIMALS = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "PYG", "UGX", "XAF", "XOF", "IDR"})
HUNDRED = Decimal(100)


def check_currency(code: Any) -> str:
    """A supported ISO 4217 code (:func:`crmcli.services.money.check_currency`) whose amounts fit in
    hundredths: products, opportunities and quotes store two decimals."""
    from crmcli.services import money

    value = money.check_currency(code)
    places = money.minor_unit(value)
    if places > 2:
        raise ValidationError(
            _("{code} has {places} decimals; products, opportunities and quotes keep amounts to hundredths").format(
                code=value, places=places),
            hint=_("price it in another currency, e.g. USD"))
    return value


def minor_unit(currency: str) -> int:
    return 0 if currency in _NO_DECIMALS else 2


def _decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, Decimal):
        number = value
    else:
        text = str(value).strip().replace(",", "").replace("_", "")
        try:
            number = Decimal(text)
        except (InvalidOperation, ValueError):
            raise ValidationError(_("{what} '{value}' is not a number").format(what=what, value=value)) from None
    if not number.is_finite():
        raise ValidationError(_("{what} '{value}' is not a number").format(what=what, value=value))
    return number


def check_number(value: Any, expr: str) -> Decimal:
    """A number in a filter (``--where amount>…``)."""
    try:
        number = Decimal(str(value).strip())
        if not number.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise ValidationError(_("'{value}' is not a number").format(value=value),
                              hint=_("in {expr}").format(expr=expr)) from None
    return limits.check_amount(number, value)


def parse_money(value: Any, currency: str, what: str | None = None) -> Decimal:
    """A non-negative amount in ``currency``, with no more decimals than the currency has."""
    what = what or _("the amount")
    number = limits.check_amount(_decimal(value, what), value, what)
    if number < 0:
        raise ValidationError(_("{what} cannot be negative: {value}").format(what=what, value=value))
    places = minor_unit(currency)
    if number != number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):
        raise ValidationError(_("{what} {value} has more decimals than {currency} allows ({places})").format(
            what=what, value=value, currency=currency, places=places))
    limits.check_amount(number, value, what)
    return number.quantize(Decimal("0.01"))


def parse_quantity(value: Any) -> Decimal:
    """A positive quantity with at most three decimals."""
    number = limits.check_quantity(_decimal(value, _("the quantity")), value)
    if number <= 0:
        raise ValidationError(_("the quantity must be more than 0: {value}").format(value=value))
    if number != number.quantize(Decimal("0.001")):
        raise ValidationError(_("the quantity {value} has more than 3 decimals").format(value=value))
    limits.check_quantity(number, value)
    return number.quantize(Decimal("0.001"))


def parse_percent(value: Any, what: str | None = None) -> Decimal:
    """A percentage from 0 to 100 with at most two decimals (``12.5``, ``12.5%``)."""
    what = what or _("the discount")
    text = str(value).strip().rstrip("%") if not isinstance(value, Decimal) else value
    number = _decimal(text, what)
    if not 0 <= number <= 100:
        raise ValidationError(_("{what} must be between 0 and 100%: {value}").format(what=what, value=value))
    if number != number.quantize(Decimal("0.01")):
        raise ValidationError(_("{what} {value} has more than 2 decimals").format(what=what, value=value))
    return number.quantize(Decimal("0.01"))


def round_money(value: Decimal, currency: str) -> Decimal:
    """THE rounding rule: ROUND_HALF_UP to the currency's minor unit (stored with two decimals)."""
    places = minor_unit(currency)
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP).quantize(Decimal("0.01"))


def line_total(quantity: Decimal, unit_price: Decimal, discount: Decimal, currency: str) -> Decimal:
    """quantity × unit price × (1 − discount%), rounded once (refused past :data:`crmcli.limits.MAX_AMOUNT`)."""
    limits.check_line(quantity, unit_price)
    return round_money(quantity * unit_price * (HUNDRED - discount) / HUNDRED, currency)


def weighted(amount: Decimal, probability: Decimal | int) -> Decimal:
    """An amount weighted by a probability in percent (a report figure, kept to cents)."""
    return (Decimal(amount) * Decimal(probability) / HUNDRED).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def show_quantity(quantity: Decimal | None) -> str:
    """``3`` or ``2.5`` (no trailing zeros)."""
    if quantity is None:
        return ""
    text = f"{quantity:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def show(amount: Decimal | None, currency: str | None = None) -> str:
    """``12,345.60`` (with the currency's decimals) for text output."""
    if amount is None:
        return ""
    places = minor_unit(currency) if currency else 2
    return f"{amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):,}"
