"""Contracts (orders), approvals, receivable plans, payments, invoices and currency rates (DOMAIN.md "Contracts / orders").

Money is exact: :class:`Scaled` keeps a ``Decimal`` as a whole number of 10**-scale units in a
BIGINT (amounts: scale 4, so every ISO 4217 minor unit up to four decimals fits; rates: scale 8),
the same on SQLite and PostgreSQL, so sums in SQL are exact integer sums.  Every amount sits
beside its currency (on the contract); services/money.py checks that an amount a user types has
no more decimals than its currency.

* ``contract`` — number (unique, gap-free per year: ``number_counter``), customer, opportunity,
  quote, signing contact, owner, currency, amount, lifecycle ``status``, dates, and the running
  totals ``paid`` and ``invoiced`` (kept in the transaction that records a payment or invoice,
  under the contract's row lock).
* ``contract_item`` — line items (description, quantity, unit price, optional product).
* ``receivable_plan`` — instalments (回款计划): number ``seq`` within the contract, amount, due date,
  method, reminder days, and what has been paid against it.
* ``payment`` (回款), ``invoice`` (开票).
* ``approval_flow`` / ``approval`` / ``approval_decision`` — the configured steps per record type,
  one approval per submission (its steps resolved when submitted), and every decision.
* ``currency_rate`` — recorded exchange rates, ``numbering`` / ``number_counter`` — the contract
  number pattern and the per-(pattern, year) counters.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import BigInteger, Column, Index, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from crmcli.store.models import pipeline as _pipeline  # noqa: F401  (its opportunity, quote, product tables are referenced)
from crmcli.store.types import JSONText, UTCDateTime

MONEY_SCALE = 4
RATE_SCALE = 8
QUANTITY_SCALE = 3
_CENT = Decimal("0.01")


class _ScaledInteger(BigInteger):
    @property
    def python_type(self) -> type:
        return Decimal


class Scaled(TypeDecorator):
    """A ``Decimal`` with at most ``scale`` decimals, stored exactly as an integer count of 10**-scale."""

    impl = _ScaledInteger
    cache_ok = True

    def __init__(self, scale: int = MONEY_SCALE) -> None:
        super().__init__()
        self.scale = scale
        self._factor = Decimal(10) ** scale

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None:
            return None
        try:
            number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
            scaled = number * self._factor
            if not scaled.is_finite() or scaled != scaled.to_integral_value():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            from crmcli.errors import ValidationError

            raise ValidationError(f"'{value}' is not a number with at most {self.scale} decimals") from None
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        number = Decimal(int(value)).scaleb(-self.scale)
        cents = number.quantize(_CENT)
        return cents if cents == number else number.normalize()


def _money(nullable: bool = False, default: Any = Decimal(0)) -> Any:
    return Field(default=default, sa_type=Scaled(MONEY_SCALE), nullable=nullable)


def _when(nullable: bool = True) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable)


class Contract(SQLModel, table=True):
    """合同/订单: draft → pending → approved | rejected → active → completed | terminated."""

    __tablename__ = "contract"
    __table_args__ = (
        Index("ix_contract_owner_status", "owner_id", "status", "id"),
        Index("ix_contract_customer", "customer_id"),
        Index("ix_contract_status_end", "status", "end_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=64, unique=True)
    title: str = Field(max_length=200)
    customer_id: int = Field(foreign_key="customer.id")
    opportunity_id: int | None = Field(default=None, foreign_key="opportunity.id")
    quote_id: int | None = Field(default=None, foreign_key="quote.id")
    contact_id: int | None = Field(default=None, foreign_key="contact.id")  # the signing contact
    owner_id: int | None = Field(default=None, foreign_key="user_account.id")
    currency: str = Field(max_length=3)
    amount: Decimal = _money()
    paid: Decimal = _money()
    invoiced: Decimal = _money()
    status: str = Field(default="draft", max_length=12)
    signed_on: date | None = None
    start_on: date | None = None
    end_on: date | None = None
    terms: str | None = None  # payment terms as typed, e.g. 30%@signed,70%@end+30d
    note: str | None = None
    end_reason: str | None = None  # why it was terminated
    approval_id: int | None = Field(default=None)  # the latest submission
    owned_since: datetime | None = _when()
    activated_at: datetime | None = _when()
    closed_at: datetime | None = _when()
    last_followup_at: datetime | None = _when()
    next_contact_at: datetime | None = _when()
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class ContractItem(SQLModel, table=True):
    __tablename__ = "contract_item"
    __table_args__ = (Index("ix_contract_item_contract", "contract_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id")
    position: int = Field(default=1)
    product_id: int | None = Field(default=None, foreign_key="product.id")
    description: str = Field(max_length=200)
    unit: str | None = Field(default=None, max_length=32)
    quantity: Decimal = Field(sa_type=Scaled(QUANTITY_SCALE), nullable=False)
    unit_price: Decimal = _money()
    total: Decimal = _money()


class ReceivablePlan(SQLModel, table=True):
    """回款计划: one instalment; ``status`` open | partial | paid (``paid`` against ``amount``)."""

    __tablename__ = "receivable_plan"
    __table_args__ = (
        UniqueConstraint("contract_id", "seq", name="uq_receivable_plan_seq"),
        Index("ix_receivable_plan_status_due", "status", "due_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id")
    seq: int
    amount: Decimal = _money()
    paid: Decimal = _money()
    status: str = Field(default="open", max_length=8)
    due_on: date
    method: str | None = Field(default=None, max_length=32)
    remind_days: int | None = None
    note: str | None = None
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class Payment(SQLModel, table=True):
    """回款: money received against a contract (and optionally one plan).

    A payment is never deleted or edited: a mistaken one is cancelled by a **reversing entry**, a
    payment of the negative amount whose ``reverses_id`` names it (unique: a payment is reversed
    at most once) and whose ``allocation`` takes back what the original paid on each plan.
    """

    __tablename__ = "payment"
    __table_args__ = (Index("ix_payment_contract", "contract_id"),
                      Index("ux_payment_reverses", "reverses_id", unique=True))

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id")
    plan_id: int | None = Field(default=None, foreign_key="receivable_plan.id")
    amount: Decimal = _money()
    paid_on: date
    method: str | None = Field(default=None, max_length=32)
    note: str | None = None
    forced: bool = Field(default=False)
    allocation: Any = Field(default=None, sa_column=Column(JSONText(), nullable=True))  # {plan seq: amount}
    reverses_id: int | None = Field(default=None, foreign_key="payment.id")  # a reversing entry: the payment it cancels
    reason: str | None = None  # why it was reversed (on the reversing entry)
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class Invoice(SQLModel, table=True):
    """开票: an invoice issued against a contract."""

    __tablename__ = "invoice"
    __table_args__ = (Index("ix_invoice_contract", "contract_id"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id")
    number: str = Field(max_length=64, unique=True)
    amount: Decimal = _money()
    issued_on: date
    buyer_name: str | None = Field(default=None, max_length=200)
    buyer_tax_id: str | None = Field(default=None, max_length=32)
    note: str | None = None
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class ApprovalFlow(SQLModel, table=True):
    """The approval steps of one record type (contract, quote): a JSON list of step rules."""

    __tablename__ = "approval_flow"

    record_type: str = Field(max_length=32, primary_key=True)
    steps: Any = Field(default=None, sa_column=Column(JSONText(), nullable=True))
    updated_by: int | None = Field(default=None, foreign_key="user_account.id")
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class Approval(SQLModel, table=True):
    """One submission of a record for approval: pending → approved | rejected (or cancelled)."""

    __tablename__ = "approval"
    __table_args__ = (
        Index("ix_approval_record", "record_type", "record_id"),
        Index("ix_approval_status", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    record_type: str = Field(max_length=32)
    record_id: int
    label: str | None = Field(default=None, max_length=200)
    amount: Decimal = _money()
    currency: str = Field(max_length=3)
    status: str = Field(default="pending", max_length=12)
    steps: Any = Field(default=None, sa_column=Column(JSONText(), nullable=True))  # resolved at submission
    current_step: int = Field(default=0)  # index into steps
    submitted_by: int | None = Field(default=None, foreign_key="user_account.id")
    submitted_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    decided_at: datetime | None = _when()


class ApprovalDecision(SQLModel, table=True):
    __tablename__ = "approval_decision"
    __table_args__ = (Index("ix_approval_decision_approval", "approval_id", "step"),)

    id: int | None = Field(default=None, primary_key=True)
    approval_id: int = Field(foreign_key="approval.id")
    step: int
    decision: str = Field(max_length=8)  # approve | reject
    actor_id: int = Field(foreign_key="user_account.id")
    comment: str | None = None
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class CurrencyRate(SQLModel, table=True):
    """1 ``base`` = ``rate`` ``quote`` from ``valid_from`` (until a later rate)."""

    __tablename__ = "currency_rate"
    __table_args__ = (UniqueConstraint("base", "quote", "valid_from", name="uq_currency_rate"),)

    id: int | None = Field(default=None, primary_key=True)
    base: str = Field(max_length=3)
    quote: str = Field(max_length=3)
    rate: Decimal = Field(sa_type=Scaled(RATE_SCALE), nullable=False)
    valid_from: date
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class Numbering(SQLModel, table=True):
    """The number pattern of a record type (``contract``: ``HT-{year}-{seq:04d}`` by default)."""

    __tablename__ = "numbering"

    record_type: str = Field(max_length=32, primary_key=True)
    pattern: str = Field(max_length=64)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class NumberCounter(SQLModel, table=True):
    """The last number given per (pattern, year): bumped in the creating transaction, so gap-free."""

    __tablename__ = "number_counter"

    pattern: str = Field(max_length=64, primary_key=True)
    year: int = Field(primary_key=True)
    value: int = Field(default=0)
