"""crm config show/set/unset: a TOML file at CRM_CONFIG, checked before it is written, and honoured."""

import os
import tomllib
from pathlib import Path

import pytest

from tests.conftest import run_crm


@pytest.fixture
def config_file() -> Path:
    return Path(os.environ["CRM_CONFIG"])


def test_show_without_a_file_lists_every_key_unset(config_file):
    result = run_crm(["config", "show"])
    assert result.code == 0, result
    assert result.err == f"Config file: {config_file}\n"
    rows = result.rows()
    assert rows[0] == ["key", "value", "help"]
    area_keys = ("urgency.", "smtp.")  # the schedule area's keys: tests/commands/test_remind.py
    assert [(r[0], r[1]) for r in rows[1:] if not r[0].startswith(area_keys)] == [("format", ""), ("timezone", ""), ("language", ""), ("user", ""),
                                                ("database", ""), ("phone_region", "")]
    assert not config_file.exists()


def test_set_validates_and_normalises_values(config_file):
    for key, value, stored in (("format", "plain", "plain"), ("timezone", "Asia/Shanghai", "Asia/Shanghai"),
                               ("language", "中文", "zh_CN"), ("user", "  bob ", "bob")):
        result = run_crm(["config", "set", key, value])
        assert (result.code, result.err) == (0, f"{key} = {stored}\n")
    assert config_file.read_text(encoding="utf-8") == (
        'format = "plain"\nlanguage = "zh_CN"\ntimezone = "Asia/Shanghai"\nuser = "bob"\n')
    shown = {r["key"]: r["value"] for r in run_crm(["config", "show", "--json"]).json()
             if not r["key"].startswith(("urgency.", "smtp."))}
    assert shown == {"format": "plain", "timezone": "Asia/Shanghai", "language": "zh_CN", "user": "bob",
                     "database": None, "phone_region": None}


def test_values_with_quotes_and_backslashes_survive(config_file):
    value = 'C:\\crm data\\"team".sqlite'
    assert run_crm(["config", "set", "database", value]).code == 0
    assert tomllib.loads(config_file.read_text(encoding="utf-8")) == {"database": value}


def test_bad_values_are_refused_and_the_file_is_untouched(config_file):
    assert run_crm(["config", "set", "format", "plain"]).code == 0
    before = config_file.read_bytes()
    cases = [
        (("format", "xml"), "crm: error: unknown output format 'xml' (hint: one of: "
                            "table, plain, tsv, csv, json, jsonl, ids)\n"),
        (("timezone", "Mars/Base"), "crm: error: unknown time zone 'Mars/Base' (hint: use an IANA name such as "
                                    "Asia/Shanghai or Europe/Berlin)\n"),
        (("language", "klingon"), "crm: error: unknown language 'klingon' (hint: one of: en, zh_CN)\n"),
        (("user", "   "), "crm: error: the value may not be empty\n"),
        (("colour", "red"), "crm: error: unknown setting 'colour' (hint: see crm config show for the settings "
                            "there are)\n"),
    ]
    for args, err in cases:
        result = run_crm(["config", "set", *args])
        assert (result.code, result.err) == (6, err), args
    assert config_file.read_bytes() == before


def test_unset_removes_a_key(config_file):
    assert run_crm(["config", "set", "format", "plain"]).code == 0
    assert run_crm(["config", "set", "timezone", "UTC"]).code == 0
    result = run_crm(["config", "unset", "format"])
    assert (result.code, result.err) == (0, "format removed\n")
    assert config_file.read_text() == 'timezone = "UTC"\n'
    again = run_crm(["config", "unset", "format"])
    assert (again.code, again.err) == (6, "crm: error: 'format' is not set\n")
    assert config_file.read_text() == 'timezone = "UTC"\n'


def test_keys_other_tools_wrote_are_kept_and_shown(config_file):
    config_file.write_text('[smtp]\nhost = "mail.example.com"\nport = 25\n', encoding="utf-8")
    assert run_crm(["config", "set", "format", "csv"]).code == 0
    assert tomllib.loads(config_file.read_text()) == {"format": "csv", "smtp": {"host": "mail.example.com", "port": 25}}
    shown = {r["key"]: r["value"] for r in run_crm(["config", "show", "--json"]).json()}
    assert (shown["smtp.host"], shown["smtp.port"], shown["format"]) == ("mail.example.com", 25, "csv")


def test_a_broken_config_file_is_reported(config_file):
    config_file.write_text("format = = plain\n", encoding="utf-8")
    result = run_crm(["config", "show"])
    assert result.code == 6
    assert result.err.startswith(f"crm: error: the config file {config_file} is not valid TOML: ")
    assert result.err.count("\n") == 1


def test_path_prints_the_file_named_by_crm_config(config_file, tmp_path, monkeypatch):
    assert run_crm(["config", "path"]).out == f"{config_file}\n"
    other = tmp_path / "elsewhere" / "crm.toml"
    monkeypatch.setenv("CRM_CONFIG", str(other))
    assert run_crm(["config", "path"]).out == f"{other}\n"
    assert run_crm(["config", "set", "format", "json"]).code == 0
    assert other.read_text() == 'format = "json"\n'


# --- the settings are honoured -------------------------------------------------------------


def test_configured_user_and_database_are_used(crm, db_url, monkeypatch):
    assert crm("user", "add", "bob").code == 0
    monkeypatch.delenv("CRM_DATABASE_URL")
    assert run_crm(["config", "set", "database", db_url]).code == 0
    assert run_crm(["config", "set", "user", "bob"]).code == 0
    result = run_crm(["user", "show", "me", "--json"])
    assert result.code == 0, result
    assert result.json()["login"] == "bob"
    # --user and CRM_USER still win over the file
    assert run_crm(["--user", "admin", "user", "show", "me", "--json"]).json()["login"] == "admin"
    monkeypatch.setenv("CRM_USER", "admin")
    assert run_crm(["user", "show", "me", "--json"]).json()["login"] == "admin"


def test_configured_timezone_shows_times_in_that_zone(crm, monkeypatch):
    monkeypatch.setenv("CRM_NOW", "2026-11-22T01:00:00Z")
    assert crm("user", "add", "bob").code == 0
    assert crm("config", "set", "timezone", "Asia/Shanghai").code == 0
    shown = crm("user", "show", "bob", "--json").json()
    assert shown["created_at"] == "2026-11-22T09:00:00+08:00"
    # a user's own time zone wins over the config file
    assert crm("user", "edit", "me", "--timezone", "Europe/Berlin").code == 0
    assert crm("user", "show", "bob", "--json").json()["created_at"] == "2026-11-22T02:00:00+01:00"


def test_configured_format_applies_on_a_terminal_only(crm, monkeypatch):
    assert crm("config", "set", "format", "ids").code == 0
    piped = crm("user", "list")
    assert piped.out.startswith("id\tlogin\t")  # piped output stays tab-separated
    monkeypatch.setattr("crmcli.output.stdout_is_terminal", lambda: True)
    assert crm("user", "list").out == "1\n"
    assert crm("user", "list", "--format", "csv").out.startswith("id,login,")  # an explicit --format wins


def test_version_works_without_a_command():
    from crmcli import __version__
    from tests.conftest import run_crm

    result = run_crm(["--version"])
    assert (result.code, result.out) == (0, f"crm {__version__}\n")


# --- files crm cannot use, and the ways out ----------------------------------------------


def _one_line(result, code: int) -> None:
    assert result.code == code, result
    assert result.err.count("\n") == 1 and result.err.startswith("crm: error: "), result
    assert "Traceback" not in result.err


def test_a_config_file_that_is_a_directory_is_one_line(config_file, crm):
    config_file.mkdir()
    _one_line(crm("user", "list"), 6)
    result = run_crm(["config", "show"])
    _one_line(result, 6)
    assert "is a directory" in result.err
    _one_line(run_crm(["config", "set", "format", "plain"]), 6)


def test_an_unreadable_config_file_is_a_permission_error(config_file, monkeypatch):
    config_file.write_text('format = "plain"\n', encoding="utf-8")
    real = Path.read_text

    def refuse(self, *args, **kwargs):
        if self == config_file:
            raise PermissionError(13, "Permission denied")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", refuse)  # root reads any file; the test refuses it instead
    result = run_crm(["config", "show"])
    _one_line(result, 4)
    assert "permission denied" in result.err


@pytest.mark.parametrize("content, key", [
    ("format = 3\n", "format"),
    ('format = ["table"]\n', "format"),
    ('format = "bogus"\n', "format"),
    ("timezone = true\n", "timezone"),
    ('timezone = "Mars/Olympus"\n', "timezone"),
    ("[smtp]\nport = 99999\n", "smtp.port"),
    ('[urgency]\ndue = "high"\n', "urgency.due"),
])
def test_a_bad_value_in_the_file_names_the_key_and_the_file(config_file, content, key):
    from crmcli import settings
    from crmcli.errors import ValidationError
    from crmcli.services import schedule_keys  # noqa: F401  (registers smtp.* and urgency.*)

    config_file.write_text(content, encoding="utf-8")
    with pytest.raises(ValidationError) as raised:
        settings.get(key)
    assert raised.value.message.startswith(f"the config file {config_file}: {key} = ")
    assert "\n" not in raised.value.message
    assert raised.value.hint == f"crm config set {key} VALUE, or crm config unset {key}"


def test_a_bad_timezone_in_the_file_is_one_line_for_any_command(config_file, crm):
    config_file.write_text("timezone = 3\n", encoding="utf-8")
    result = crm("user", "list")
    _one_line(result, 6)
    assert f"the config file {config_file}: timezone = 3: " in result.err


def test_set_and_unset_repair_a_file_with_a_bad_value(config_file, crm):
    config_file.write_text('format = 3\nuser = "admin"\ntimezone = true\n', encoding="utf-8")
    assert run_crm(["config", "show"]).code == 0  # shows what is there, bad values included
    assert run_crm(["config", "set", "format", "plain"]).code == 0
    assert run_crm(["config", "unset", "timezone"]).code == 0
    assert tomllib.loads(config_file.read_text()) == {"format": "plain", "user": "admin"}
    assert crm("user", "list").code == 0


def test_a_file_that_is_not_toml_points_to_the_way_out(config_file):
    config_file.write_text("format = = plain\n", encoding="utf-8")
    result = run_crm(["config", "set", "format", "plain"])
    _one_line(result, 6)
    assert "crm config reset --yes" in result.err
    assert run_crm(["config", "path"]).out == f"{config_file}\n"
    reset = run_crm(["config", "reset"])
    assert reset.code == 1 and "--yes" in reset.err  # asks first; without a terminal it needs --yes
    reset = run_crm(["config", "reset", "--yes"])
    assert reset.code == 0, reset
    kept = list(config_file.parent.glob(config_file.name + ".bak-*"))
    assert len(kept) == 1 and kept[0].read_text() == "format = = plain\n"
    assert not config_file.exists()
    assert run_crm(["config", "set", "format", "plain"]).code == 0


def test_reset_without_a_file_changes_nothing(config_file):
    result = run_crm(["config", "reset", "--yes"])
    assert result.code == 0 and "no config file" in result.err
