"""Invoices (开票): amount, date, number and the buyer's tax details, never more than the contract amount.

The contract's row is locked (as for payments) so two invoices at once cannot together pass
the contract amount; invoice numbers are unique (a second one with the same number is exit 5).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crmcli import clock
from crmcli.errors import Conflict, ValidationError
from crmcli.i18n import _
from crmcli.services import audit, contracts, money
from crmcli.services.access import Actor, require
from crmcli.store.models.contracts import Invoice

INVOICEABLE = ("approved", "active", "completed")
_TAX_ID = re.compile(r"^[0-9A-Z]{15,20}$")
_NUMBER = re.compile(r"^[\w./-]{1,64}$")


def check_tax_id(value: str | None) -> str | None:
    """A buyer's tax id: 15 to 20 letters and digits (统一社会信用代码 is 18)."""
    text = (value or "").strip().upper().replace(" ", "")
    if not text:
        return None
    if not _TAX_ID.match(text):
        raise ValidationError(_("'{value}' is not a tax id").format(value=value),
                              hint=_("15 to 20 letters and digits, e.g. 91110108MA01234567"))
    return text


def add(session: Session, actor: Actor, ref: Any, *, amount: Any, number: str, issued_on: date | None = None,
        buyer_name: str | None = None, buyer_tax_id: str | None = None, note: str | None = None) -> Invoice:
    require(actor, "invoice.create")
    contract = contracts.lock(session, contracts.writable(session, actor, ref))  # a change: write access
    if contract.status not in INVOICEABLE:
        raise ValidationError(_("contract {number} is {status}: invoices only on an approved, active or completed "
                                "contract").format(number=contract.number,
                                                   status=contracts.status_label(contract.status)))
    number = (number or "").strip()
    if not _NUMBER.match(number):
        raise ValidationError(_("'{number}' is not an invoice number").format(number=number))
    value = money.parse_amount(amount, contract.currency)
    if contract.invoiced + value > contract.amount:
        raise ValidationError(_("invoices would total {total}, more than the contract amount {amount}").format(
            total=money.fmt(contract.invoiced + value, contract.currency),
            amount=money.fmt(contract.amount, contract.currency)))
    if session.execute(select(Invoice.id).where(Invoice.number == number)).first() is not None:
        raise Conflict(_("invoice {number} exists").format(number=number))
    invoice = Invoice(contract_id=contract.id, number=number, amount=value, issued_on=issued_on or actor.today(),
                      buyer_name=(buyer_name or "").strip() or None, buyer_tax_id=check_tax_id(buyer_tax_id),
                      note=(note or "").strip() or None, created_by=actor.id, created_at=clock.now())
    session.add(invoice)
    before = contract.invoiced
    contract.invoiced = before + value
    contract.updated_at = clock.now()
    session.flush()
    audit.record(session, actor, "contract.invoice", "contract", contract.id, contracts.label(contract),
                 {"invoiced": [str(before), str(contract.invoiced)], "invoice": [None, number],
                  "amount": [None, str(value)]})
    return invoice
