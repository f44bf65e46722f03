"""``crm lead import``: formats, column mapping, dedupe, rejects, dry runs, the operation log, the search index,
the real files in tests/data (Gmail, LinkedIn, Outlook, Thunderbird, Salesforce), and every bad input —
each with its message, exit code, and nothing written (abort) or the exact rejects file (skip).

Every test runs on SQLite and, with CRM_TEST_DATABASE_URL, on PostgreSQL (where rows go in by COPY).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select, text

from crmcli.store.models import AuditLog, Lead, Tag
from tests.commands.test_bad_input import assert_refused, unchanged  # noqa: F401  (fixture)
from tests.conftest import ADMIN, TEST_DATA, backend

NOW = "2026-11-20T10:00:00+00:00"
UTC = timezone.utc
CONTACTS = TEST_DATA / "contact-export-csv-samples"
SALESFORCE = TEST_DATA / "salesforce-samples"
NO_GHOST = "no user named 'ghost'"  # users.find's words for an unknown login
ABORTED = " (hint: nothing was imported; fix the row, or add --on-error skip to import the other rows)\n"


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)


def write(tmp_path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return str(path)


def imported(crm, *args, stdin: str | None = None, user: str = ADMIN) -> dict:
    result = crm("lead", "import", *args, "--json", stdin=stdin, user=user)
    assert result.code == 0, result
    return result.json()


def counts(report: dict) -> tuple[int, int, int, int, int]:
    return report["read"], report["inserted"], report["updated"], report["skipped"], report["rejected"]


def leads(session) -> list[Lead]:
    with session() as s:
        rows = list(s.execute(select(Lead).order_by(Lead.id)).scalars())
        s.expunge_all()
        return rows


def values(session, *names: str) -> list[tuple]:
    return [tuple(getattr(lead, n) for n in names) for lead in leads(session)]


def log(session, action: str) -> list[AuditLog]:
    with session() as s:
        rows = list(s.execute(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).scalars())
        s.expunge_all()
        return rows


def tag_rows(session) -> list[tuple]:
    with session() as s:
        return sorted(s.execute(select(Tag.record_id, Tag.tag).where(Tag.record_type == "lead")).all())


def search(crm, term: str) -> list[int]:
    result = crm("lead", "list", "--search", term, "--sort", "id", "--format", "ids")
    assert result.code == 0, result
    return [int(x) for x in result.out.split()]


def search_index_intact(session) -> None:
    """SQLite: the FTS insert trigger is back and the index matches the table."""
    if backend() != "sqlite":
        return
    with session() as s:
        names = set(s.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
        assert {"lead_fts_ai", "lead_fts_au", "lead_fts_ad"} <= names
        s.execute(text("INSERT INTO lead_fts(lead_fts) VALUES ('integrity-check')"))


BASIC = ("Name,Company,Mobile,E-Mail,Source,Notes\n"
         "张伟,华为技术有限公司,138 0013 8000,Zhang.Wei@Huawei.com,event,met at expo\n"
         "Li Na,Acme Ltd,,lina@acme.example,WEB,\n"
         "Wang Fang,,+86 139 1234 5678,,,\n")


# --- the basic path ----------------------------------------------------------------------------


def test_import_a_csv_file(crm, session, tmp_path):
    path = write(tmp_path, "leads.csv", BASIC)
    report = imported(crm, path)
    assert counts(report) == (3, 3, 0, 0, 0)
    assert (report["file"], report["format"], report["dry_run"], report["first_id"], report["last_id"]) == (
        path, "csv", False, 1, 3)
    assert report["columns"] == {"Name": "name", "Company": "company", "Mobile": "mobile", "Source": "source"}
    assert report["ignored"] == ["E-Mail", "Notes"]  # 'E-Mail' is not 'email': map it
    assert values(session, "id", "name", "company", "mobile", "email", "source", "status", "score", "owner_id",
                  "phone_key", "created_by") == [
        (1, "张伟", "华为技术有限公司", "138 0013 8000", None, "event", "new", 0, 1, "+8613800138000", 1),
        (2, "Li Na", "Acme Ltd", None, None, "web", "new", 0, 1, None, 1),
        (3, "Wang Fang", None, "+86 139 1234 5678", None, None, "new", 0, 1, "+8613912345678", 1)]
    now = datetime.fromisoformat(NOW)
    assert {(lead.created_at, lead.updated_at, lead.owned_since) for lead in leads(session)} == {(now, now, now)}
    entries = log(session, "lead.import")
    assert [(e.record_type, e.record_id, e.record_label, e.actor_login, e.reason) for e in entries] == [
        ("lead", 1, "张伟 (华为技术有限公司)", "admin", f"{path}:2"),
        ("lead", 2, "Li Na (Acme Ltd)", "admin", f"{path}:3"),
        ("lead", 3, "Wang Fang", "admin", f"{path}:4")]
    assert entries[0].command == f"crm --user admin lead import {path} --json"
    assert entries[0].at == now
    assert search(crm, "华为技术") == [1] and search(crm, "139 1234") == [3]
    search_index_intact(session)
    # the trigger is back: a lead added afterwards is found too
    assert crm("lead", "add", "After Import", "--company", "华为技术二部").code == 0
    assert search(crm, "华为技术") == [1, 4]


def test_map_renames_joins_and_ignores_columns(crm, session, tmp_path):
    path = write(tmp_path, "people.csv", "First,Last,E-Mail,Title,Job Title,Remarks\n"
                                         "Ann,Lee,ann@x.example,Dr,CTO,x\n"
                                         "Bo,,bo@x.example,,CEO,y\n")
    report = imported(crm, path, "--map", "First+Last=name", "--map", "e-mail=EMAIL", "--map", "Job Title=title",
                      "--map", "Remarks=-")
    assert counts(report) == (2, 2, 0, 0, 0)
    assert report["columns"] == {"First+Last": "name", "e-mail": "email", "Job Title": "title"}
    assert report["ignored"] == ["Title"]  # title is taken by the explicit map
    assert values(session, "name", "email", "title", "email_key") == [
        ("Ann Lee", "ann@x.example", "CTO", "ann@x.example"), ("Bo", "bo@x.example", "CEO", "bo@x.example")]


def test_custom_fields_owner_tags_status_and_times(crm, session, tmp_path):
    crm("field", "add", "lead", "budget", "--type", "number")
    crm("field", "add", "lead", "size", "--type", "choice", "--choices", "S,M,L", "--label", "尺寸")
    crm("user", "add", "bob")
    path = write(tmp_path, "rich.csv",
                 "name,budget,尺寸,owner,tags,status,invalid_reason,score,next_contact_at,created_at\n"
                 "A,1200,M,bob,\"vip, hot\",qualifying,,40,2026-12-01T09:00:00+08:00,2025-01-02T03:04:05.678901+00:00\n"
                 "B,,,,,invalid,空号,,,\n"
                 "C,2.5,,none,,,,,2026-12-24 10:00,\n")
    report = imported(crm, path, "--tag", "import-2026")
    assert counts(report) == (3, 3, 0, 0, 0)
    assert report["columns"]["尺寸"] == "size"
    assert values(session, "name", "custom", "owner_id", "status", "invalid_reason", "score", "owned_since") == [
        ("A", {"budget": 1200, "size": "M"}, 2, "qualifying", None, 40, datetime.fromisoformat(NOW)),
        ("B", None, 1, "invalid", "空号", 0, datetime.fromisoformat(NOW)),
        ("C", {"budget": 2.5}, None, "new", None, 0, None)]
    rows = leads(session)
    assert rows[0].next_contact_at == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    assert rows[0].created_at == datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    assert rows[2].next_contact_at == datetime(2026, 12, 24, 10, 0, tzinfo=UTC)  # the user's zone (UTC here)
    assert tag_rows(session) == [(1, "hot"), (1, "import-2026"), (1, "vip"), (2, "import-2026"), (3, "import-2026")]
    assert crm("lead", "list", "--where", "budget>1000", "--format", "ids").out.split() == ["1"]
    assert crm("lead", "list", "--tag", "vip", "--format", "ids").out.split() == ["1"]


def test_report_in_every_output_format(crm, tmp_path):
    path = write(tmp_path, "leads.csv", BASIC)
    assert crm("lead", "import", path, "--dry-run", "--format", "tsv").rows() == [
        ["read", "inserted", "updated", "skipped", "rejected"], ["3", "3", "0", "0", "0"]]
    assert crm("lead", "import", path, "--dry-run", "--format", "csv").out == (
        "read,inserted,updated,skipped,rejected\n3,3,0,0,0\n")
    assert counts(json.loads(crm("lead", "import", path, "--dry-run", "--format", "jsonl").out)) == (3, 3, 0, 0, 0)
    plain = crm("lead", "import", path, "--dry-run", "--format", "plain").out.splitlines()
    assert [line.split("  ")[0] for line in plain] == [
        "rows read", "rows inserted", "rows updated", "skipped as duplicate", "rejected", "dry run"]
    assert [line.split()[-1] for line in plain] == ["3", "3", "0", "0", "0", "yes"]
    table = crm("lead", "import", path, "--dry-run", "--format", "table")
    assert table.code == 0 and "skipped as duplicate" in table.out


# --- formats -------------------------------------------------------------------------------------


def test_tsv_jsonl_json_and_stdin(crm, session, tmp_path):
    crm("field", "add", "lead", "vip", "--type", "bool")
    tsv = write(tmp_path, "a.tsv", "name\tcompany\temail\nT1\tTab Co\tt1@x.example\n")
    jsonl = write(tmp_path, "b.jsonl",
                  '{"name": "J1", "score": 7, "tags": ["a", "b"], "custom": {"vip": true}, "id": 99}\n'
                  "\n"
                  '{"name": "J2", "vip": "no", "owner": null}\n')
    array = write(tmp_path, "c.json", '[\n {"name": "A1",\n  "email": "a1@x.example"},\n {"name": "A2"}\n]\n')
    assert counts(imported(crm, tsv)) == (1, 1, 0, 0, 0)
    report = imported(crm, jsonl)
    assert counts(report) == (2, 2, 0, 0, 0) and report["format"] == "jsonl"
    assert report["ignored"] == ["id"]
    assert counts(imported(crm, array)) == (2, 2, 0, 0, 0)
    report = imported(crm, "-", "--input-format", "csv", stdin="name,email\nS1,s1@x.example\n")
    assert (counts(report), report["file"]) == ((1, 1, 0, 0, 0), "stdin")
    report = imported(crm, "-", stdin='{"name": "S2"}\n')  # no extension: the content says JSONL
    assert (counts(report), report["format"]) == ((1, 1, 0, 0, 0), "jsonl")
    assert values(session, "name", "company", "email", "score", "custom") == [
        ("T1", "Tab Co", "t1@x.example", 0, None), ("J1", None, None, 7, {"vip": True}),
        ("J2", None, None, 0, {"vip": False}), ("A1", None, "a1@x.example", 0, None), ("A2", None, None, 0, None),
        ("S1", None, "s1@x.example", 0, None), ("S2", None, None, 0, None)]
    assert tag_rows(session) == [(2, "a"), (2, "b")]
    assert log(session, "lead.import")[-1].reason == "stdin:1"


def test_many_batches_keep_dedupe_ids_and_search_right(crm, session, tmp_path, monkeypatch):
    from crmcli.services import importer

    monkeypatch.setattr(importer, "BATCH", 3)
    lines = ["name,email,company"] + [f"N{i},u{i % 7}@x.example,公司{i}号" for i in range(20)]
    path = write(tmp_path, "many.csv", "\n".join(lines) + "\n")
    report = imported(crm, path, "--dedupe-by", "email")
    assert counts(report) == (20, 7, 0, 13, 0)
    assert values(session, "id", "name", "email") == [(i + 1, f"N{i}", f"u{i}@x.example") for i in range(7)]
    assert search(crm, "公司6号") == [7] and search(crm, "公司9号") == []
    search_index_intact(session)
    assert len(log(session, "lead.import")) == 7


# --- dedupe ----------------------------------------------------------------------------------------


DUPES = ("name,email,mobile,company\n"
         "Old Friend,OLD@x.example,,New Co\n"          # matches lead 1 by email (case folded)
         "New One,new@x.example,13800138000,\n"        # matches lead 2 by phone only
         "Fresh,fresh@x.example,,\n"
         "Fresh Again,Fresh@X.example,,Again Co\n")    # matches the row above (same file)


def _existing(crm) -> None:
    assert crm("lead", "add", "Old", "--email", "old@x.example", "--tag", "kept").code == 0
    assert crm("lead", "add", "Phone Person", "--mobile", "+86 138 0013 8000", "--company", "P Co").code == 0


def test_dedupe_skip_against_the_database_and_within_the_file(crm, session, tmp_path):
    _existing(crm)
    path = write(tmp_path, "dupes.csv", DUPES)
    report = imported(crm, path, "--dedupe-by", "email,phone")
    assert counts(report) == (4, 1, 0, 3, 0) and report["dedupe_by"] == ["email", "phone"]
    assert values(session, "name", "email") == [("Old", "old@x.example"), ("Phone Person", None),
                                                 ("Fresh", "fresh@x.example")]
    report = imported(crm, path, "--dedupe-by", "email")  # phone no longer a key: New One goes in
    assert counts(report) == (4, 1, 0, 3, 0)
    assert values(session, "name")[-1] == ("New One",)


def test_dedupe_update_fills_in_fields_custom_values_and_tags(crm, session, tmp_path):
    crm("field", "add", "lead", "budget", "--type", "number")
    _existing(crm)
    path = write(tmp_path, "upd.csv", "name,email,mobile,company,budget,tags,status\n"
                                      "Old Friend,OLD@x.example,,New Co,500,vip,invalid\n"
                                      ",new@x.example,13800138000,,,,\n"
                                      "Fresh,fresh@x.example,,,,,\n"
                                      "Fresh Again,Fresh@X.example,,Again Co,7,,\n")
    report = imported(crm, path, "--dedupe-by", "email,phone", "--on-duplicate", "update", "--on-error", "skip")
    # row 3 has no name: it updates lead 2 (a name is needed only for a new lead)
    assert counts(report) == (4, 1, 3, 0, 0)
    assert values(session, "name", "email", "company", "custom", "status") == [
        ("Old Friend", "OLD@x.example", "New Co", {"budget": 500}, "new"),  # status is not imported into a match
        ("Phone Person", "new@x.example", "P Co", None, "new"),
        ("Fresh Again", "Fresh@X.example", "Again Co", {"budget": 7}, "new")]
    assert tag_rows(session) == [(1, "kept"), (1, "vip")]
    entries = log(session, "lead.import")
    assert [(e.record_id, e.reason) for e in entries] == [(3, f"{path}:4,5"), (1, f"{path}:2"), (2, f"{path}:3")]
    assert entries[1].changes == {"name": ["Old", "Old Friend"], "email": ["old@x.example", "OLD@x.example"],
                                  "company": [None, "New Co"], "custom": [None, {"budget": 500}],
                                  "tags": [["kept"], ["kept", "vip"]]}
    assert entries[2].changes == {"email": [None, "new@x.example"], "mobile": ["+86 138 0013 8000", "13800138000"]}
    assert search(crm, "new@x.exa") == [2]  # the update trigger kept the index in step
    search_index_intact(session)


def test_dedupe_update_across_batches_updates_the_row_inserted_earlier(crm, session, tmp_path, monkeypatch):
    from crmcli.services import importer

    monkeypatch.setattr(importer, "BATCH", 2)
    path = write(tmp_path, "x.csv", "name,email,title,company\nA,a@x.example,,旧公司\nB,b@x.example,,\n"
                                    "A2,A@x.example,CTO,新公司\n")
    report = imported(crm, path, "--dedupe-by", "email", "--on-duplicate", "update")
    assert counts(report) == (3, 2, 1, 0, 0)
    assert values(session, "name", "title", "company") == [("A2", "CTO", "新公司"), ("B", None, None)]
    # lead 1 was updated before the end of the import: it was put in the search index first, so the
    # update trigger could take its old values out
    assert search(crm, "新公司") == [1] and search(crm, "旧公司") == []
    assert search(crm, "a@x.example") == [1]
    search_index_intact(session)


def test_dedupe_error_aborts_with_a_conflict(crm, tmp_path, unchanged):  # noqa: F811
    path = write(tmp_path, "d.csv", "name,email\nA,a@x.example\nB,A@x.example\n")
    assert_refused(crm("lead", "import", path, "--dedupe-by", "email", "--on-duplicate", "error"), 5,
                   f"crm: error: {path}, line 3: a duplicate of line 2 of this file (same email)" + ABORTED)
    unchanged()


def test_dedupe_error_with_skip_rejects_the_duplicates(crm, session, tmp_path):
    _existing(crm)
    path = write(tmp_path, "dupes.csv", DUPES)
    rejects = tmp_path / "rejects.csv"
    report = imported(crm, path, "--dedupe-by", "email", "--on-duplicate", "error", "--on-error", "skip",
                      "--rejects", rejects)
    assert counts(report) == (4, 2, 0, 0, 2)
    assert rejects.read_text(encoding="utf-8") == (
        "line,reason,name,email,mobile,company\n"
        "2,a duplicate of lead 1 (same email),Old Friend,OLD@x.example,,New Co\n"
        "5,a duplicate of line 4 of this file (same email),Fresh Again,Fresh@X.example,,Again Co\n")


def test_dedupe_by_name(crm, session, tmp_path):
    crm("lead", "add", "Same Name")
    path = write(tmp_path, "n.csv", "name\nSame Name\nsame name\nOther\nOther\n")
    assert counts(imported(crm, path, "--dedupe-by", "name")) == (4, 2, 0, 2, 0)
    assert values(session, "name") == [("Same Name",), ("same name",), ("Other",)]


def test_an_update_needs_the_edit_permission_and_scope(crm, session, tmp_path):
    crm("user", "add", "rep", "--role", "sales_rep")
    crm("user", "add", "rep2", "--role", "sales_rep")
    assert crm("lead", "add", "Theirs", "--email", "t@x.example", "--owner", "rep2").code == 0
    path = write(tmp_path, "t.csv", "name,email,title\nTheirs,t@x.example,Boss\nMine,m@x.example,\n")
    rejects = tmp_path / "r.csv"
    report = imported(crm, path, "--dedupe-by", "email", "--on-duplicate", "update", "--on-error", "skip",
                      "--rejects", rejects, user="rep")
    assert counts(report) == (2, 1, 0, 0, 1)
    assert rejects.read_text(encoding="utf-8").splitlines()[1] == (
        "2,\"a duplicate of lead 1, which you may not change\",Theirs,t@x.example,Boss")
    assert values(session, "name", "title", "owner_id") == [("Theirs", None, 3), ("Mine", None, 2)]


# --- rejects, dry run ---------------------------------------------------------------------------


BAD_ROWS = ("name,email,mobile,source,status\n"
            "Good,g@x.example,,web,\n"
            "Bad Mail,not-an-email,,,\n"
            "Bad Phone,,12ab,,\n"
            "\"Bad, Source\",,,billboard,\n"
            ",nobody@x.example,,,\n"
            "Bad Status,,,,won\n"
            "Too,many,fields,here,now,extra\n"
            "Also Good,,13912345678,,\n")
REJECTS = ("line,reason,name,email,mobile,source,status\n"
           "3,'not-an-email' is not a valid email address,Bad Mail,not-an-email,,,\n"
           "4,'12ab' is not a phone number,Bad Phone,,12ab,,\n"
           "5,\"unknown source 'billboard' (one of: web, email, ads, event, content, phone, referral, outreach, "
           "other)\",\"Bad, Source\",,,billboard,\n"
           "6,a lead needs a name,,nobody@x.example,,,\n"
           "7,\"unknown status 'won' (one of: new, qualifying, converted, invalid)\",Bad Status,,,,won\n"
           "8,\"it has 6 fields, the header has 5\",Too,many,fields,here,now,extra\n")


def test_skip_writes_every_rejected_row_with_its_line_and_reason(crm, session, tmp_path):
    path = write(tmp_path, "bad.csv", BAD_ROWS)
    rejects = tmp_path / "rejects.csv"
    result = crm("lead", "import", path, "--on-error", "skip", "--rejects", rejects, "--json")
    assert result.code == 0, result
    assert counts(result.json()) == (8, 2, 0, 0, 6)
    assert result.json()["rejects"] == str(rejects)
    assert result.err == f"6 rejected rows are in {rejects}.\n"
    assert rejects.read_text(encoding="utf-8") == REJECTS
    assert values(session, "name") == [("Good",), ("Also Good",)]
    assert [e.reason for e in log(session, "lead.import")] == [f"{path}:2", f"{path}:9"]


def test_skip_without_a_rejects_file_names_every_rejected_row_on_stderr(crm, tmp_path):
    path = write(tmp_path, "bad.csv", BAD_ROWS)
    result = crm("lead", "import", path, "--on-error", "skip", "--format", "tsv")
    assert result.code == 0, result
    assert result.rows()[1] == ["8", "2", "0", "0", "6"]
    assert result.err.splitlines() == [
        "line 3 rejected: 'not-an-email' is not a valid email address",
        "line 4 rejected: '12ab' is not a phone number",
        "line 5 rejected: unknown source 'billboard' (one of: web, email, ads, event, content, phone, referral, "
        "outreach, other)",
        "line 6 rejected: a lead needs a name",
        "line 7 rejected: unknown status 'won' (one of: new, qualifying, converted, invalid)",
        "line 8 rejected: it has 6 fields, the header has 5"]


def test_dry_run_reports_the_same_and_writes_nothing(crm, session, tmp_path, unchanged):  # noqa: F811
    path = write(tmp_path, "bad.csv", BAD_ROWS)
    rejects = tmp_path / "rejects.csv"
    result = crm("lead", "import", path, "--on-error", "skip", "--rejects", rejects, "--dry-run", "--json")
    assert result.code == 0, result
    report = result.json()
    assert counts(report) == (8, 2, 0, 0, 6) and report["dry_run"] is True
    assert (report["first_id"], report["last_id"]) == (None, None)
    assert result.err.endswith("Dry run: nothing was written.\n")
    assert rejects.read_text(encoding="utf-8") == REJECTS
    unchanged()
    search_index_intact(session)
    result = crm("lead", "import", path, "--on-error", "skip", "--json")  # for real: the same counts
    assert counts(result.json()) == (8, 2, 0, 0, 6)


def test_jsonl_rejects_are_jsonl(crm, tmp_path):
    path = write(tmp_path, "r.jsonl", '{"name": "ok"}\n{"name": "x", "email": "bad"}\n{broken\n[1, 2]\n')
    rejects = tmp_path / "r.jsonl.rejects"
    report = imported(crm, path, "--on-error", "skip", "--rejects", rejects)
    assert counts(report) == (4, 1, 0, 0, 3)
    lines = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    assert lines == [
        {"line": 2, "reason": "'bad' is not a valid email address", "row": {"name": "x", "email": "bad"}},
        {"line": 3, "reason": "not valid JSON: Expecting property name enclosed in double quotes", "row": "{broken"},
        {"line": 4, "reason": "not a JSON object", "row": [1, 2]}]


# --- bad input: message, exit code, nothing written ---------------------------------------------------


@pytest.mark.parametrize("row, reason", [
    ("Bad Mail,not-an-email,,,", "'not-an-email' is not a valid email address"),
    ("Bad Phone,,12ab,,", "'12ab' is not a phone number"),
    ("Bad Source,,,billboard,",
     "unknown source 'billboard' (one of: web, email, ads, event, content, phone, referral, outreach, other)"),
    ("Bad Status,,,,won", "unknown status 'won' (one of: new, qualifying, converted, invalid)"),
    (",nobody@x.example,,,", "a lead needs a name"),
    ("Ragged,,,", "it has 4 fields, the header has 5"),
])
def test_a_bad_row_aborts_and_nothing_is_written(crm, session, tmp_path, unchanged, row, reason):  # noqa: F811
    path = write(tmp_path, "one-bad.csv", "name,email,mobile,source,status\nGood,g@x.example,,web,\n" + row + "\n")
    assert_refused(crm("lead", "import", path), 6, f"crm: error: {path}, line 3: {reason}" + ABORTED)
    unchanged()
    search_index_intact(session)


def test_abort_after_a_full_batch_leaves_nothing_behind(crm, session, tmp_path, unchanged, monkeypatch):  # noqa: F811
    from crmcli.services import importer

    monkeypatch.setattr(importer, "BATCH", 2)
    path = write(tmp_path, "late.csv", "name,email\nA,a@x.example\nB,b@x.example\nC,c@x.example\nD,bad\n")
    rejects = tmp_path / "r.csv"
    result = crm("lead", "import", path, "--rejects", rejects)
    assert_refused(result, 6, f"crm: error: {path}, line 5: 'bad' is not a valid email address" + ABORTED)
    assert rejects.read_text(encoding="utf-8") == "line,reason,name,email\n5,'bad' is not a valid email address,D,bad\n"
    unchanged()
    search_index_intact(session)


def test_an_unknown_mapped_field_stops_before_anything_is_written(crm, tmp_path, unchanged):  # noqa: F811
    path = write(tmp_path, "m.csv", BASIC)
    assert_refused(crm("lead", "import", path, "--map", "E-Mail=mail"), 6,
                   "crm: error: unknown field 'mail' in --map E-Mail=mail (hint: lead fields: name, company, title, "
                   "phone, mobile, email, website, address, region, industry, source, campaign, score, status, "
                   "invalid_reason, next_contact_at, created_at, converted_at, owner, tags, customer_id; custom fields: crm field list lead)\n")
    assert_refused(crm("lead", "import", path, "--map", "Email=email"), 6,
                   f"crm: error: {path} has no column 'Email' (hint: its columns: Name, Company, Mobile, E-Mail, "
                   "Source, Notes)\n")
    assert_refused(crm("lead", "import", path, "--map", "E-Mail"), 6,
                   "crm: error: 'E-Mail' is not COLUMN=FIELD (hint: for example --map 'E-mail Address=email')\n")
    assert_refused(crm("lead", "import", path, "--map", "Name=-"), 6,
                   f"crm: error: no column of {path} gives the name of each lead (hint: map one: --map 'COLUMN=name' "
                   "(or --map 'First Name+Last Name=name'))\n")
    assert_refused(crm("lead", "import", path, "--map", "Company=name", "--map", "Source=name"), 6,
                   "crm: error: both 'Company' and 'Source' map to name\n")
    unchanged()


def test_options_are_checked_before_anything_is_written(crm, tmp_path, unchanged):  # noqa: F811
    path = write(tmp_path, "o.csv", BASIC)
    assert_refused(crm("lead", "import", path, "--on-duplicate", "merge"), 6,
                   "crm: error: unknown --on-duplicate 'merge' (hint: one of: skip, update, error)\n")
    assert_refused(crm("lead", "import", path, "--on-error", "ignore"), 6,
                   "crm: error: unknown --on-error 'ignore' (hint: one of: abort, skip)\n")
    assert_refused(crm("lead", "import", path, "--dedupe-by", "email,fax"), 6,
                   "crm: error: lead records cannot be deduplicated by 'fax' (hint: one of: email, phone, name)\n")
    assert_refused(crm("lead", "import", path, "--input-format", "xlsx"), 6,
                   "crm: error: unknown file format 'xlsx' (hint: one of: csv, tsv, jsonl, json)\n")
    assert_refused(crm("lead", "import", path, "--encoding", "klingon"), 6,
                   "crm: error: unknown encoding 'klingon' (hint: for example utf-8, gb18030, gbk, cp1252, latin-1 "
                   "or utf-16)\n")
    assert_refused(crm("lead", "import", str(tmp_path / "missing.csv")), 3,
                   f"crm: error: no file {tmp_path / 'missing.csv'}\n")
    assert_refused(crm("lead", "import", path, "--owner", "ghost"), 3, f"crm: error: {NO_GHOST}\n")
    unchanged()


def test_empty_files_are_errors(crm, tmp_path, unchanged):  # noqa: F811
    for content in ("", "\n\n  \n"):
        path = write(tmp_path, "empty.csv", content)
        assert_refused(crm("lead", "import", path), 6,
                       f"crm: error: {path} is empty (hint: give a file with a header line and at least one row)\n")
    path = write(tmp_path, "header.csv", "name,email\n")
    assert_refused(crm("lead", "import", path), 6,
                   f"crm: error: {path} has no rows to import (hint: the file has a header but nothing under it)\n")
    assert_refused(crm("lead", "import", "-", "--input-format", "jsonl", stdin=""), 6,
                   "crm: error: stdin is empty (hint: give a file with a header line and at least one row)\n")
    unchanged()


def test_a_file_that_is_not_json(crm, tmp_path, unchanged):  # noqa: F811
    path = write(tmp_path, "x.json", '[{"name": "a"},\n {"name": ')
    assert_refused(crm("lead", "import", path), 6,
                   f"crm: error: {path}, line 2: not valid JSON: Expecting value (hint: a .json file holds one array "
                   "of objects; one object per line is --input-format jsonl)\n")
    path = write(tmp_path, "z.json", '[{"name": "a"}\n')
    assert_refused(crm("lead", "import", path), 6,
                   f"crm: error: {path}, line 2: the array is not closed (hint: a .json file holds one array of "
                   "objects; one object per line is --input-format jsonl)\n")
    path = write(tmp_path, "y.json", '{"name": "a"}')
    assert_refused(crm("lead", "import", path), 6,
                   f"crm: error: {path}, line 1: not a JSON array (hint: a .json file holds one array of objects; one "
                   "object per line is --input-format jsonl)\n")
    unchanged()


def test_the_permission_to_import(crm, session, tmp_path):
    crm("user", "add", "cs", "--role", "customer_service")
    path = write(tmp_path, "p.csv", BASIC)
    result = crm("lead", "import", path, user="cs")
    assert result.code == 4 and "lead.import" in result.err, result
    assert leads(session) == [] and log(session, "lead.import") == []


def test_a_required_custom_field_and_an_unknown_owner_reject_rows(crm, session, tmp_path):
    crm("field", "add", "lead", "size", "--type", "choice", "--choices", "S,M", "--required")
    path = write(tmp_path, "req.csv", "name,size,owner\nA,S,\nB,,\nC,XL,\nD,M,ghost\n")
    rejects = tmp_path / "r.csv"
    report = imported(crm, path, "--on-error", "skip", "--rejects", rejects)
    assert counts(report) == (4, 1, 0, 0, 3)
    assert rejects.read_text(encoding="utf-8").splitlines()[1:] == [
        "3,size is required (add --set size=VALUE),B,,",
        "4,\"size: 'XL' is not one of S, M\",C,XL,",
        f"5,{NO_GHOST},D,M,ghost"]


# --- real files from other systems -------------------------------------------------------------------


def test_salesforce_windows_1252_file_needs_its_encoding(crm, session, unchanged):  # noqa: F811
    path = SALESFORCE / "dataloader" / "accountData.csv"
    assert_refused(crm("lead", "import", path), 6,
                   f"crm: error: {path} is not UTF-8 text: line 72 has the byte 0xba, which UTF-8 does not allow "
                   "there (hint: say the file's encoding with --encoding, e.g. --encoding cp1252)\n")
    unchanged()
    report = imported(crm, path, "--encoding", "cp1252", "--map", "BILLINGCITY=region")
    assert counts(report) == (423, 423, 0, 0, 0)
    assert report["columns"] == {"NAME": "name", "PHONE": "phone", "WEBSITE": "website", "INDUSTRY": "industry",
                                 "BILLINGCITY": "region"}
    assert ("Crédito Inmobiliario Terras",) in values(session, "name")
    assert values(session, "name", "region")[0] == ("Gravity Investments", "FORT COLLINS")
    assert search(crm, "Inmobiliario") == [next(lead.id for lead in leads(session)
                                                 if lead.name == "Crédito Inmobiliario Terras")]


def test_gmail_export_with_crlf_and_multiline_fields(crm, session):
    path = CONTACTS / "gmail-test-data.csv"
    report = imported(crm, path, "--map", "E-mail 1 - Value=email", "--map", "Organization 1 - Name=company",
                      "--map", "Organization 1 - Title=title", "--map", "Address 2 - Formatted=address")
    assert counts(report) == (1, 1, 0, 0, 0)
    assert values(session, "name", "email", "company", "title", "address") == [(
        "test contact", "homeemail@home.com", "company-name", "titledata",
        "work street\r\npo box 1234\r\nneighborhood 1234, los angelas, ca 90210\r\nusa")]


def test_linkedin_export_mapped(crm, session):
    path = CONTACTS / "linkedin-test-data.csv"
    report = imported(crm, path, "--map", "First Name+Last Name=name", "--map", "E-mail Address=email",
                      "--map", "Job Title=title", "--map", "Business City=region")
    assert counts(report) == (2, 2, 0, 0, 0)
    assert values(session, "name", "email", "company", "title", "region") == [
        ("testfirst testlast", "testmeil@hotmail.com", "testcompany", "test title", "business city test"),
        ("testfirst2 testlast2", "testmeil@hotmail.com2", "testcompany2", "test title2", "business city test2")]


def test_outlook_export_mapped_with_a_bad_phone_rejected(crm, session, tmp_path):
    path = CONTACTS / "outlook-web-test-data.csv"
    rejects = tmp_path / "r.csv"
    report = imported(crm, path, "--map", "First Name=name", "--map", "Mobile Phone=mobile", "--on-error", "skip",
                      "--rejects", rejects)
    assert counts(report) == (2, 1, 0, 0, 1)
    assert values(session, "name", "mobile", "phone_key") == [("test name", "12341234", "+8612341234")]
    header, row = rejects.read_text(encoding="utf-8").splitlines()
    assert header.startswith('line,reason,Title,First Name,Middle Name')
    assert row.startswith("3,'1234' is not a phone number,,test name2,")


def test_thunderbird_export_with_a_trailing_empty_column(crm, session, tmp_path):
    path = CONTACTS / "thunderbird-test-data.csv"
    rejects = tmp_path / "r.csv"
    report = imported(crm, path, "--map", "Display Name=name", "--map", "Primary Email=email",
                      "--map", "Work Phone=phone", "--map", "Organization=company", "--on-error", "skip",
                      "--rejects", rejects)
    assert counts(report) == (3, 2, 0, 0, 1)
    assert values(session, "name", "email", "phone", "company") == [
        ("Weather", None, "289-1212", None), ("Bob Dole", "dole49@hotmail.com", "555-123-4567", "org1")]
    assert rejects.read_text(encoding="utf-8").splitlines()[1].startswith("2,a lead needs a name,,,,,justanemail@")


def test_thunderbird_header_shorter_than_its_rows(crm, session, tmp_path, unchanged):  # noqa: F811
    path = CONTACTS / "thunderbird-comm-central-basic_csv_addressbook.csv"
    args = ("--map", "Display Name=name", "--map", "Primary Email=email")
    assert_refused(crm("lead", "import", path, *args), 6,
                   f"crm: error: {path}, line 2: it has 38 fields, the header has 37" + ABORTED)
    unchanged()
    rejects = tmp_path / "r.csv"
    report = imported(crm, path, *args, "--on-error", "skip", "--rejects", rejects)
    assert counts(report) == (2, 0, 0, 0, 2)
    lines = rejects.read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[:5] for line in lines[1:]] == [
        ["2", '"it has 38 fields', ' the header has 37"', "John", "Doe"],
        ["3", '"it has 38 fields', ' the header has 37"', "Jane", "Doe"]]
    assert leads(session) == []


def test_salesforce_report_with_uneven_rows(crm, session, tmp_path):
    path = SALESFORCE / "trailhead-lwc-recipes" / "Accounts-Contacts.csv"  # UTF-8 with a BOM
    report = imported(crm, path, "--map", "Contact: First Name+Contact: Last Name=name",
                      "--map", "Account: Account Name=company", "--map", "Contact: Email=email",
                      "--map", "Contact: Title=title", "--on-error", "skip", "--dedupe-by", "email")
    assert counts(report) == (14, 6, 0, 0, 8)
    assert values(session, "name", "company", "email")[0] == ("Amy Taylor", "Alpha Dynamics", "amy@demo.net")


# --- customers and contacts ------------------------------------------------------------------------


def _customers(session) -> list[tuple]:
    from crmcli.store.models import Customer

    with session() as s:
        return [(c.id, c.name, c.kind, c.tier, c.phone, c.credit_code, c.name_key, c.owner_id)
                for c in s.execute(select(Customer).order_by(Customer.id)).scalars()]


def _contacts(session) -> list[tuple]:
    from crmcli.store.models import Contact

    with session() as s:
        return [(c.id, c.name, c.customer_id, c.email, c.is_primary, c.owner_id, c.birthday and c.birthday.isoformat())
                for c in s.execute(select(Contact).order_by(Contact.id)).scalars()]


def test_customers_are_deduplicated_like_customer_add(crm, session, tmp_path):
    assert crm("customer", "add", "华为技术有限公司", "--phone", "0755-28780808").code == 0
    path = write(tmp_path, "c.csv",
                 "name,kind,tier,phone,credit_code\n"
                 "華為技術,company,A,,\n"                                  # the same name, folded: skipped
                 "\"ACME Co., Ltd.\",company,b,,91350100M000100Y43\n"
                 "Acme,company,,,\n"                                        # same name as the row above
                 "张伟,person,,,\n"
                 "张伟,person,,,\n"                                          # people are not matched by name
                 "Other Name,company,,,91350100M000100Y43\n"               # the same credit code: skipped
                 "Bad Code,company,,,12345\n")
    rejects = tmp_path / "r.csv"
    report = imported_as(crm, "customer", path, "--on-error", "skip", "--rejects", rejects)
    assert counts(report) == (7, 3, 0, 3, 1) and report["dedupe_by"] == ["credit_code", "name", "phone", "email"]
    assert [row[1:7] for row in _customers(session)] == [
        ("华为技术有限公司", "company", None, "0755-28780808", None, "华为技术"),
        ("ACME Co., Ltd.", "company", "B", None, "91350100M000100Y43", "acme"),
        ("张伟", "person", None, None, None, "张伟"), ("张伟", "person", None, None, None, "张伟")]
    assert rejects.read_text(encoding="utf-8").splitlines()[1].startswith(
        "8,\"'12345' is not a valid unified social credit code (18 characters")
    # --dedupe-by none: only the strong key (the credit code) still holds
    report = imported_as(crm, "customer", path, "--dedupe-by", "none", "--on-error", "skip")
    assert counts(report) == (7, 4, 0, 2, 1) and report["dedupe_by"] == ["credit_code"]


def imported_as(crm, noun: str, *args, user: str = ADMIN) -> dict:
    result = crm(noun, "import", *args, "--json", user=user)
    assert result.code == 0, result
    return result.json()


def test_contacts_go_to_their_customer_and_the_first_becomes_primary(crm, session, tmp_path):
    crm("user", "add", "bob")
    assert crm("customer", "add", "Alpha Dynamics", "--owner", "bob").code == 0
    assert crm("customer", "add", "Madison Investments").code == 0
    assert crm("contact", "add", "Existing", "--customer", "2", "--email", "ex@x.example").code == 0
    path = write(tmp_path, "contacts.csv",
                 "name,customer,email,is_primary,birthday\n"
                 "Amy,Alpha Dynamics,amy@x.example,,1985-03-12\n"
                 "Jen,1,jen@x.example,,\n"
                 "Mike,Madison Investments,mike@x.example,yes,\n"
                 "Again,2,EX@x.example,,\n"                          # the same email as Existing: skipped
                 "Lost,Nobody Inc,lost@x.example,,\n"
                 "Orphan,,o@x.example,,\n"
                 "Later,Alpha Dynamics,later@x.example,,2999-01-01\n")
    rejects = tmp_path / "r.csv"
    report = imported_as(crm, "contact", path, "--on-error", "skip", "--rejects", rejects)
    assert counts(report) == (7, 3, 0, 1, 3)
    assert _contacts(session) == [
        (1, "Existing", 2, "ex@x.example", False, 1, None),
        (2, "Amy", 1, "amy@x.example", True, 2, "1985-03-12"),     # owned by the customer's owner
        (3, "Jen", 1, "jen@x.example", False, 2, None),
        (4, "Mike", 2, "mike@x.example", True, 1, None)]           # primary asked for: Existing is not any more
    lines = rejects.read_text(encoding="utf-8").splitlines()[1:]
    assert [line.split(",")[0] for line in lines] == ["6", "7", "8"]
    assert "a contact needs a customer" in lines[1]
    assert "2999-01-01 is not a birthday" in lines[2]


def test_importing_customers_and_contacts_needs_the_permission(crm, tmp_path):
    crm("user", "add", "rep", "--role", "sales_rep")
    path = write(tmp_path, "c.csv", "name\nX\n")
    for noun in ("customer", "contact"):
        result = crm(noun, "import", path, user="rep")
        assert result.code == 4 and f"{noun}.import" in result.err, result
