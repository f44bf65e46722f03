"""``crm field``: custom fields (自定义字段) of leads, customers and contacts."""

from __future__ import annotations

from typing import List, Optional

import typer

from crmcli.commands._common import new_app, rt
from crmcli.i18n import _

app = new_app(_("Custom fields (自定义字段) of leads, customers and contacts: add, list, remove.\n\n"
                "A custom field is set with --set NAME=VALUE on add and edit, shown by show, filtered with "
                "--where NAME=VALUE, and imported and exported like any other column.\n\n"
                "Examples:\n\n  crm field add customer industry_code --type text --label 行业代码\n\n"
                "  crm field add lead budget --type number\n\n"
                "  crm field add lead size --type choice --choices S,M,L --required\n\n"
                "  crm field list lead"))

def _row(field) -> dict:
    return {"id": field.id, "record_type": field.record_type, "name": field.name, "label": field.label,
            "type": field.type, "choices": field.choices or [], "required": bool(field.required)}


def _columns():
    from crmcli.output import Column

    return [Column("record_type", _("record type")), Column("name", _("name")), Column("type", _("type")),
            Column("choices", _("choices")), Column("required", _("required")), Column("label", _("label"))]


@app.command("add", help=_("Add a custom field to a record type (administrators).\n\n"
                           "Types: text, number, date (YYYY-MM-DD), choice (one of --choices), bool (yes/no).\n\n"
                           "Example: crm field add lead size --type choice --choices S,M,L --required"))
def add(
    record_type: str = typer.Argument(..., metavar="RECORD_TYPE", help=_("lead, customer or contact.")),
    name: str = typer.Argument(..., help=_("The field's name: letters, digits and '_'.")),
    type_: str = typer.Option("text", "--type", metavar="text|number|date|choice|bool", help=_("The value type.")),
    choices: Optional[List[str]] = typer.Option(None, "--choices", metavar="A,B,...",
                                                help=_("The allowed values of a choice field (comma-separated).")),
    required: bool = typer.Option(False, "--required", help=_("Every new record must have a value.")),
    label: Optional[str] = typer.Option(None, "--label", help=_("A display name (also matched by import).")),
) -> None:
    from crmcli.services import fields

    with rt().transaction() as (s, me):
        field = fields.add(s, me, record_type, name, (type_ or "").strip().lower(), choices=choices,
                           required=required, label=label)
        row = _row(field)
    rt().out().record([(c.key, c.header, row[c.key]) for c in _columns()], data=row)


@app.command("list", help=_("List custom fields, of one record type or of all.\n\n"
                            "Example: crm field list customer --json"))
def list_(record_type: Optional[str] = typer.Argument(None, metavar="[RECORD_TYPE]",
                                                      help=_("lead, customer or contact (default: all)."))) -> None:
    from crmcli.services import fields

    with rt().transaction(write=False) as (s, _me):
        rows = [_row(f) for f in fields.list_fields(s, record_type)]
    rt().out().rows(_columns(), rows)


@app.command("remove", help=_("Remove a custom field and clear its values from every record.\n\n"
                              "Asks first when records hold values (--yes without a terminal).\n\n"
                              "Example: crm field remove lead budget --yes"))
def remove(record_type: str = typer.Argument(..., metavar="RECORD_TYPE", help=_("lead, customer or contact.")),
           name: str = typer.Argument(..., help=_("The field's name."))) -> None:
    from crmcli.services import fields

    r = rt()
    with r.transaction() as (s, me):
        field, held = fields.removal(s, me, record_type, name)
        if held and not r.confirm(_("{n} records hold a value of {type}.{name}; remove the field and "
                                    "its values?").format(n=held, type=record_type, name=name)):
            raise typer.Exit(1)
        cleared = fields.remove(s, me, record_type, name)
    r.message(_("Removed field {type}.{name}; cleared its value from {n} records.").format(
        type=field.record_type, name=field.name, n=cleared))
