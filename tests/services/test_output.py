"""crmcli.output: one writer for every format (tsv, csv, json, jsonl, ids, plain, table)."""

import csv
import io
import json
from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from crmcli.output import Column, Output

SH = ZoneInfo("Asia/Shanghai")
COLUMNS = [Column("id", "id", "right"), Column("name", "Name"), Column("amount", "Amount", "right"),
           Column("at", "At"), Column("tags", "Tags"), Column("active", "Active"), Column("note", "Note")]
ROWS = [
    {"id": 1, "name": "王芳", "amount": Decimal("1200.50"), "at": datetime(2026, 11, 22, 1, 0, tzinfo=timezone.utc),
     "tags": ["vip", "华东"], "active": True, "note": None},
    {"id": 22, "name": 'Bob "B", Li', "amount": Decimal("0"), "at": None, "tags": [], "active": False,
     "note": "line one\nline\ttwo"},
]


def render(fmt: str, columns=COLUMNS, rows=ROWS, tz=SH) -> str:
    stream = io.StringIO()
    Output(fmt, tz, stream=stream).rows(columns, rows)
    return stream.getvalue()


def test_tsv_has_a_key_header_iso_times_and_no_escaping():
    assert render("tsv").splitlines() == [
        "id\tname\tamount\tat\ttags\tactive\tnote",
        "1\t王芳\t1200.50\t2026-11-22T09:00:00+08:00\tvip,华东\ttrue\t",
        '22\tBob "B", Li\t0\t\t\tfalse\tline one line two',
    ]


def test_tsv_writes_json_values_and_backslashes_as_they_are():
    out = render("tsv", [Column("id", "id"), Column("changes", "c"), Column("path", "p")],
                 [{"id": 1, "changes": {"name": ["a", "b"]}, "path": "C:\\crm\\x"}])
    assert out == 'id\tchanges\tpath\n1\t{"name": ["a", "b"]}\tC:\\crm\\x\n'
    assert json.loads(out.splitlines()[1].split("\t")[1]) == {"name": ["a", "b"]}


def test_csv_quotes_what_needs_quoting_and_reads_back():
    out = render("csv")
    assert out.splitlines()[0] == "id,name,amount,at,tags,active,note"
    assert out.splitlines()[2] == '22,"Bob ""B"", Li",0,,,false,line one line two'
    parsed = list(csv.DictReader(io.StringIO(out)))
    assert parsed[0] == {"id": "1", "name": "王芳", "amount": "1200.50", "at": "2026-11-22T09:00:00+08:00",
                         "tags": "vip,华东", "active": "true", "note": ""}
    assert parsed[1]["name"] == 'Bob "B", Li'


def test_json_is_one_array_with_typed_values_and_unescaped_chinese():
    out = render("json")
    assert "王芳" in out and "\\u" not in out
    assert out.startswith("[\n  {\n")
    assert json.loads(out) == [
        {"id": 1, "name": "王芳", "amount": "1200.50", "at": "2026-11-22T09:00:00+08:00", "tags": ["vip", "华东"],
         "active": True, "note": None},
        {"id": 22, "name": 'Bob "B", Li', "amount": "0", "at": None, "tags": [], "active": False,
         "note": "line one\nline\ttwo"},
    ]


def test_json_carries_every_key_of_the_row_not_only_the_columns():
    out = render("json", [Column("id", "id")], [{"id": 1, "extra": date(2026, 1, 2)}])
    assert json.loads(out) == [{"id": 1, "extra": "2026-01-02"}]


def test_jsonl_is_one_object_per_line():
    lines = render("jsonl").splitlines()
    assert len(lines) == 2
    assert [json.loads(line)["id"] for line in lines] == [1, 22]
    assert json.loads(lines[0])["name"] == "王芳"


def test_ids_prints_only_ids():
    assert render("ids") == "1\n22\n"
    assert render("ids", rows=[{"id": 5}, {"id": None}, {"name": "no id"}]) == "5\n"


def test_empty_lists():
    assert render("tsv", rows=[]) == "id\tname\tamount\tat\ttags\tactive\tnote\n"
    assert render("json", rows=[]) == "[]\n"
    assert render("jsonl", rows=[]) == ""
    assert render("ids", rows=[]) == ""


def test_plain_aligns_columns_counting_chinese_characters_as_two_cells():
    columns = [Column("name", "Name"), Column("dept", "Dept"), Column("n", "N", "right")]
    rows = [{"name": "王芳", "dept": "华东销售部", "n": 7}, {"name": "Bob", "dept": "Sales", "n": 1234},
            {"name": "欧阳娜娜", "dept": None, "n": None}]
    assert render("plain", columns, rows) == (
        "Name      Dept           N\n"
        "王芳      华东销售部     7\n"
        "Bob       Sales       1234\n"
        "欧阳娜娜\n"
    )


def test_plain_shows_times_in_the_zone_and_readable_values():
    out = render("plain", [Column("at", "At"), Column("ok", "OK"), Column("tags", "Tags")],
                 [{"at": datetime(2026, 11, 22, 1, 0, tzinfo=timezone.utc), "ok": True, "tags": ["a", "b"]}])
    assert out.splitlines()[1] == "2026-11-22 09:00  yes  a, b"


def test_table_format_renders_headers_and_cells(capsys):
    out = render("table")
    assert "Name" in out and "王芳" in out and "2026-11-22 09:00" in out
    assert "\x1b[" not in out  # no colour codes when writing to a stream that is not a terminal
    Output("table", SH, stream=io.StringIO()).rows(COLUMNS, [])
    assert capsys.readouterr().err == "(nothing to show)\n"


def test_a_single_record():
    fields = [("id", "id", 3), ("name", "名字", "王芳"), ("at", "Created", datetime(2026, 1, 1, tzinfo=timezone.utc))]

    def one(fmt: str) -> str:
        stream = io.StringIO()
        Output(fmt, SH, stream=stream).record(fields)
        return stream.getvalue()

    assert one("plain") == "id       3\n名字     王芳\nCreated  2026-01-01 08:00\n"
    assert json.loads(one("json")) == {"id": 3, "name": "王芳", "at": "2026-01-01T08:00:00+08:00"}
    assert one("jsonl").count("\n") == 1
    assert one("tsv") == "id\tname\tat\n3\t王芳\t2026-01-01T08:00:00+08:00\n"
    assert one("csv") == "id,name,at\n3,王芳,2026-01-01T08:00:00+08:00\n"
    assert one("ids") == "3\n"


def test_messages_go_to_stderr_unless_quiet(capsys):
    Output("tsv").message("hello")
    Output("tsv", quiet=True).message("hidden")
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "hello\n")


@pytest.mark.parametrize("fmt", ["tsv", "csv", "json", "jsonl", "ids", "plain", "table"])
def test_every_format_works_from_the_command_line(crm, fmt):
    result = crm("user", "list", "--format", fmt)
    assert result.code == 0, result
    assert "admin" in result.out or fmt == "ids"
    assert result.out.strip() != ""


def test_format_and_json_may_follow_the_noun(crm):
    assert crm("user", "list", "--json").json()[0]["login"] == "admin"
    assert crm("--format", "ids", "user", "list").out == "1\n"
    assert crm("user", "--format=ids", "list").out == "1\n"


HOSTILE = ["[bold]x[/bold] [link=http://evil]y", "clear\x1b[2Jscreen", "csi\x9b31m", "title\x1b]0;pwned\x07",
           "[/] [VIP]"]


@pytest.mark.parametrize("fmt", ["table", "plain", "tsv"])
def test_text_formats_show_data_as_text_never_markup_or_escapes(fmt, capsys):
    """Data is never code: markup stays as typed, control characters come out visible (^[), not obeyed."""
    rows = [{"id": i, "name": name} for i, name in enumerate(HOSTILE, 1)]
    out = render(fmt, [Column("id", "id"), Column("name", "Name")], rows)
    assert not any(ch in out for ch in "\x1b\x9b\x07")
    assert "^[[2J" in out and "M-^[31m" in out
    flat = out.replace("\n", "").replace(" ", "")
    assert "[bold]x[/bold][link=http://evil]y" in flat and "[/][VIP]" in flat
    stream = io.StringIO()
    Output(fmt, SH, stream=stream).record([("name", "Name", HOSTILE[1])])
    assert "\x1b" not in stream.getvalue()


def test_json_and_csv_keep_the_data_exactly():
    rows = [{"id": 1, "name": HOSTILE[1]}]
    assert json.loads(render("json", [Column("id", "id"), Column("name", "Name")], rows))[0]["name"] == HOSTILE[1]
    assert HOSTILE[1] in render("csv", [Column("id", "id"), Column("name", "Name")], rows)


def test_messages_show_control_characters(capsys):
    Output("table", SH).message("Added lead \x1b[2J")
    assert capsys.readouterr().err == "Added lead ^[[2J\n"
