"""``show`` in the machine formats keeps custom field values (they are nested under ``custom`` in JSON)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("fmt, sep", [("tsv", "\t"), ("csv", ",")])
def test_show_as_tsv_and_csv_has_the_custom_field_values(crm, fmt, sep):
    assert crm("field", "add", "customer", "industry_code", "--type", "text").code == 0
    assert crm("field", "add", "lead", "budget", "--type", "number").code == 0
    assert crm("customer", "add", "华为技术有限公司", "--set", "industry_code=C39", "-q").code == 0
    assert crm("lead", "add", "张三", "--set", "budget=500000", "-q").code == 0
    for noun, key, value in (("customer", "custom.industry_code", "C39"), ("lead", "custom.budget", "500000")):
        result = crm(noun, "show", "1", "--format", fmt)
        assert result.code == 0, result
        header, row = result.out.splitlines()[:2]
        cells = dict(zip(header.split(sep), row.split(sep)))
        assert cells[key] == value, result
        assert cells["status"] == "new"  # the stored code, not its label
    data = crm("customer", "show", "1", "--json").json()
    assert data["custom"] == {"industry_code": "C39"} and "custom.industry_code" not in data
