"""Currency rates (汇率): recorded by people, used for every conversion.

``crm currency rate set USD CNY 7.1 --date 2026-11-01`` records that from that date 1 USD is
7.1 CNY.  A conversion uses the latest rate on or before the day it is for (the inverse of a
recorded rate when only that exists), and rounds the result ROUND_HALF_UP to the target
currency's minor unit.  Totals never mix currencies: reports either keep one row per currency
or convert every amount with a recorded rate, and say which rates they used.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from crmcli import clock
from crmcli.errors import ValidationError
from crmcli.i18n import _
from crmcli.services import audit, money
from crmcli.services.access import Actor, require
from crmcli.store.models.contracts import RATE_SCALE, CurrencyRate


def set_rate(session: Session, actor: Actor, base: str, quote: str, rate: str, on: date | None = None) -> CurrencyRate:
    require(actor, "currency.admin")
    base, quote = money.check_currency(base), money.check_currency(quote)
    if base == quote:
        raise ValidationError(_("a rate needs two different currencies"))
    value = money.to_decimal(rate, _("the rate"))
    if value <= 0:
        raise ValidationError(_("the rate must be more than zero: {value}").format(value=rate))
    if value != value.quantize(Decimal(1).scaleb(-RATE_SCALE)):
        raise ValidationError(_("a rate may have at most {n} decimals").format(n=RATE_SCALE))
    on = on or clock.now().date()
    row = session.execute(select(CurrencyRate).where(CurrencyRate.base == base, CurrencyRate.quote == quote,
                                                     CurrencyRate.valid_from == on)).scalar_one_or_none()
    before = str(row.rate) if row else None
    if row is None:
        row = CurrencyRate(base=base, quote=quote, rate=value, valid_from=on, created_by=actor.id,
                           created_at=clock.now())
        session.add(row)
    else:
        row.rate = value
    session.flush()
    audit.record(session, actor, "currency.rate", "currency_rate", row.id, f"{base}/{quote} {on.isoformat()}",
                 {"rate": [before, str(value)]})
    return row


def rates(session: Session, base: str | None = None, quote: str | None = None) -> list[CurrencyRate]:
    query = select(CurrencyRate)
    if base:
        query = query.where(CurrencyRate.base == money.check_currency(base))
    if quote:
        query = query.where(CurrencyRate.quote == money.check_currency(quote))
    return list(session.execute(query.order_by(CurrencyRate.base, CurrencyRate.quote,
                                               CurrencyRate.valid_from.desc())).scalars())


def rate(session: Session, base: str, quote: str, on: date | None = None) -> Decimal:
    """How many ``quote`` one ``base`` is worth on ``on`` (default today): a recorded rate or its inverse."""
    if base == quote:
        return Decimal(1)
    on = on or clock.now().date()
    direct = session.execute(select(CurrencyRate.rate).where(
        CurrencyRate.base == base, CurrencyRate.quote == quote, CurrencyRate.valid_from <= on)
        .order_by(CurrencyRate.valid_from.desc()).limit(1)).scalar_one_or_none()
    if direct is not None:
        return direct
    inverse = session.execute(select(CurrencyRate.rate).where(
        CurrencyRate.base == quote, CurrencyRate.quote == base, CurrencyRate.valid_from <= on)
        .order_by(CurrencyRate.valid_from.desc()).limit(1)).scalar_one_or_none()
    if inverse is not None:
        return Decimal(1) / inverse
    raise ValidationError(_("no {base}→{quote} rate recorded on or before {date}").format(
        base=base, quote=quote, date=on.isoformat()),
        hint=_("record one: crm currency rate set {base} {quote} RATE --date {date}").format(
            base=base, quote=quote, date=on.isoformat()))


def convert(session: Session, amount: Decimal, base: str, quote: str, on: date | None = None) -> Decimal:
    if base == quote:
        return amount
    return money.round_to(amount * rate(session, base, quote, on), quote)
