"""``crm field``: custom fields of leads, customers and contacts — add, list, remove — and their use:
``--set`` on add and edit, shown by show, ``--where`` filters, export and import.

Every test runs on SQLite and, with CRM_TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crmcli.store.models import AuditLog, CustomField, Lead
from tests.commands.test_bad_input import assert_refused, unchanged  # noqa: F401  (fixture)

NOW = "2026-11-20T10:00:00+00:00"


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)


def fields_in_db(session) -> list[tuple]:
    with session() as s:
        return [(f.record_type, f.name, f.type, f.choices, f.required, f.label)
                for f in s.execute(select(CustomField).order_by(CustomField.id)).scalars()]


def test_add_every_type_and_list(crm, session):
    assert crm("field", "add", "lead", "budget", "--type", "number").code == 0
    assert crm("field", "add", "lead", "size", "--type", "choice", "--choices", "S,M", "--choices", "L",
               "--required").code == 0
    assert crm("field", "add", "customer", "industry_code", "--label", "行业代码").code == 0  # text by default
    assert crm("field", "add", "contact", "since", "--type", "date").code == 0
    assert crm("field", "add", "Contact", "vip", "--type", "BOOL").code == 0
    assert fields_in_db(session) == [
        ("lead", "budget", "number", None, False, None),
        ("lead", "size", "choice", ["S", "M", "L"], True, None),
        ("customer", "industry_code", "text", None, False, "行业代码"),
        ("contact", "since", "date", None, False, None),
        ("contact", "vip", "bool", None, False, None)]
    listed = crm("field", "list", "--json").json()
    assert [(f["record_type"], f["name"]) for f in listed] == [
        ("contact", "since"), ("contact", "vip"), ("customer", "industry_code"), ("lead", "budget"), ("lead", "size")]
    assert crm("field", "list", "lead", "--json").json() == [
        {"id": 1, "record_type": "lead", "name": "budget", "label": None, "type": "number", "choices": [],
         "required": False},
        {"id": 2, "record_type": "lead", "name": "size", "label": None, "type": "choice", "choices": ["S", "M", "L"],
         "required": True}]
    assert crm("field", "list", "lead", "--format", "tsv").rows() == [
        ["record_type", "name", "type", "choices", "required", "label"],
        ["lead", "budget", "number", "", "false", ""], ["lead", "size", "choice", "S,M,L", "true", ""]]
    with session() as s:
        entry = s.execute(select(AuditLog).where(AuditLog.action == "field.add")).scalars().first()
        assert (entry.record_type, entry.record_label, entry.changes) == (
            "field", "lead.budget", {"type": [None, "number"], "required": [None, False]})


def test_custom_values_through_add_show_where_and_edit(crm):
    crm("field", "add", "lead", "budget", "--type", "number")
    crm("field", "add", "lead", "vip", "--type", "bool")
    first = crm("lead", "add", "Li Na", "--set", "budget=1200", "--set", "vip=yes", "--json").json()["id"]
    second = crm("lead", "add", "Wang", "--set", "budget=80", "--json").json()["id"]
    shown = crm("lead", "show", first, "--format", "plain").out
    assert "budget" in shown and "1200" in shown
    assert crm("lead", "list", "--where", "budget>100", "--format", "ids").out.split() == [str(first)]
    assert crm("lead", "list", "--where", "vip=yes", "--format", "ids").out.split() == [str(first)]
    assert crm("lead", "edit", second, "--set", "budget=5000").code == 0
    assert crm("lead", "list", "--where", "budget>=1000", "--sort", "id", "--format", "ids").out.split() == [
        str(first), str(second)]


@pytest.mark.parametrize("args, code, err", [
    (("field", "add", "opportunity", "x"), 6,
     "crm: error: unknown record type 'opportunity' (hint: custom fields exist for: lead, customer, contact)\n"),
    (("field", "add", "lead", "email"), 5, "crm: error: 'email' is already a built-in field of lead\n"),
    (("field", "add", "lead", "Tags"), 5, "crm: error: 'Tags' is already a built-in field of lead\n"),
    (("field", "add", "lead", "2x"), 6,
     "crm: error: '2x' is not a valid field name (hint: letters, digits and '_', starting with a letter)\n"),
    (("field", "add", "lead", "x", "--type", "money"), 6,
     "crm: error: unknown field type 'money' (hint: one of: text, number, date, choice, bool)\n"),
    (("field", "add", "lead", "x", "--type", "choice"), 6, "crm: error: a choice field needs --choices\n"),
    (("field", "add", "lead", "x", "--choices", "a,b"), 6, "crm: error: --choices goes only with --type choice\n"),
    (("field", "list", "deal"), 6,
     "crm: error: unknown record type 'deal' (hint: custom fields exist for: lead, customer, contact)\n"),
    (("field", "remove", "lead", "nothing"), 3, "crm: error: lead has no field 'nothing' (hint: crm field list lead)\n"),
])
def test_bad_field_commands(crm, unchanged, args, code, err):  # noqa: F811
    assert_refused(crm(*args), code, err)
    unchanged()


def test_a_field_name_is_taken_once_whatever_its_case(crm, session):
    assert crm("field", "add", "lead", "budget").code == 0
    assert_refused(crm("field", "add", "lead", "Budget"), 5, "crm: error: lead already has a field 'Budget'\n")
    assert crm("field", "add", "customer", "budget").code == 0  # another record type may have one
    assert [f[:2] for f in fields_in_db(session)] == [("lead", "budget"), ("customer", "budget")]


def test_only_administrators_add_and_remove_fields(crm):
    assert crm("user", "add", "rep", "--role", "sales_rep").code == 0
    crm("field", "add", "lead", "budget")
    snap = crm("field", "list", "--json").json()
    result = crm("field", "add", "lead", "size", user="rep")
    assert result.code == 4 and "field.admin" in result.err
    result = crm("field", "remove", "lead", "budget", "--yes", user="rep")
    assert result.code == 4 and "field.admin" in result.err
    assert crm("field", "list", "--json", user="rep").json() == snap  # everyone may read them


def test_remove_clears_the_values_and_asks_first(crm, session):
    crm("field", "add", "lead", "budget", "--type", "number")
    crm("field", "add", "lead", "size", "--type", "choice", "--choices", "S,M")
    one = crm("lead", "add", "A", "--set", "budget=5", "--set", "size=S", "--json").json()["id"]
    two = crm("lead", "add", "B", "--set", "budget=7", "--json").json()["id"]
    three = crm("lead", "add", "C", "--json").json()["id"]
    refused = crm("field", "remove", "lead", "budget")  # no terminal, no --yes
    assert refused.code == 1 and "refusing without a terminal" in refused.err and "2 records" in refused.err
    result = crm("field", "remove", "lead", "budget", "--yes")
    assert result.code == 0, result
    assert result.err == "Removed field lead.budget; cleared its value from 2 records.\n"
    with session() as s:
        assert {lead.id: lead.custom for lead in s.execute(select(Lead)).scalars()} == {
            one: {"size": "S"}, two: None, three: None}
        entry = s.execute(select(AuditLog).where(AuditLog.action == "field.remove")).scalar_one()
        assert entry.changes == {"type": ["number", None], "values_cleared": [2, 0]}
    # a new field of the same name starts empty, whatever type it has now
    assert crm("field", "add", "lead", "budget", "--type", "date").code == 0
    assert crm("lead", "list", "--where", "budget=", "--sort", "id", "--format", "ids").out.split() == [
        str(one), str(two), str(three)]
    # no values: no question asked
    assert crm("field", "remove", "lead", "budget").code == 0


def test_help_shows_examples(crm):
    for args in (("field", "--help"), ("field", "add", "--help"), ("field", "list", "--help"),
                 ("field", "remove", "--help")):
        result = crm(*args)
        assert result.code == 0 and "crm field " in result.out
