"""The zh_CN catalog: complete, faithful to its msgids, and actually used by the CLI.

If ``test_every_msgid_has_a_translation`` fails, a ``_()``/``N_()`` string was added
without a translation: run ``python tools/i18n.py update``, fill in the new
``msgstr`` entries at the end of ``crmcli/locale/zh_CN/LC_MESSAGES/crmcli.po`` and
check with ``python tools/i18n.py check``.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import textwrap
from pathlib import Path

import pytest

from crmcli import i18n
from crmcli.i18n import parse_po
from tests.conftest import ROOT, run_crm

TOOL_PATH = ROOT / "tools" / "i18n.py"
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _load_tool():
    spec = importlib.util.spec_from_file_location("crm_i18n_tool", TOOL_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


@pytest.fixture(scope="module")
def extracted():
    return tool.extract()


@pytest.fixture(scope="module")
def catalog() -> dict[str, str]:
    """The catalog as the program reads it (empty and fuzzy entries left out)."""
    return i18n.load_catalog("zh_CN")


def _where(extracted, msgid: str) -> str:
    return ", ".join(f"{f}:{n}" for f, n in extracted.messages[msgid])


# --- the catalog -----------------------------------------------------------------------


def test_every_msgid_has_a_translation(extracted, catalog):
    assert len(extracted.messages) > 100  # the extractor found the program's strings
    untranslated = [f"{_where(extracted, m)}: {m!r}" for m in extracted.messages if not catalog.get(m)]
    assert not untranslated, (
        "strings without a zh_CN translation (run python tools/i18n.py update, then translate them):\n  "
        + "\n  ".join(untranslated))


def test_translations_keep_the_placeholders(catalog):
    wrong = [f"{m!r}: {sorted(set(PLACEHOLDER.findall(m)))} vs {sorted(set(PLACEHOLDER.findall(t)))}"
             for m, t in catalog.items() if set(PLACEHOLDER.findall(m)) != set(PLACEHOLDER.findall(t))]
    assert not wrong, "\n".join(wrong)


def test_translations_keep_the_layout(catalog):
    """Same leading/trailing whitespace, the same lines and paragraphs, example command lines verbatim."""
    problems = []
    for m, t in catalog.items():
        if (m[:len(m) - len(m.lstrip())], m[len(m.rstrip()):]) != (t[:len(t) - len(t.lstrip())], t[len(t.rstrip()):]):
            problems.append(f"leading/trailing whitespace differs: {m!r}")
        if m.count("\n") != t.count("\n") or m.count("\n\n") != t.count("\n\n"):
            problems.append(f"lines or paragraphs differ: {m!r}")
        for line in m.split("\n"):
            if line.startswith("  ") and "crm " in line and line not in t.split("\n"):
                problems.append(f"example line not kept verbatim: {line!r}")
    assert not problems, "\n".join(problems)


def test_translations_are_chinese(catalog):
    """Nothing was left in English by copying the msgid (commands and code-only strings aside)."""
    copied = [m for m, t in catalog.items() if t == m and CJK.search(m) is None and re.search(r"[a-z]{3,} [a-z]{3,}", m)
              and not m.startswith(("crm ", "pip ", "pg_")) and "{" not in m]
    assert not copied, copied


@pytest.mark.parametrize("po", tool.catalogs(), ids=lambda p: p.name)
def test_catalog_has_a_proper_header(po):
    entries = tool.load(po)
    header = [e for e in entries if e.msgid == ""]
    assert len(header) == 1 and entries[0].msgid == ""
    assert "Content-Type: text/plain; charset=UTF-8\n" in header[0].msgstr
    assert "Language: zh_CN\n" in header[0].msgstr
    assert "" not in parse_po(po.read_text(encoding="utf-8"))


def test_area_catalogs_are_merged(tmp_path, monkeypatch):
    """An area catalog beside crmcli.po is read by the program and counted by the check."""
    directory = tmp_path / "zh_CN" / "LC_MESSAGES"
    directory.mkdir(parents=True)
    (directory / "crmcli.po").write_text(tool.HEADER + '\nmsgid "Lead"\nmsgstr "线索"\n', encoding="utf-8")
    (directory / "pool.po").write_text(tool.HEADER + '\nmsgid "Pool"\nmsgstr "公海"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "_LOCALE_DIR", tmp_path)
    monkeypatch.setattr(tool, "PO_PATH", directory / "crmcli.po")
    assert i18n.load_catalog("zh_CN") == {"Lead": "线索", "Pool": "公海"}
    assert [p.name for p in tool.catalogs()] == ["crmcli.po", "pool.po"]
    assert {e.msgid for e in tool.load()} == {"", "Lead", "Pool"}


def test_tool_reader_agrees_with_the_program(catalog):
    entries = [e for e in tool.load() if e.msgid]  # every catalog has its own header
    assert len({e.msgid for e in entries}) == len(entries), "duplicate msgids in the catalogs"
    assert {e.msgid: e.msgstr for e in entries if e.msgid and e.msgstr and not e.fuzzy} == catalog


def test_check_passes(capsys):
    assert tool.main(["check"]) == 0, capsys.readouterr().out


# --- the .po reader (crmcli.i18n.parse_po) ---------------------------------------------

SAMPLE_PO = textwrap.dedent(r'''
    # a comment
    msgid ""
    msgstr ""
    "Content-Type: text/plain; charset=UTF-8\n"
    "Language: zh_CN\n"

    #: crmcli/x.py:1
    msgid "say \"hi\" to {login}"
    msgstr "向 {login} 说“嗨”：\"hi\""

    msgid "back\\slash\tand tab"
    msgstr "反斜杠\\和\t制表符"

    #: crmcli/x.py:3
    msgid ""
    "Line one,\n"
    "\n"
    "  crm user list\n"
    msgstr ""
    "第一行，\n"
    "\n"
    "  crm user list\n"

    #, fuzzy
    msgid "fuzzy one"
    msgstr "不确定的译文"

    #, python-format, fuzzy
    msgid "fuzzy two"
    msgstr "也不确定"

    msgid "untranslated"
    msgstr ""

    #~ msgid "obsolete"
    #~ msgstr "过时"

    msgid "last"
    msgstr "最后"
    ''').lstrip()


def test_parse_po_escapes():
    cat = parse_po(SAMPLE_PO)
    assert cat['say "hi" to {login}'] == '向 {login} 说“嗨”："hi"'
    assert cat["back\\slash\tand tab"] == "反斜杠\\和\t制表符"


def test_parse_po_multiline_strings():
    assert parse_po(SAMPLE_PO)["Line one,\n\n  crm user list\n"] == "第一行，\n\n  crm user list\n"


def test_parse_po_skips_fuzzy_empty_obsolete_and_header():
    cat = parse_po(SAMPLE_PO)
    assert set(cat) == {'say "hi" to {login}', "back\\slash\tand tab", "Line one,\n\n  crm user list\n", "last"}
    assert cat["last"] == "最后"


def test_tool_reader_keeps_what_the_program_skips():
    entries = {e.msgid: e for e in tool.read_po(SAMPLE_PO)}
    assert entries["fuzzy one"].fuzzy and entries["fuzzy two"].fuzzy and not entries["last"].fuzzy
    assert entries["untranslated"].msgstr == ""
    assert "obsolete" not in entries and "" in entries


@pytest.mark.parametrize("text", [
    "plain",
    'quotes " and \\ backslashes \\n (literal)',
    "trailing newline\n",
    "\n leading newline and tab\t",
    "a long English sentence that goes on and on, " * 5,
    "一段很长的中文，没有任何空格，需要在适当的位置断开，" * 6 + "最后一句。",
    "段落一。\n\n  crm lead list --owner me --status new --next-contact overdue --search 华为 --sort -created\n",
])
def test_written_entries_read_back_exactly(text):
    block = tool.format_entry(text, text, [("crmcli/x.py", 1)])
    assert parse_po(block) == {text: text}
    assert all(len(line) <= 100 for line in block.splitlines())


# --- the tool --------------------------------------------------------------------------


@pytest.fixture
def fake_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    pkg = tmp_path / "crmcli"
    (pkg / "commands").mkdir(parents=True)
    (pkg / "a.py").write_text(textwrap.dedent('''
        from crmcli.i18n import N_, _
        LABELS = {"x": N_("deferred")}
        def f(name, key):
            print(_("Hello "
                    "{name}").format(name=name))
            print(_(LABELS[key]))
            print(_(f"bad {name}"))
            print(_("plus " + "sign"))
    '''), encoding="utf-8")
    (pkg / "commands" / "b.py").write_text('from crmcli.i18n import _\nX = _("deferred")\nY = _(\'it\\\'s\\n\')\n',
                                           encoding="utf-8")
    monkeypatch.setattr(tool, "PACKAGE", pkg)
    monkeypatch.setattr(tool, "ROOT", tmp_path)
    return pkg


def test_extract_finds_literals_and_warns_about_the_rest(fake_package):
    ex = tool.extract()
    assert list(ex.messages) == ["deferred", "Hello {name}", "plus sign", "it's\n"]
    assert ex.messages["deferred"] == [("crmcli/a.py", 3), ("crmcli/commands/b.py", 2)]
    assert ex.messages["Hello {name}"] == [("crmcli/a.py", 5)]
    assert [w.split(": ")[0] for w in ex.warnings] == ["crmcli/a.py:7", "crmcli/a.py:8"]
    assert "LABELS[key]" in ex.warnings[0] and "f'bad {name}'" in ex.warnings[1]


def test_update_appends_and_check_follows(fake_package, tmp_path, capsys):
    po = tmp_path / "zh.po"
    assert tool.main(["--po", str(po), "check"]) == 1
    assert tool.main(["--po", str(po), "update"]) == 0
    first = po.read_text(encoding="utf-8")
    assert first.startswith("# ") and 'msgid ""\nmsgstr ""\n' in first
    assert "Content-Type: text/plain; charset=UTF-8\\n" in first and "Language: zh_CN\\n" in first
    assert '#: crmcli/a.py:3 crmcli/commands/b.py:2\nmsgid "deferred"\nmsgstr ""\n' in first
    assert tool.main(["--po", str(po), "check"]) == 1  # present but untranslated
    capsys.readouterr()

    # translate everything, then a new string appears in the code
    translated = first.replace('msgid "deferred"\nmsgstr ""', 'msgid "deferred"\nmsgstr "延迟"')
    translated = translated.replace('msgid "Hello {name}"\nmsgstr ""', 'msgid "Hello {name}"\nmsgstr "你好 {name}"')
    translated = translated.replace('msgid "plus sign"\nmsgstr ""', 'msgid "plus sign"\nmsgstr "加号"')
    translated = translated.replace('msgid "it\'s\\n"\nmsgstr ""', 'msgid "it\'s\\n"\nmsgstr "是的\\n"')
    translated += '\n#: old.py:1\nmsgid "gone"\nmsgstr "已删除"\n'
    po.write_text(translated, encoding="utf-8")
    assert tool.main(["--po", str(po), "check"]) == 0
    assert "obsolete" in capsys.readouterr().out

    with (fake_package / "a.py").open("a", encoding="utf-8") as f:
        f.write('\nNEW = N_("brand new")\n')
    assert tool.main(["--po", str(po), "check"]) == 1
    assert "missing: crmcli/a.py:" in capsys.readouterr().out
    assert tool.main(["--po", str(po), "update"]) == 0
    after = po.read_text(encoding="utf-8")
    assert after.startswith(translated)  # existing entries untouched
    assert after[len(translated):] == '\n#: crmcli/a.py:11\nmsgid "brand new"\nmsgstr ""\n'
    assert tool.main(["--po", str(po), "update"]) == 0
    assert po.read_text(encoding="utf-8") == after  # nothing new: unchanged


def test_check_catches_placeholder_mismatch(fake_package, tmp_path, capsys):
    po = tmp_path / "zh.po"
    po.write_text(tool.HEADER + "\n" + "".join(
        "\n" + tool.format_entry(m, t) for m, t in
        [("deferred", "延迟"), ("Hello {name}", "你好 {login}"), ("plus sign", "加号"), ("it's\n", "是的\n")]),
        encoding="utf-8")
    assert tool.main(["--po", str(po), "check"]) == 1
    assert "placeholders differ" in capsys.readouterr().out


# --- the CLI in Chinese ----------------------------------------------------------------


@pytest.fixture
def zh(monkeypatch: pytest.MonkeyPatch):
    """Switch the in-process crm to Chinese (the autouse fixture sets CRM_LANG=en).

    Command modules translate their help when first imported; importing them in English
    first keeps this test from leaving Chinese help behind for later tests.
    """
    from crmcli.cli import GROUPS

    for module, _help in GROUPS.values():
        try:
            importlib.import_module(module)
        except ModuleNotFoundError:
            pass
    monkeypatch.setenv("CRM_LANG", "zh_CN")
    yield i18n.load_catalog("zh_CN")
    i18n.set_language("en")


def _squash(text: str) -> str:
    return "".join(text.split())


def test_root_help_lists_commands_in_chinese(zh):
    from crmcli.cli import GROUPS

    result = run_crm(["--help"])
    assert result.code == 0, result
    assert zh["Commands"] in result.out
    for name, (_module, help_text) in GROUPS.items():
        assert _squash(zh[help_text]) in _squash(result.out), name
    assert "Users: add, list" not in result.out


def test_error_in_chinese_with_the_same_exit_code(crm, zh, monkeypatch):
    monkeypatch.setenv("CRM_LANG", "en")
    english = crm("user", "list", user="nobody")
    monkeypatch.setenv("CRM_LANG", "zh_CN")
    chinese = crm("user", "list", user="nobody")
    assert english.code == chinese.code == 4
    assert "unknown user 'nobody'" in english.err
    message = zh["unknown user '{login}'"].format(login="nobody")
    assert chinese.err.startswith(zh["crm: error: {message}"].format(message=message)), chinese
    assert "未知用户" in chinese.err and "unknown" not in chinese.err
    assert chinese.out == ""


def test_user_add_record_labels_in_chinese(crm, zh):
    result = crm("user", "add", "wangfang", "--name", "王芳", "--format", "plain")
    assert result.code == 0, result
    labels = {line.split()[0] for line in result.out.splitlines() if line.strip()}
    for english in ("login", "name", "department", "roles", "role keys", "created"):
        assert zh[english].split()[0] in labels, english
    assert "登录名" in labels and "login" not in labels
    assert zh["Sales rep"] in result.out  # built-in role names are shown translated
    assert "sales_rep" in result.out  # keys stay as they are


def test_machine_output_is_not_translated(crm, zh):
    result = crm("user", "add", "lifang", "--json")
    assert result.code == 0, result
    data = result.json()
    assert data["login"] == "lifang" and data["role_keys"] == ["sales_rep"]


def test_language_returns_to_english_after_a_chinese_run(crm, zh, monkeypatch):
    assert crm("user", "list", user="nobody").err.startswith("crm：")
    monkeypatch.setenv("CRM_LANG", "en")
    assert crm("user", "list", user="nobody").err.startswith("crm: error: unknown user 'nobody'")
