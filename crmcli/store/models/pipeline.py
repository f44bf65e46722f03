"""Stages, opportunities, products and quotes (DOMAIN.md "Opportunities", "Products and prices", "Quotes").

Money and quantities are exact: :class:`Fixed` keeps a ``Decimal`` as a whole number of
hundredths (money, ``Fixed(2)``) or thousandths (quantities, ``Fixed(3)``) in a BIGINT, the
same on SQLite and PostgreSQL, so sums in SQL are exact integer sums.  The one rounding rule
(ROUND_HALF_UP to the currency's minor unit, at a quote line's total) lives in
``crmcli/services/pricing.py`` and docs/pipeline.md.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import BigInteger, Column, Index, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from crmcli.store.types import JSONText, UTCDateTime


class _ScaledInteger(BigInteger):
    """A BIGINT whose values the program sees as Decimal (so filters and cursors treat it as a number)."""

    @property
    def python_type(self) -> type:
        return Decimal


class Fixed(TypeDecorator):
    """A ``Decimal`` with ``scale`` decimals, stored exactly as an integer count of 10**-scale."""

    impl = _ScaledInteger
    cache_ok = True

    def __init__(self, scale: int = 2) -> None:
        super().__init__()
        self.scale = scale
        self._factor = Decimal(10) ** scale

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None:
            return None
        try:
            number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
            scaled = number * self._factor
            if not scaled.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            from crmcli.errors import ValidationError

            raise ValidationError(f"'{value}' is not a number") from None
        if scaled != scaled.to_integral_value():
            # only a comparison gets here (services check what they store): compare exactly where the driver can
            return scaled if dialect is not None and dialect.name == "postgresql" else float(scaled)
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(value) / self._factor).quantize(Decimal(1).scaleb(-self.scale))


def _when(nullable: bool = True) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable)


class Stage(SQLModel, table=True):
    """A sales stage (商机阶段): ordered, with a win probability; ``kind`` open | won | lost.

    The default stages carry a ``key`` (new, confirmed, proposal, negotiation, won, lost) and
    are shown translated while their name is the default one; a stage a user adds keeps the
    name typed.  A retired stage takes no more opportunities but keeps its history.
    """

    __tablename__ = "stage"

    id: int | None = Field(default=None, primary_key=True)
    key: str | None = Field(default=None, max_length=32, unique=True)
    name: str = Field(max_length=80)
    probability: int = Field(default=0)  # 0..100
    position: int = Field(default=0)
    kind: str = Field(default="open", max_length=8)  # open | won | lost
    retired: bool = Field(default=False)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class Opportunity(SQLModel, table=True):
    """商机: a chance to sell to a customer, moving through the stages."""

    __tablename__ = "opportunity"
    __table_args__ = (
        # covers the pipeline and the forecast (owner's open opportunities by stage, currency, close, amount)
        Index("ix_opportunity_pipeline", "owner_id", "status", "stage_id", "currency", "expected_close", "amount"),
        Index("ix_opportunity_customer", "customer_id"),
        Index("ix_opportunity_status_close", "status", "expected_close"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    name: str = Field(max_length=200)
    amount: Decimal = Field(default=Decimal("0.00"), sa_type=Fixed(2), nullable=False)
    currency: str = Field(default="CNY", max_length=3)
    stage_id: int = Field(foreign_key="stage.id")
    status: str = Field(default="open", max_length=8)  # open | won | lost
    expected_close: date | None = None
    source: str | None = Field(default=None, max_length=32)
    lost_reason: str | None = None
    owner_id: int | None = Field(default=None, foreign_key="user_account.id")
    owned_since: datetime | None = _when()
    stage_changed_at: datetime | None = _when()
    closed_at: datetime | None = _when()
    last_followup_at: datetime | None = _when()
    next_contact_at: datetime | None = _when()
    custom: Any = Field(default=None, sa_column=Column(JSONText(), nullable=True))
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class OpportunityContact(SQLModel, table=True):
    __tablename__ = "opportunity_contact"

    opportunity_id: int = Field(foreign_key="opportunity.id", primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", primary_key=True)


class OpportunityProduct(SQLModel, table=True):
    __tablename__ = "opportunity_product"

    opportunity_id: int = Field(foreign_key="opportunity.id", primary_key=True)
    product_id: int = Field(foreign_key="product.id", primary_key=True)
    quantity: Decimal = Field(default=Decimal("1.000"), sa_type=Fixed(3), nullable=False)


class StageChange(SQLModel, table=True):
    """One move of an opportunity between stages (from, to, who, when): funnel, velocity, forecast read it.

    ``move`` is create | advance | skip | back | win | lose | reopen.
    """

    __tablename__ = "stage_change"
    __table_args__ = (
        Index("ix_stage_change_opportunity", "opportunity_id", "to_stage_id", "at"),  # covers the win-rate join
        Index("ix_stage_change_to", "to_stage_id", "opportunity_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    opportunity_id: int = Field(foreign_key="opportunity.id")
    from_stage_id: int | None = Field(default=None, foreign_key="stage.id")
    to_stage_id: int = Field(foreign_key="stage.id")
    move: str = Field(max_length=8)
    reason: str | None = None
    actor_id: int | None = Field(default=None, foreign_key="user_account.id")
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class ProductCategory(SQLModel, table=True):
    __tablename__ = "product_category"
    __table_args__ = (UniqueConstraint("parent_id", "name", name="uq_product_category_name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    parent_id: int | None = Field(default=None, foreign_key="product_category.id")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class Product(SQLModel, table=True):
    """产品: the catalog."""

    __tablename__ = "product"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    unit: str | None = Field(default=None, max_length=32)
    category_id: int | None = Field(default=None, foreign_key="product_category.id")
    list_price: Decimal = Field(default=Decimal("0.00"), sa_type=Fixed(2), nullable=False)
    cost: Decimal | None = Field(default=None, sa_type=Fixed(2), nullable=True)
    currency: str = Field(default="CNY", max_length=3)
    stock: int | None = None
    on_sale: bool = Field(default=True)
    description: str | None = None
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class PriceRule(SQLModel, table=True):
    """A pricing rule (价格/折扣规则), by ``kind``:

    * ``quantity`` — from ``min_quantity`` on, ``discount`` percent off (of ``product_id``, or of every product);
    * ``tier`` — customers of tier ``customer_tier`` get ``discount`` percent off;
    * ``role`` — holders of role ``role_id`` may give up to ``discount`` percent without approval.
    """

    __tablename__ = "price_rule"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    product_id: int | None = Field(default=None, foreign_key="product.id")
    min_quantity: Decimal | None = Field(default=None, sa_type=Fixed(3), nullable=True)
    customer_tier: str | None = Field(default=None, max_length=16)
    role_id: int | None = Field(default=None, foreign_key="role.id")
    discount: Decimal = Field(default=Decimal("0.00"), sa_type=Fixed(2), nullable=False)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class Quote(SQLModel, table=True):
    """报价单: from an opportunity; draft → sent → accepted | rejected."""

    __tablename__ = "quote"
    __table_args__ = (Index("ix_quote_opportunity", "opportunity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    opportunity_id: int = Field(foreign_key="opportunity.id")
    customer_id: int = Field(foreign_key="customer.id")
    owner_id: int | None = Field(default=None, foreign_key="user_account.id")
    currency: str = Field(max_length=3)
    tax_rate: Decimal = Field(default=Decimal("0.00"), sa_type=Fixed(2), nullable=False)  # percent
    valid_until: date | None = None
    status: str = Field(default="draft", max_length=12)  # draft | sent | accepted | rejected
    needs_approval: bool = Field(default=False)
    subtotal: Decimal = Field(default=Decimal("0.00"), sa_type=Fixed(2), nullable=False)
    tax: Decimal = Field(default=Decimal("0.00"), sa_type=Fixed(2), nullable=False)
    total: Decimal = Field(default=Decimal("0.00"), sa_type=Fixed(2), nullable=False)
    note: str | None = None
    reject_reason: str | None = None
    sent_at: datetime | None = _when()
    decided_at: datetime | None = _when()
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class QuoteLine(SQLModel, table=True):
    __tablename__ = "quote_line"
    __table_args__ = (Index("ix_quote_line_quote", "quote_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    quote_id: int = Field(foreign_key="quote.id")
    position: int = Field(default=1)
    product_id: int = Field(foreign_key="product.id")
    description: str = Field(max_length=200)
    unit: str | None = Field(default=None, max_length=32)
    quantity: Decimal = Field(sa_type=Fixed(3), nullable=False)
    unit_price: Decimal = Field(sa_type=Fixed(2), nullable=False)
    discount: Decimal = Field(default=Decimal("0.00"), sa_type=Fixed(2), nullable=False)  # percent
    total: Decimal = Field(sa_type=Fixed(2), nullable=False)
