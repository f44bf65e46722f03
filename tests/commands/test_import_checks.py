"""What an import refuses rather than store wrongly (issue 11): two columns of one name, a JSON object
naming a key twice, a ``converted`` lead without its customer, nested JSON where text goes, and NUL
characters — on every noun that imports (leads, customers, contacts), and NUL in ``add``/``edit`` too.

Every test runs on SQLite and, with CRM_TEST_DATABASE_URL, on PostgreSQL (which cannot store a NUL:
both refuse it the same way, one line per row into the rejects).
"""

from __future__ import annotations

import json

import pytest

from tests.commands.test_bad_input import assert_refused, unchanged  # noqa: F401  (fixture)

ABORTED = " (hint: nothing was imported; fix the row, or add --on-error skip to import the other rows)\n"


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", "2026-11-20T10:00:00+00:00")


@pytest.fixture
def customer(crm):
    result = crm("customer", "add", "Acme", "--json")
    assert result.code == 0, result
    return result.json()["id"]


def import_skip(crm, noun, path, tmp_path, *args):
    rejects = tmp_path / ("rejects" + (".jsonl" if path.suffix in (".json", ".jsonl") else path.suffix))
    result = crm(noun, "import", path, "--on-error", "skip", "--rejects", rejects, "--json", *args)
    assert result.code == 0, result
    if rejects.suffix == ".jsonl":
        found = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
        return result.json(), [(r["line"], r["reason"]) for r in found]
    sep = "\t" if rejects.suffix == ".tsv" else ","
    lines = rejects.read_text(encoding="utf-8").splitlines()[1:]
    return result.json(), [(int(line.split(sep, 1)[0]), line.split(sep, 2)[1]) for line in lines]


# --- two columns of one name -------------------------------------------------------------------------------


@pytest.mark.parametrize("noun", ["lead", "customer", "contact"])
def test_two_columns_of_one_name_are_refused(crm, unchanged, tmp_path, noun):  # noqa: F811
    path = tmp_path / "dup.csv"
    path.write_text("name,email,phone,email\nA,a@example.com,,b@example.com\n", encoding="utf-8")
    assert_refused(crm(noun, "import", path), 6,
                   f"crm: error: {path}: more than one column is named 'email' (hint: rename one of them in the "
                   "header, so that no column is silently lost)\n")
    unchanged()


def test_two_columns_that_both_map_themselves_to_one_field_are_refused(crm, unchanged, tmp_path):  # noqa: F811
    path = tmp_path / "dup.tsv"
    path.write_text("name\tEmail\temail\nA\ta@example.com\tb@example.com\n", encoding="utf-8")
    assert_refused(crm("lead", "import", path), 6,
                   f"crm: error: {path}: the columns 'Email' and 'email' both give email (hint: choose one: "
                   "--map 'email=-' ignores it, --map 'email=FIELD' sends it elsewhere)\n")
    unchanged()
    result = crm("lead", "import", path, "--map", "email=-", "--json")  # the user's choice
    assert result.code == 0 and result.json()["inserted"] == 1, result


def test_blank_column_names_may_repeat(crm, tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("name,,\nA,,\n", encoding="utf-8")
    assert crm("lead", "import", path).code == 0


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_a_json_object_naming_a_key_twice_is_rejected(crm, tmp_path, suffix):
    path = tmp_path / f"dup{suffix}"
    rows = ['{"name": "A", "email": "a@example.com", "email": "b@example.com"}', '{"name": "B"}']
    path.write_text("\n".join(rows) + "\n" if suffix == ".jsonl" else "[" + ",\n".join(rows) + "]\n",
                    encoding="utf-8")
    report, rejects = import_skip(crm, "lead", path, tmp_path)
    assert (report["inserted"], report["rejected"]) == (1, 1)
    assert rejects == [(1, "the key 'email' appears more than once in the object")]


# --- a converted lead needs its customer ---------------------------------------------------------------------


def test_a_converted_lead_without_a_customer_is_rejected(crm, session, tmp_path, customer):
    path = tmp_path / "leads.csv"
    path.write_text(f"name,status,customer_id\nA,converted,\nB,converted,{customer}\nC,new,{customer}\n"
                    "D,converted,999\nE,new,\n", encoding="utf-8")
    report, rejects = import_skip(crm, "lead", path, tmp_path)
    assert (report["inserted"], report["rejected"]) == (2, 3)
    assert [line for line, _reason in rejects] == [2, 4, 5]
    assert rejects[0][1].startswith('"a converted lead needs its customer (give the customer')
    assert rejects[1][1].startswith('"only a converted lead has a customer_id')
    from sqlalchemy import select

    from crmcli.store.models import Lead

    with session() as s:
        rows = s.execute(select(Lead.name, Lead.status, Lead.customer_id, Lead.converted_at.is_not(None))
                         .order_by(Lead.id)).all()
    assert [tuple(r) for r in rows] == [("B", "converted", customer, True), ("E", "new", None, False)]


def test_a_converted_lead_aborts_the_import(crm, unchanged, tmp_path):  # noqa: F811
    path = tmp_path / "leads.csv"
    path.write_text("name,status\nA,converted\n", encoding="utf-8")
    assert_refused(crm("lead", "import", path), 6,
                   f"crm: error: {path}, line 2: a converted lead needs its customer (give the customer's id in a "
                   "customer_id column, or import the lead as new and run crm lead convert)" + ABORTED)
    unchanged()


# --- nested JSON where text goes -----------------------------------------------------------------------------


@pytest.mark.parametrize("noun", ["lead", "customer", "contact"])
def test_nested_json_values_are_rejected_naming_the_field(crm, tmp_path, noun, customer):
    assert crm("field", "add", noun, "note").code == 0
    link = f', "customer": "{customer}"' if noun == "contact" else ""
    path = tmp_path / "nested.jsonl"
    path.write_text("\n".join([
        '{"name": "A", "email": {"work": "a@example.com"}%s}' % link,
        '{"name": "B", "phone": ["1", "2"]%s}' % link,
        '{"name": "C", "custom": {"note": {"x": 1}}%s}' % link,
        '{"name": "D", "tags": ["a", "b"], "attributes": {"type": "ignored"}%s}' % link,
    ]) + "\n", encoding="utf-8")
    report, rejects = import_skip(crm, noun, path, tmp_path)
    assert (report["inserted"], report["rejected"]) == (1, 3)
    assert rejects == [(1, "email: a JSON object where text is expected"),
                       (2, "phone: a JSON array where text is expected"),
                       (3, "custom.note: a JSON object where text is expected")]


# --- NUL characters ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("noun", ["lead", "customer", "contact"])
@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl"])
def test_nul_characters_are_rejected_per_row_on_every_backend(crm, session, tmp_path, noun, suffix, customer):
    sep = {".csv": ",", ".tsv": "\t"}.get(suffix)
    extra = noun == "contact"
    if sep:
        header = sep.join(["name", "title" if noun != "customer" else "address"] + (["customer"] if extra else []))
        rows = [sep.join([name, other] + ([str(customer)] if extra else []))
                for name, other in (("Go\x00od", "x"), ("Fine", "a\x00b"), ("Ok", "y"))]
        path = tmp_path / f"nul{suffix}"
        path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
        field = "title" if noun != "customer" else "address"
        expected = [(2, "name: text may not contain a NUL character (\\0)"),
                    (3, f"{field}: text may not contain a NUL character (\\0)")]
    else:
        link = f', "customer": "{customer}"' if extra else ""
        path = tmp_path / "nul.jsonl"
        path.write_text('{"name": "Go\\u0000od"%s}\n{"name": "Fine", "tags": ["a\\u0000"]%s}\n{"name": "Ok"%s}\n'
                        % (link, link, link), encoding="utf-8")
        expected = [(1, "name: text may not contain a NUL character (\\0)"),
                    (2, "tags: text may not contain a NUL character (\\0)")]
    report, rejects = import_skip(crm, noun, path, tmp_path)
    assert (report["inserted"], report["rejected"]) == (1, 2)
    assert rejects == expected


def test_a_nul_in_the_header_is_refused(crm, unchanged, tmp_path):  # noqa: F811
    path = tmp_path / "nul.csv"
    path.write_text("name,ti\x00tle\nA,b\n", encoding="utf-8")
    assert_refused(crm("lead", "import", path), 6,
                   f"crm: error: {path}, line 1: ti\\0tle: text may not contain a NUL character (\\0)\n")
    unchanged()


@pytest.mark.parametrize("line", [
    "lead add 'Go\x00od'",
    "lead add Good --company 'A\x00B'",
    "lead edit 1 --title 'x\x00y'",
    "lead add Good --set 'note=a\x00b'",
    "customer add 'Ac\x00me'",
    "customer edit 1 --address 'x\x00y'",
    "contact add 'Zh\x00ang' --customer 1",
    "contact edit 1 --title 'x\x00y'",
])
def test_nul_characters_in_add_and_edit_are_refused(crm, session, tmp_path, line):
    assert crm("field", "add", "lead", "note").code == 0
    assert crm("lead", "add", "Lead").code == 0
    assert crm("customer", "add", "Customer").code == 0
    assert crm("contact", "add", "Contact", "--customer", "1").code == 0
    script = tmp_path / "batch.txt"
    script.write_text(line + "\n", encoding="utf-8")
    result = crm("batch", script)
    # a batch line is an argument list: refused before any service sees it (the services' own guard,
    # normalise's text guard, is what imports and the full-screen app meet)
    assert result.code == 2, result
    assert "an argument may not contain a NUL character (\\0)" in result.err
    from sqlalchemy import func, select

    from crmcli.store.models import Contact, Customer, Lead

    with session() as s:
        assert [s.execute(select(func.count()).select_from(m)).scalar() for m in (Lead, Customer, Contact)] == [1, 1, 1]


def test_times_outside_the_date_range_are_rejected(crm, tmp_path):
    path = tmp_path / "dates.csv"
    path.write_text("name,next_contact_at\nA,0001-01-01T10:00:00\nB,9999-12-31\nC,2026-12-01T10:00:00\n",
                    encoding="utf-8")
    report, rejects = import_skip(crm, "lead", path, tmp_path)
    assert (report["inserted"], report["rejected"]) == (1, 2)
    assert [line for line, _reason in rejects] == [2, 3]
    assert all("is out of range" in reason for _line, reason in rejects)
