"""Products (产品): the catalog with its category tree, and the pricing rules.

A product has a unique code, a name, a unit, a list price and a cost in its currency, a
stock count and an on/off-sale flag.  Products are a directory everyone with
``product.view`` sees; ``product.create``/``product.edit`` change it.  A product off sale
cannot be added to an opportunity or a quote.

Pricing rules (:class:`~crmcli.store.models.pipeline.PriceRule`):

* **quantity tiers** — from a quantity on, a discount (for one product, or for all);
* **customer tiers** — customers of tier A (B, C …) get a discount;
* **role limits** — the largest discount a role may give without approval.

A quote line's default discount is the larger of its quantity tier's and the customer tier's
(they do not add up); a discount above every limit of the actor's roles marks the quote as
needing approval (the super administrator has no limit).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from crmcli import clock, limits
from crmcli.errors import Conflict, NotFound, ValidationError
from crmcli.i18n import N_, _
from crmcli.services import audit, pricing
from crmcli.services.access import Actor, require
from crmcli.store.models import Role, UserRole
from crmcli.store.models.pipeline import PriceRule, Product, ProductCategory

LOGGED = ("code", "name", "unit", "category_id", "list_price", "cost", "currency", "stock", "on_sale", "description")
RULE_KINDS = ("quantity", "tier", "role")
RULE_LABELS = {"quantity": N_("quantity tier"), "tier": N_("customer tier"), "role": N_("role limit")}


# --- categories -----------------------------------------------------------------------------------


def category_path(session: Session, category_id: int | None) -> str | None:
    if category_id is None:
        return None
    parts: list[str] = []
    seen: set[int] = set()
    node = session.get(ProductCategory, category_id)
    while node is not None and node.id not in seen:
        seen.add(node.id)
        parts.append(node.name)
        node = session.get(ProductCategory, node.parent_id) if node.parent_id else None
    return "/".join(reversed(parts))


def find_category(session: Session, ref: str) -> ProductCategory:
    """A category by id, name or path (``Hardware/Servers``)."""
    text = str(ref).strip().strip("/")
    if limits.as_id(text) is not None:
        found = session.get(ProductCategory, limits.as_id(text))
        if found is not None:
            return found
    everything = list(session.execute(select(ProductCategory)).scalars())
    matches = [c for c in everything if text in (c.name, category_path(session, c.id))]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ValidationError(_("'{ref}' could mean several categories").format(ref=text),
                              hint=_("write its path, e.g. Hardware/Servers"))
    raise NotFound(_("no product category named '{ref}'").format(ref=text), hint=_("crm product category list"))


def add_category(session: Session, actor: Actor, name: str, parent: str | None = None) -> ProductCategory:
    require(actor, "product.edit")
    value = (name or "").strip()
    if not value or "/" in value or len(value) > 120:
        raise ValidationError(_("a category needs a name of at most 120 characters, without '/'"))
    parent_row = find_category(session, parent) if parent else None
    parent_id = parent_row.id if parent_row else None
    clash = session.execute(select(ProductCategory).where(
        ProductCategory.name == value, ProductCategory.parent_id.is_(None) if parent_id is None
        else ProductCategory.parent_id == parent_id)).scalars().first()
    if clash is not None:
        raise Conflict(_("there is already a category {path}").format(path=category_path(session, clash.id)))
    category = ProductCategory(name=value, parent_id=parent_id, created_at=clock.now())
    session.add(category)
    session.flush()
    audit.record(session, actor, "product.category", "product_category", category.id, value,
                 audit.created({"name": value, "parent_id": parent_id}))
    return category


def categories(session: Session, actor: Actor) -> list[tuple[ProductCategory, str, int]]:
    """Every category with its path and how many products it holds, in path order."""
    require(actor, "product.view")
    counts = dict(session.execute(select(Product.category_id, func.count()).group_by(Product.category_id)).all())
    rows = [(c, category_path(session, c.id) or c.name, counts.get(c.id, 0))
            for c in session.execute(select(ProductCategory)).scalars()]
    return sorted(rows, key=lambda r: r[1])


# --- products -------------------------------------------------------------------------------------


def get(session: Session, ref: Any) -> Product:
    """A product by id or code (or an unambiguous name)."""
    text = str(ref).strip()
    product = session.execute(select(Product).where(Product.code == text)).scalars().first()
    if product is None and limits.as_id(text) is not None:
        product = session.get(Product, limits.as_id(text))
    if product is None:
        matches = list(session.execute(select(Product).where(Product.name == text).limit(3)).scalars())
        if len(matches) > 1:
            raise ValidationError(_("'{ref}' could mean several products").format(ref=text),
                                  hint=_("name it by its code"))
        product = matches[0] if matches else None
    if product is None:
        raise NotFound(_("no product '{ref}'").format(ref=text), hint=_("crm product list"))
    return product


def show(session: Session, actor: Actor, ref: Any) -> Product:
    require(actor, "product.view")
    return get(session, ref)


def ensure_on_sale(product: Product) -> None:
    if not product.on_sale:
        raise ValidationError(_("product {code} ({name}) is off sale").format(code=product.code, name=product.name))


def _clean(session: Session, values: dict[str, Any], currency: str) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        if key in ("code", "name", "unit", "description"):
            value = str(value).strip() or None
            if key in ("code", "name") and not value:
                raise ValidationError(_("a product needs a code and a name"))
            if key == "code" and (len(value) > 64 or " " in value):
                raise ValidationError(_("a product code is at most 64 characters, without spaces"))
        elif key in ("list_price", "cost"):
            value = pricing.parse_money(value, currency, _("the list price") if key == "list_price" else _("the cost"))
        elif key == "stock":
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise ValidationError(_("the stock must be a whole number")) from None
            if value < 0:
                raise ValidationError(_("the stock cannot be negative: {value}").format(value=value))
            limits.check_quantity(Decimal(value), value)  # a BIGINT holds it, with room for sums
        elif key == "category":
            key, value = "category_id", find_category(session, value).id if str(value).strip() else None
        elif key == "currency":
            value = pricing.check_currency(value)
        clean[key] = value
    return clean


def add(session: Session, actor: Actor, code: str, name: str, *, list_price: Any = 0, cost: Any = None,
        currency: str | None = None, unit: str | None = None, category: str | None = None, stock: Any = None,
        on_sale: bool = True, description: str | None = None) -> Product:
    require(actor, "product.create")
    money = pricing.check_currency(currency or pricing.DEFAULT_CURRENCY)
    clean = _clean(session, {"code": code, "name": name, "unit": unit, "list_price": list_price, "cost": cost,
                             "stock": stock, "category": category, "description": description}, money)
    if not clean.get("code") or not clean.get("name"):
        raise ValidationError(_("a product needs a code and a name"))
    if session.execute(select(Product.id).where(Product.code == clean["code"])).first():
        raise Conflict(_("there is already a product with code {code}").format(code=clean["code"]))
    now = clock.now()
    product = Product(**{"list_price": Decimal("0.00"), **clean}, currency=money, on_sale=on_sale,
                      created_at=now, updated_at=now)
    session.add(product)
    session.flush()
    audit.record(session, actor, "product.add", "product", product.id, product.code,
                 audit.created(audit.snapshot(product, LOGGED)))
    return product


def edit(session: Session, actor: Actor, ref: Any, values: dict[str, Any], on_sale: bool | None = None) -> Product:
    require(actor, "product.edit")
    product = get(session, ref)
    currency = pricing.check_currency(values["currency"]) if values.get("currency") else product.currency
    clean = _clean(session, values, currency)
    if "code" in clean and clean["code"] != product.code and session.execute(
            select(Product.id).where(Product.code == clean["code"])).first():
        raise Conflict(_("there is already a product with code {code}").format(code=clean["code"]))
    if "currency" in clean and "list_price" not in clean:
        clean["list_price"] = pricing.parse_money(product.list_price, currency, _("the list price"))
    before = audit.snapshot(product, LOGGED)
    for key, value in clean.items():
        setattr(product, key, value)
    if on_sale is not None:
        product.on_sale = on_sale
    changes = audit.diff(before, audit.snapshot(product, LOGGED))
    if changes:
        product.updated_at = clock.now()
        audit.record(session, actor, "product.edit", "product", product.id, product.code, changes)
    return product


def listing(session: Session, actor: Actor, *, category: str | None = None, on_sale: bool | None = None,
            search: str | None = None, limit: int | None = None) -> list[Product]:
    require(actor, "product.view")
    query = select(Product)
    if category:
        from crmcli.services.access import department_children  # noqa: F401  (same tree walk, for categories)

        root = find_category(session, category)
        children: dict[int | None, list[int]] = {}
        for cid, parent in session.execute(select(ProductCategory.id, ProductCategory.parent_id)):
            children.setdefault(parent, []).append(cid)
        wanted, stack = set(), [root.id]
        while stack:
            node = stack.pop()
            if node not in wanted:
                wanted.add(node)
                stack.extend(children.get(node, ()))
        query = query.where(Product.category_id.in_(sorted(wanted)))
    if on_sale is not None:
        query = query.where(Product.on_sale.is_(on_sale))
    if search and search.strip():
        from crmcli.store.search import _escape_like

        pattern = f"%{_escape_like(search.strip().lower())}%"  # the length checked, % and _ taken literally
        query = query.where(or_(func.lower(Product.code).like(pattern, escape="\\"),
                                func.lower(Product.name).like(pattern, escape="\\")))
    query = query.order_by(Product.code)
    if limit:
        query = query.limit(limit)
    return list(session.execute(query).scalars())


# --- pricing rules --------------------------------------------------------------------------------


def add_rule(session: Session, actor: Actor, kind: str, discount: Any, *, product: str | None = None,
             min_quantity: Any = None, tier: str | None = None, role: str | None = None) -> PriceRule:
    require(actor, "product.edit")
    if kind not in RULE_KINDS:
        raise ValidationError(_("unknown rule '{kind}'").format(kind=kind),
                              hint=_("one of: {choices}").format(choices=", ".join(RULE_KINDS)))
    rule = PriceRule(kind=kind, discount=pricing.parse_percent(discount), created_at=clock.now())
    if kind == "quantity":
        if min_quantity is None:
            raise ValidationError(_("a quantity tier needs --min-quantity"))
        rule.min_quantity = pricing.parse_quantity(min_quantity)
        rule.product_id = get(session, product).id if product else None
    elif kind == "tier":
        from crmcli.services.customers import check_tier

        rule.customer_tier = check_tier(tier)
        if not rule.customer_tier:
            raise ValidationError(_("a customer-tier discount needs --tier"))
    else:
        if not role:
            raise ValidationError(_("a role limit needs --role"))
        from crmcli.services import roles

        found = roles.find(session, role)
        rule.role_id = found.id
        session.execute(PriceRule.__table__.delete().where(PriceRule.kind == "role", PriceRule.role_id == found.id))
    session.add(rule)
    session.flush()
    audit.record(session, actor, "product.rule", "price_rule", rule.id, kind,
                 audit.created({"kind": kind, "discount": rule.discount, "product_id": rule.product_id,
                                "min_quantity": rule.min_quantity, "customer_tier": rule.customer_tier,
                                "role_id": rule.role_id}))
    return rule


def remove_rule(session: Session, actor: Actor, rule_id: int) -> None:
    require(actor, "product.edit")
    rule = session.get(PriceRule, rule_id)
    if rule is None:
        raise NotFound(_("no pricing rule {id}").format(id=rule_id))
    audit.record(session, actor, "product.rule_remove", "price_rule", rule.id, rule.kind,
                 {"discount": [str(rule.discount), None]})
    session.delete(rule)


def rules(session: Session, actor: Actor) -> list[PriceRule]:
    require(actor, "product.view")
    return list(session.execute(select(PriceRule).order_by(PriceRule.kind, PriceRule.id)).scalars())


def suggested_discount(session: Session, product: Product, quantity: Decimal, customer_tier: str | None) -> Decimal:
    """The larger of the quantity-tier and customer-tier discounts that apply (0 when none)."""
    best = Decimal("0.00")
    for rule in session.execute(select(PriceRule).where(PriceRule.kind.in_(("quantity", "tier")))).scalars():
        if rule.kind == "quantity" and rule.product_id in (None, product.id) and quantity >= rule.min_quantity:
            best = max(best, rule.discount)
        elif rule.kind == "tier" and customer_tier and rule.customer_tier == customer_tier:
            best = max(best, rule.discount)
    return best


def discount_limit(session: Session, actor: Actor) -> Decimal | None:
    """The largest discount the actor may give without approval (the most any of their roles allows);
    None means no limit (the super administrator, or a role without a limit when no role has one)."""
    if actor.is_super:
        return None
    limits = list(session.execute(select(PriceRule.discount).join(UserRole, UserRole.role_id == PriceRule.role_id)
                                  .where(PriceRule.kind == "role", UserRole.user_id == actor.id)).scalars())
    if limits:
        return max(limits)
    any_limit = session.execute(select(func.count()).select_from(PriceRule).where(PriceRule.kind == "role")).scalar_one()
    return Decimal("0.00") if any_limit else None


def role_name(session: Session, role_id: int | None) -> str | None:
    role = session.get(Role, role_id) if role_id else None
    return role.key if role else None


# --- import and export ------------------------------------------------------------------------------

EXPORT_COLUMNS = ("code", "name", "unit", "category", "list_price", "cost", "currency", "stock", "on_sale",
                  "description")
_TRUE = {"true", "yes", "y", "1", "是", "on"}
_FALSE = {"false", "no", "n", "0", "否", "off"}


def export_rows(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Every product as a row of :data:`EXPORT_COLUMNS` (what :func:`import_rows` reads back)."""
    require(actor, "product.view")
    return [{"code": p.code, "name": p.name, "unit": p.unit, "category": category_path(session, p.category_id),
             "list_price": p.list_price, "cost": p.cost, "currency": p.currency, "stock": p.stock,
             "on_sale": p.on_sale, "description": p.description}
            for p in session.execute(select(Product).order_by(Product.code)).scalars()]


def import_rows(session: Session, actor: Actor, reader: Any, on_duplicate: str = "skip") -> dict[str, int]:
    """Products from a tabular reader (all-or-nothing: a bad row stops it with its line number).

    A row whose code exists is skipped, updates the product (``update``), or is an error.  A
    category path that does not exist yet is created.
    """
    require(actor, "product.create")
    if on_duplicate not in ("skip", "update", "error"):
        raise ValidationError(_("unknown --on-duplicate '{value}'").format(value=on_duplicate),
                              hint=_("one of: {choices}").format(choices="skip, update, error"))
    counts = {"read": 0, "inserted": 0, "updated": 0, "skipped": 0}
    for row in reader:
        counts["read"] += 1
        if row.problem:
            raise ValidationError(_("line {line}: {problem}").format(line=row.line, problem=row.problem))
        values = row.values if isinstance(row.values, dict) else dict(zip(reader.header or [], row.values))
        values = {str(k).strip().lower(): (v.strip() if isinstance(v, str) else v) for k, v in values.items()}
        unknown = sorted(k for k in values if k not in EXPORT_COLUMNS and k != "id")
        if unknown:
            raise ValidationError(_("unknown column '{column}'").format(column=unknown[0]),
                                  hint=_("columns: {columns}").format(columns=", ".join(EXPORT_COLUMNS)))
        try:
            _import_one(session, actor, values, on_duplicate, counts)
        except ValidationError as exc:
            raise ValidationError(_("line {line}: {problem}").format(line=row.line, problem=exc.message),
                                  hint=exc.hint) from None
        except Conflict as exc:
            raise Conflict(_("line {line}: {problem}").format(line=row.line, problem=exc.message)) from None
    return counts


def _import_one(session: Session, actor: Actor, values: dict[str, Any], on_duplicate: str,
                counts: dict[str, int]) -> None:
    on_sale_text = str(values.get("on_sale") or "").strip().lower()
    if on_sale_text and on_sale_text not in _TRUE | _FALSE:
        raise ValidationError(_("on_sale must be yes or no, not '{value}'").format(value=values["on_sale"]))
    on_sale = None if not on_sale_text else on_sale_text in _TRUE
    category = values.get("category") or None
    if category:
        category = _ensure_category_path(session, actor, str(category))
    fields = {k: (values.get(k) if values.get(k) not in ("", None) else None)
              for k in ("name", "unit", "list_price", "cost", "currency", "stock", "description")}
    code = str(values.get("code") or "").strip()
    existing = session.execute(select(Product).where(Product.code == code)).scalar_one_or_none() if code else None
    if existing is not None:
        if on_duplicate == "skip":
            counts["skipped"] += 1
            return
        if on_duplicate == "error":
            raise Conflict(_("there is already a product with code {code}").format(code=code))
        edit(session, actor, existing.id, {**{k: v for k, v in fields.items() if v is not None},
                                           **({"category": category} if category else {})}, on_sale=on_sale)
        counts["updated"] += 1
        return
    add(session, actor, code, fields["name"] or "", list_price=fields["list_price"] or 0, cost=fields["cost"],
        currency=fields["currency"], unit=fields["unit"], category=category, stock=fields["stock"],
        on_sale=True if on_sale is None else on_sale, description=fields["description"])
    counts["inserted"] += 1


def _ensure_category_path(session: Session, actor: Actor, path: str) -> str:
    parent: str | None = None
    built = ""
    for part in [p.strip() for p in path.strip("/").split("/") if p.strip()]:
        built = f"{built}/{part}" if built else part
        try:
            find_category(session, built)
        except NotFound:
            add_category(session, actor, part, parent)
        parent = built
    return built
