"""The customers view's calls to the services (a part of :class:`crmcli.tui.data.Data`).

My customers are ``crm customer list --days-left`` (the days before the public pool's rules
recycle each one); the pool is ``crm pool list``; ``c`` is ``crm pool claim``, ``t`` is
``crm customer transfer``, and the 360 view is ``crm customer show``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from crmcli.i18n import _


@dataclass(frozen=True)
class Section:
    """One block of the 360 view: a heading, column labels, and rows of display strings."""

    title: str
    columns: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Customer360:
    id: int
    title: str
    status_label: str
    pooled: bool
    fields: list[tuple[str, str]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    timeline: list[Any] = field(default_factory=list)  # TimelineRow


class CustomersData:
    """Mixed into :class:`crmcli.tui.data.Data`."""

    def _text(self, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            return self.when(value)
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Decimal):
            from crmcli.services import pricing

            return pricing.show(value)
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        return str(value)

    def _customer_rows(self, session: Any, found: list[Any], pooled: bool) -> list[Any]:
        from crmcli import clock
        from crmcli.services import customers, pool_moves, pool_rules
        from crmcli.tui.data import CustomerRow

        owners = customers.owner_logins(session, [c.owner_id for c in found])
        now = clock.now()
        extra: list[dict[str, Any]] = [{} for _c in found]
        if not pooled:
            pool_rules.add_days_left(session, found, extra)
        rows = []
        for c, more in zip(found, extra):
            if pooled:
                days = _("{n}d in pool").format(n=pool_moves.days_in_pool(c, now))
                soon = False
            else:
                left = more.get("days_left")
                days = "" if left is None else str(left)
                soon = left is not None and left <= 7
            rows.append(CustomerRow(
                id=c.id, label=customers.CUSTOMER.label(c), name=c.name, tier=c.tier or "", status=c.status,
                status_label=_(customers.STATUS_LABELS.get(c.status, c.status)), owner=owners.get(c.owner_id, ""),
                next_contact=self.when(c.next_contact_at), due=self._due(c.next_contact_at, now),
                last_followup=self.when(c.last_followup_at), closed=c.status == "closed",
                days_left=days, recycle_soon=soon))
        return rows

    def customers(self, wanted: Any, after: str | None = None, limit: int = 100) -> Any:
        """One page of customers (``crm customer list --days-left``), or of the pool (``crm pool list``)."""
        from crmcli.services import customers, pool_moves
        from crmcli.tui.data import Page

        with self.rt.transaction(write=False) as (s, me):
            if wanted.owner == "none":
                opts = wanted.options(after, limit)
                opts.owner = None
                _pools, page = pool_moves.page(s, me, opts, self.tz)
                return Page(self._customer_rows(s, page.rows, pooled=True), page.next_cursor)
            page = customers.page(s, me, wanted.options(after, limit), self.tz)
            return Page(self._customer_rows(s, page.rows, pooled=False), page.next_cursor)

    def claim_customer(self, customer_id: int) -> str:
        """``crm pool claim ID``: the pool's limits and a colleague's claim meanwhile are the service's to refuse."""
        from crmcli.services import pool_moves

        with self._write(f"pool claim {customer_id}") as (s, me):
            moved = pool_moves.claim(s, me, [str(customer_id)], kind="customer", tz=self.tz)
            return _("Claimed customer {id} from pool {pool}.").format(id=customer_id, pool=moved[0].pool.name)

    def transfer_customer(self, customer_id: int, to: str) -> str:
        """``crm customer transfer ID --to LOGIN``."""
        from crmcli.services import customers

        to = to.strip()
        with self._write(f"customer transfer {customer_id} --to {to}") as (s, me):
            result = customers.transfer(s, me, [str(customer_id)], to)
            return _("Customer {id} now belongs to {login}.").format(id=customer_id, login=result.owner.login)

    def customer(self, customer_id: int) -> Customer360:
        """The customer 360 view, as ``crm customer show`` has it."""
        from crmcli.services import customers
        from crmcli.tui.data import TimelineRow

        with self.rt.transaction(write=False) as (s, me):
            v = customers.view(s, me, customer_id)
            c = v.customer
            status = _(customers.STATUS_LABELS.get(c.status, c.status))
            values: list[tuple[str, Any]] = [
                (_("name"), c.name), (_("tier"), c.tier), (_("status"), status),
                (_("owner"), v.owner if c.owner_id is not None else _("the public pool")),
                (_("phone"), c.phone), (_("email"), getattr(c, "email", None)),
                (_("website"), getattr(c, "website", None)), (_("address"), c.address),
                (_("industry"), c.industry), (_("tags"), ", ".join(v.tags)),
                (_("team"), ", ".join(f"{u.login} ({access})" for u, access in v.team)),
                (_("locked"), _("yes") if getattr(c, "locked", False) else None),
                (_("next contact"), c.next_contact_at), (_("last follow-up"), c.last_followup_at),
                (_("created"), c.created_at),
            ]
            if c.owner_id is not None:
                extra: list[dict[str, Any]] = [{}]
                from crmcli.services import pool_rules

                pool_rules.add_days_left(s, [c], extra)
                left = extra[0].get("days_left")
                if left is not None:
                    values.append((_("days left"), _("{n} days before it returns to the pool").format(n=left)))
            shown = [(label, self._text(val)) for label, val in values if val not in (None, "", [], {})]
            sections = []
            contact_rows = [[str(p.id), p.name, getattr(p, "role", None) or "", p.mobile or p.phone or "",
                             p.email or ""] for p in v.contacts]
            sections.append(Section(_("Contacts"), ["id", _("name"), _("role"), _("mobile"), _("email")],
                                    contact_rows))
            related = customers.related_types()
            for name, rows in v.related.items():
                spec = related.get(name)
                if spec is None:
                    continue
                keys = [key for key, _label in spec.columns]
                sections.append(Section(_(spec.title), [_(label) if key != "id" else "id" for key, label in spec.columns],
                                        [[self._text(row.get(k)) for k in keys] for row in rows]))
            timeline = [TimelineRow(self.when(e.at), e.who, e.summary) for e in v.timeline]
            return Customer360(c.id, f"#{c.id} {c.name}", status, c.owner_id is None, shown, sections, timeline)
