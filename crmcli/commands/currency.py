"""``crm currency``: the supported currencies and recorded exchange rates."""

from __future__ import annotations

import typer

from crmcli.commands._common import new_app, rt
from crmcli.i18n import _

app = new_app(_("Currencies and exchange rates (汇率): list currencies, set and list rates, convert.\n\n"
                "Examples:\n\n  crm currency rate set USD CNY 7.1 --date 2026-11-01\n\n"
                "  crm currency rate list\n\n  crm currency convert 1000 USD CNY\n\n  crm currency list"))
rate_app = new_app(_("Exchange rates: set, list.\n\nExamples:\n\n  crm currency rate set USD CNY 7.1 --date 2026-11-01\n\n"
                     "  crm currency rate list --base USD"))
app.add_typer(rate_app, name="rate")


@app.command("list", help=_("The supported currencies (ISO 4217) and their decimals."))
def list_() -> None:
    from crmcli.output import Column
    from crmcli.services import money

    rt().out().rows([Column("code", _("code")), Column("decimals", _("decimals"), "right")],
                    [{"code": code, "decimals": places} for code, places in sorted(money.MINOR_UNITS.items())])


@rate_app.command("set", help=_("Record that from --date (default today) 1 BASE is RATE QUOTE."))
def rate_set(base: str = typer.Argument(..., metavar="BASE"), quote: str = typer.Argument(..., metavar="QUOTE"),
             rate: str = typer.Argument(..., metavar="RATE"),
             date: str = typer.Option(None, "--date", metavar="DATE")) -> None:
    from crmcli import dates
    from crmcli.services import currency

    with rt().transaction() as (s, me):
        row = currency.set_rate(s, me, base, quote, rate, dates.parse_date(date, rt().timezone()) if date else None)
        text = _("1 {base} = {rate} {quote} from {date}.").format(base=row.base, rate=row.rate.normalize(),
                                                                   quote=row.quote, date=row.valid_from.isoformat())
    rt().message(text)


@rate_app.command("list", help=_("List recorded rates, the latest first."))
def rate_list(base: str = typer.Option(None, "--base"), quote: str = typer.Option(None, "--quote")) -> None:
    from crmcli.output import Column
    from crmcli.services import currency

    with rt().transaction(write=False) as (s, me):
        rows = [{"base": r.base, "quote": r.quote, "rate": r.rate.normalize(), "valid_from": r.valid_from}
                for r in currency.rates(s, base, quote)]
    rt().out().rows([Column("base", _("base")), Column("quote", _("quote")), Column("rate", _("rate"), "right"),
                     Column("valid_from", _("from"))], rows)


@app.command("convert", help=_("Convert an amount with the latest recorded rate on or before --date."))
def convert(amount: str = typer.Argument(...), base: str = typer.Argument(..., metavar="FROM"),
            quote: str = typer.Argument(..., metavar="TO"), date: str = typer.Option(None, "--date", metavar="DATE")) -> None:
    from crmcli import dates
    from crmcli.services import currency, money

    with rt().transaction(write=False) as (s, me):
        base, quote = money.check_currency(base), money.check_currency(quote)
        value = money.check_places(money.to_decimal(amount), base, amount)
        on = dates.parse_date(date, rt().timezone()) if date else None
        result = currency.convert(s, value, base, quote, on)
        used = currency.rate(s, base, quote, on)
    rt().out().record([("amount", _("amount"), money.plain(value, base)), ("from", _("from"), base),
                       ("result", _("result"), money.plain(result, quote)), ("to", _("to"), quote),
                       ("rate", _("rate"), round(used, 8).normalize())])
