"""``crm product``: the product catalog (产品), its categories and the pricing rules."""

from __future__ import annotations

from typing import Optional

import typer

from crmcli.commands._common import new_app, rt
from crmcli.i18n import _

app = new_app(_("Products (产品): the catalog with a category tree, and the pricing rules (quantity tiers, "
                "customer-tier discounts, each role's largest discount without approval).\n\n"
                "Examples:\n\n  crm product category add 软件\n\n"
                "  crm product add SW-001 'CRM 标准版' --unit 套 --price 9800 --cost 2000 --category 软件 --stock 100\n\n"
                "  crm product list --category 软件 --on-sale\n\n  crm product edit SW-001 --off-sale\n\n"
                "  crm product rule add quantity --min-quantity 10 --discount 5\n\n"
                "  crm product rule add role --role sales_rep --discount 10\n\n"
                "  crm product export --output products.csv"))

category_app = new_app(_("Product categories: a tree.\n\nExamples:\n\n  crm product category add 硬件\n\n"
                         "  crm product category add 服务器 --parent 硬件\n\n  crm product category list"))
app.add_typer(category_app, name="category")
rule_app = new_app(_("Pricing rules: quantity tiers, customer-tier discounts, role discount limits.\n\n"
                     "Examples:\n\n  crm product rule add quantity --min-quantity 10 --discount 5 --product SW-001\n\n"
                     "  crm product rule add tier --tier A --discount 8\n\n"
                     "  crm product rule add role --role sales_rep --discount 10\n\n  crm product rule list"))
app.add_typer(rule_app, name="rule")

_LABELS = {"id": "id", "code": _("code"), "name": _("name"), "unit": _("unit"), "category": _("category"),
           "list_price": _("list price"), "cost": _("cost"), "currency": _("currency"), "stock": _("stock"),
           "on_sale": _("on sale"), "description": _("description"), "created_at": _("created"),
           "updated_at": _("updated")}


def _row(session, product) -> dict:
    from crmcli.services import products

    return {"id": product.id, "code": product.code, "name": product.name, "unit": product.unit,
            "category": products.category_path(session, product.category_id), "list_price": product.list_price,
            "cost": product.cost, "currency": product.currency, "stock": product.stock, "on_sale": product.on_sale,
            "description": product.description, "created_at": product.created_at, "updated_at": product.updated_at}


def _show(session, product) -> None:
    row = _row(session, product)
    fields = [(k, label, row[k]) for k, label in _LABELS.items()
              if row[k] not in (None, "") or k in ("id", "code", "name", "list_price", "on_sale")]
    rt().out().record(fields, data=row)


@app.command("add", help=_("Add a product to the catalog.\n\n"
                           "Example: crm product add SW-001 'CRM 标准版' --unit 套 --price 9800 --category 软件"))
def add(code: str = typer.Argument(..., help=_("A unique code (no spaces).")),
        name: str = typer.Argument(..., help=_("The product's name.")),
        price: str = typer.Option("0", "--price", help=_("List price.")),
        cost: str = typer.Option(None, "--cost"),
        currency: str = typer.Option(None, "--currency", metavar="CODE", help=_("Currency code (default CNY).")),
        unit: str = typer.Option(None, "--unit", help=_("Unit of sale: pcs, 套, hour …")),
        category: str = typer.Option(None, "--category", metavar="PATH"),
        stock: str = typer.Option(None, "--stock"),
        off_sale: bool = typer.Option(False, "--off-sale", help=_("Add it off sale.")),
        description: str = typer.Option(None, "--description")) -> None:
    from crmcli.services import products

    with rt().transaction() as (s, me):
        product = products.add(s, me, code, name, list_price=price, cost=cost, currency=currency, unit=unit,
                               category=category, stock=stock, on_sale=not off_sale, description=description)
        _show(s, product)


@app.command("list", help=_("List products (--category includes its sub-categories).\n\n"
                            "Example: crm product list --category 软件 --on-sale --search CRM"))
def list_(category: str = typer.Option(None, "--category", metavar="PATH"),
          on_sale: Optional[bool] = typer.Option(None, "--on-sale/--off-sale", help=_("Only on sale, or only off sale.")),
          search: str = typer.Option(None, "--search", "-s", metavar="TEXT", help=_("Text in the code or name.")),
          limit: int = typer.Option(None, "--limit", "-n", min=1, max=1_000_000)) -> None:
    from crmcli.output import Column
    from crmcli.services import products

    with rt().transaction(write=False) as (s, me):
        rows = [_row(s, p) for p in products.listing(s, me, category=category, on_sale=on_sale, search=search,
                                                       limit=limit)]
    rt().out().rows([Column("id", "id", "right"), Column("code", _("code")), Column("name", _("name")),
                     Column("unit", _("unit")), Column("category", _("category")),
                     Column("list_price", _("list price"), "right"), Column("currency", _("currency")),
                     Column("stock", _("stock"), "right"), Column("on_sale", _("on sale"))], rows)


@app.command("show", help=_("Show one product.\n\nExample: crm product show SW-001"))
def show(product: str = typer.Argument(..., help=_("Product code or id."))) -> None:
    from crmcli.services import products

    with rt().transaction(write=False) as (s, me):
        _show(s, products.show(s, me, product))


@app.command("edit", help=_("Change a product; --off-sale takes it off sale.\n\n"
                            "Example: crm product edit SW-001 --price 8800 --stock 50"))
def edit(product: str = typer.Argument(..., help=_("Product code or id.")),
         code: str = typer.Option(None, "--code"), name: str = typer.Option(None, "--name"),
         price: str = typer.Option(None, "--price"), cost: str = typer.Option(None, "--cost"),
         currency: str = typer.Option(None, "--currency", metavar="CODE"), unit: str = typer.Option(None, "--unit"),
         category: str = typer.Option(None, "--category", metavar="PATH"), stock: str = typer.Option(None, "--stock"),
         description: str = typer.Option(None, "--description"),
         on_sale: Optional[bool] = typer.Option(None, "--on-sale/--off-sale")) -> None:
    from crmcli.services import products

    values = {k: v for k, v in {"code": code, "name": name, "list_price": price, "cost": cost, "currency": currency,
                                "unit": unit, "category": category, "stock": stock,
                                "description": description}.items() if v is not None}
    with rt().transaction() as (s, me):
        _show(s, products.edit(s, me, product, values, on_sale=on_sale))


@category_app.command("add", help=_("Add a category (--parent: under another).\n\n"
                                    "Example: crm product category add 服务器 --parent 硬件"))
def category_add(name: str = typer.Argument(...), parent: str = typer.Option(None, "--parent", metavar="PATH")) -> None:
    from crmcli.services import products

    with rt().transaction() as (s, me):
        found = products.add_category(s, me, name, parent)
        path = products.category_path(s, found.id)
    rt().message(_("Added category {path}.").format(path=path))


@category_app.command("list", help=_("List the categories as paths, with how many products each holds.\n\n"
                                     "Example: crm product category list"))
def category_list() -> None:
    from crmcli.output import Column
    from crmcli.services import products

    with rt().transaction(write=False) as (s, me):
        rows = [{"id": c.id, "path": path, "products": n} for c, path, n in products.categories(s, me)]
    rt().out().rows([Column("id", "id", "right"), Column("path", _("category")),
                     Column("products", _("products"), "right")], rows)


@rule_app.command("add", help=_("Add a pricing rule: quantity (--min-quantity, optional --product), tier (--tier) "
                                "or role (--role: the largest discount it may give without approval).\n\n"
                                "Example: crm product rule add role --role sales_rep --discount 10"))
def rule_add(kind: str = typer.Argument(..., metavar="quantity|tier|role"),
             discount: str = typer.Option(..., "--discount", metavar="PERCENT"),
             product: str = typer.Option(None, "--product", metavar="CODE"),
             min_quantity: str = typer.Option(None, "--min-quantity", metavar="N"),
             tier: str = typer.Option(None, "--tier"), role: str = typer.Option(None, "--role")) -> None:
    from crmcli.services import products

    with rt().transaction() as (s, me):
        rule = products.add_rule(s, me, kind, discount, product=product, min_quantity=min_quantity, tier=tier,
                                 role=role)
        rule_id = rule.id
    rt().message(_("Added pricing rule {id}.").format(id=rule_id))


@rule_app.command("list", help=_("List the pricing rules.\n\nExample: crm product rule list"))
def rule_list() -> None:
    from crmcli.output import Column
    from crmcli.services import pricing, products

    with rt().transaction(write=False) as (s, me):
        rows = []
        for r in products.rules(s, me):
            product = products.get(s, r.product_id) if r.product_id else None
            rows.append({"id": r.id, "kind": r.kind, "discount": r.discount, "product": product.code if product else None,
                         "min_quantity": pricing.show_quantity(r.min_quantity) if r.min_quantity is not None else None,
                         "tier": r.customer_tier, "role": products.role_name(s, r.role_id)})
    rt().out().rows([Column("id", "id", "right"), Column("kind", _("rule"), labels=products.RULE_LABELS),
                     Column("discount", _("discount %"), "right"), Column("product", _("product")),
                     Column("min_quantity", _("from quantity"), "right"), Column("tier", _("tier")),
                     Column("role", _("role"))], rows)


@rule_app.command("remove", help=_("Remove a pricing rule.\n\nExample: crm product rule remove 3"))
def rule_remove(rule: int = typer.Argument(..., metavar="ID", min=1, max=2**63 - 1)) -> None:
    from crmcli.services import products

    with rt().transaction() as (s, me):
        products.remove_rule(s, me, rule)
    rt().message(_("Removed pricing rule {id}.").format(id=rule))


@app.command("import", help=_("Import products from CSV, TSV, JSONL or JSON (columns as export writes them); "
                              "all-or-nothing. A code that exists is skipped unless --on-duplicate update|error.\n\n"
                              "Example: crm product import products.csv --on-duplicate update"))
def import_(file: str = typer.Argument(..., metavar="FILE|-"),
            on_duplicate: str = typer.Option("skip", "--on-duplicate", metavar="skip|update|error"),
            encoding: str = typer.Option("utf-8", "--encoding", metavar="ENCODING")) -> None:
    from crmcli.commands._io import _open_input
    from crmcli.services import products, tabular

    stream, name, size = _open_input(file)
    try:
        with rt().transaction() as (s, me):
            reader = tabular.Reader(stream, name, None, encoding, size)
            counts = products.import_rows(s, me, reader, on_duplicate)
    finally:
        if stream is not None and file != "-":
            stream.close()
    rt().out().record([("read", _("rows read"), counts["read"]), ("inserted", _("rows inserted"), counts["inserted"]),
                       ("updated", _("rows updated"), counts["updated"]),
                       ("skipped", _("skipped as duplicate"), counts["skipped"])])


@app.command("export", help=_("Export the catalog to CSV, TSV, JSONL or JSON (--format, else the file's "
                              "extension, else CSV).\n\nExample: crm product export --output products.csv"))
def export(output: str = typer.Option(None, "--output", "-o", metavar="FILE")) -> None:
    from crmcli.safe_write import writing
    from crmcli.services import products, tabular

    r = rt()
    fmt = r.fmt or (tabular.format_of(output) if output else None) or "csv"
    with r.transaction(write=False) as (s, me):
        rows = products.export_rows(s, me)
    with writing(output or "-") as stream:  # a file whole or not at all; a pipe or device straight
        writer = tabular.Writer(stream, fmt if fmt in ("csv", "tsv", "jsonl", "json") else "csv",
                                list(products.EXPORT_COLUMNS))
        for row in rows:
            writer.write(row)
        writer.close()
    if output:
        r.message(_("Exported {n} {noun} records to {file}.").format(n=len(rows), noun="product", file=output))
