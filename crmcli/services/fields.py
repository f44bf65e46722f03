"""Custom fields (自定义字段): typed, optionally required, per record type.

Values live in each record's JSON ``custom`` column, checked here on every
add, edit and import, so a stored value always has its field's type.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crmcli import clock, limits
from crmcli.errors import Conflict, NotFound, ValidationError
from crmcli.i18n import _
from crmcli.services import audit
from crmcli.services.access import Actor, require
from crmcli.store.models import CustomField

TYPES = ("text", "number", "date", "choice", "bool")
RECORD_TYPES = ("lead", "customer", "contact")
_TRUE = {"true", "yes", "y", "1", "是", "on"}
_FALSE = {"false", "no", "n", "0", "否", "off"}


# Names a custom field may not take: they are the record's own columns or import/export columns.
_BUILT_IN_EXTRA = ("tags", "owner", "customer", "custom")


def _check_record_type(record_type: str) -> str:
    value = (record_type or "").strip().lower()
    if value not in RECORD_TYPES:
        raise ValidationError(_("unknown record type '{type}'").format(type=record_type),
                              hint=_("custom fields exist for: {choices}").format(choices=", ".join(RECORD_TYPES)))
    return value


def built_in_names(record_type: str) -> tuple[str, ...]:
    """The record type's own column names (and the import/export columns): no custom field may take them."""
    from crmcli.store.models import Contact, Customer, Lead

    model = {"lead": Lead, "customer": Customer, "contact": Contact}[_check_record_type(record_type)]
    return tuple(model.__table__.columns.keys()) + _BUILT_IN_EXTRA


def definitions(session: Session, record_type: str) -> dict[str, CustomField]:
    return {f.name: f for f in session.execute(
        select(CustomField).where(CustomField.record_type == record_type).order_by(CustomField.id)).scalars()}


def add(session: Session, actor: Actor, record_type: str, name: str, type_: str, choices: list[str] | None = None,
        required: bool = False, label: str | None = None, reserved: tuple[str, ...] = ()) -> CustomField:
    require(actor, "field.admin")
    record_type = _check_record_type(record_type)
    name = (name or "").strip()
    reserved = reserved or built_in_names(record_type)
    import re

    if not re.match(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$", name):
        raise ValidationError(_("'{name}' is not a valid field name").format(name=limits.shown(name)),
                              hint=_("letters, digits and '_', starting with a letter"))
    if name.lower() in {r.lower() for r in reserved}:
        raise Conflict(_("'{name}' is already a built-in field of {type}").format(name=name, type=record_type))
    if type_ not in TYPES:
        raise ValidationError(_("unknown field type '{type}'").format(type=type_),
                              hint=_("one of: {choices}").format(choices=", ".join(TYPES)))
    clean_choices = [c.strip() for c in (choices or []) for c in c.split(",") if c.strip()]
    if type_ == "choice" and not clean_choices:
        raise ValidationError(_("a choice field needs --choices"))
    if type_ != "choice" and clean_choices:
        raise ValidationError(_("--choices goes only with --type choice"))
    if name.lower() in {n.lower() for n in definitions(session, record_type)}:
        raise Conflict(_("{type} already has a field '{name}'").format(type=record_type, name=name))
    label = (label or "").strip() or None
    if label is not None and len(label) > 120:
        raise ValidationError(_("a label may be at most 120 characters"))
    field = CustomField(record_type=record_type, name=name, label=label, type=type_,
                        choices=clean_choices or None, required=required, created_at=clock.now())
    session.add(field)
    session.flush()
    audit.record(session, actor, "field.add", "field", field.id, f"{record_type}.{name}",
                 audit.created({"type": type_, "choices": clean_choices or None, "required": required}))
    return field


def list_fields(session: Session, record_type: str | None = None) -> list[CustomField]:
    """Every custom field (of one record type), in the order they were added; anyone may read them."""
    query = select(CustomField).order_by(CustomField.record_type, CustomField.id)
    if record_type:
        query = query.where(CustomField.record_type == _check_record_type(record_type))
    return list(session.execute(query).scalars())


def values_count(session: Session, record_type: str, name: str) -> int:
    """How many records hold a value for custom field ``name`` (what removing it clears)."""
    from sqlalchemy import func

    from crmcli.services.filters import custom_value

    model = _model(record_type)
    return session.execute(select(func.count()).select_from(model).where(
        custom_value(session, model, name).is_not(None))).scalar_one()


def _model(record_type: str) -> Any:
    from crmcli.store.models import Contact, Customer, Lead

    return {"lead": Lead, "customer": Customer, "contact": Contact}[record_type]


def removal(session: Session, actor: Actor, record_type: str, name: str) -> tuple[CustomField, int]:
    """The field ``remove`` would delete and how many records hold a value of it (checked, nothing changed)."""
    require(actor, "field.admin")
    record_type = _check_record_type(record_type)
    field = definitions(session, record_type).get((name or "").strip())
    if field is None:
        raise NotFound(_("{type} has no field '{name}'").format(type=record_type, name=name),
                       hint=_("crm field list {type}").format(type=record_type))
    return field, values_count(session, record_type, field.name)


def remove(session: Session, actor: Actor, record_type: str, name: str) -> int:
    """Remove a custom field and clear its values from every record (one statement); returns how many had one.

    The values go with the definition, so a later field of the same name never meets a value of another type.
    """
    field, cleared = removal(session, actor, record_type, name)
    if cleared:
        _clear_values(session, field.record_type, field.name)
    session.delete(field)
    audit.record(session, actor, "field.remove", "field", field.id, f"{field.record_type}.{field.name}",
                 {"type": [field.type, None], "values_cleared": [cleared, 0]})
    return cleared


def _clear_values(session: Session, record_type: str, name: str) -> None:
    """Drop key ``name`` from every record's JSON ``custom`` (NULL when nothing is left), set-based."""
    from sqlalchemy import text

    table = _model(record_type).__tablename__
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(
            f"UPDATE {table} SET custom = CASE WHEN (custom::jsonb - :name) = '{{}}'::jsonb THEN NULL "
            f"ELSE (custom::jsonb - :name)::text END WHERE custom IS NOT NULL AND custom::jsonb ? :name"),
            {"name": name})
    else:
        path = '$."' + name + '"'
        session.execute(text(
            f"UPDATE {table} SET custom = CASE WHEN json_remove(custom, :path) = '{{}}' THEN NULL "
            f"ELSE json_remove(custom, :path) END WHERE json_extract(custom, :path) IS NOT NULL"),
            {"path": path})


def convert(field: CustomField, raw: Any) -> Any:
    """One raw value (text from the command line or a file) to the field's JSON value."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = str(raw).strip()
    if field.type == "number":
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValidationError(_("{field}: '{value}' is not a number").format(field=field.name, value=text)) from None
        return int(number) if number == number.to_integral_value() and "." not in text else float(number)
    if field.type == "date":
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValidationError(_("{field}: '{value}' is not a date (YYYY-MM-DD)").format(
                field=field.name, value=text)) from None
    if field.type == "bool":
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValidationError(_("{field}: '{value}' is not yes or no").format(field=field.name, value=text))
    if field.type == "choice":
        if text not in (field.choices or []):
            raise ValidationError(_("{field}: '{value}' is not one of {choices}").format(
                field=field.name, value=text, choices=", ".join(field.choices or [])))
    return text


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    """``--set name=value`` pairs to a dict."""
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValidationError(_("'{pair}' is not NAME=VALUE").format(pair=pair))
        values[name.strip()] = value
    return values


def apply(session: Session, record_type: str, current: dict[str, Any] | None, raw: dict[str, Any],
          creating: bool, defs: dict[str, CustomField] | None = None) -> dict[str, Any] | None:
    """Merge raw values into the record's custom values, checking names, types and required fields."""
    defs = definitions(session, record_type) if defs is None else defs
    values = dict(current or {})
    for name, value in raw.items():
        field = defs.get(name)
        if field is None:
            raise ValidationError(_("{type} has no field '{name}'").format(type=record_type, name=name),
                                  hint=_("crm field add {type} {name} --type text").format(type=record_type, name=name))
        converted = convert(field, value)
        if converted is None:
            values.pop(name, None)
        else:
            values[name] = converted
    for field in defs.values():
        if field.required and values.get(field.name) is None and (creating or field.name in raw):
            raise ValidationError(_("{field} is required").format(field=field.name),
                                  hint=_("add --set {field}=VALUE").format(field=field.name))
    return values or None
