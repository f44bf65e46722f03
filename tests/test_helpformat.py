"""Chinese help must fit the terminal: no line of any help page wider than COLUMNS."""

import pytest

from crmcli.helpformat import width
from tests.conftest import crm_process


@pytest.mark.parametrize("args", [["--help"], ["user", "--help"], ["user", "add", "--help"], ["lead", "add", "--help"],
                                  ["role", "scope", "--help"], ["db", "--help"]])
def test_chinese_help_fits_80_columns(args):
    # a fresh process: help texts are translated when their module is first imported
    result = crm_process(args, env={"CRM_LANG": "zh_CN", "COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result.stdout)  # it really is Chinese
    too_wide = [line for line in result.stdout.splitlines() if width(line) > 80]
    assert too_wide == []


def test_width_counts_wide_characters_as_two_columns():
    assert width("abc") == 3
    assert width("销售部") == 6
    assert width("\033[1m销售\033[0m x") == 6
