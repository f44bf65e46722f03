"""``crm stage``: the default stages, add/edit/reorder/retire, translation, and bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crmcli.store.models import AuditLog
from crmcli.store.models.pipeline import Stage
from tests.commands._customer_org import ok, org  # noqa: F401  (fixture)
from tests.commands.test_bad_input import assert_refused, unchanged  # noqa: F401  (fixture)


def names(crm, *args) -> list[str]:
    return [r["name"] for r in ok(crm("stage", "list", *args, "--json")).json()]


def stage_rows(session) -> list[tuple]:
    with session() as s:
        return [(x.key, x.name, x.probability, x.position, x.kind, x.retired)
                for x in s.execute(select(Stage).order_by(Stage.id)).scalars()]


def test_a_new_database_has_the_default_stages(crm, session):
    assert stage_rows(session) == [
        ("new", "new", 10, 1, "open", False), ("confirmed", "needs confirmed", 30, 2, "open", False),
        ("proposal", "proposal/quote", 50, 3, "open", False),
        ("negotiation", "negotiation/contract", 80, 4, "open", False),
        ("won", "won", 100, 5, "won", False), ("lost", "lost", 0, 6, "lost", False)]
    result = crm("stage", "list", "--format", "tsv")
    assert result.rows()[0] == ["id", "name", "probability", "kind", "key", "retired"]
    assert result.rows()[1] == ["1", "new", "10", "open", "new", "false"]


def test_default_stage_names_are_translated_and_typed_names_are_not(crm, monkeypatch):
    ok(crm("stage", "add", "技术验证", "--probability", "40", "--position", "3"))
    monkeypatch.setenv("CRM_LANG", "zh_CN")
    shown = names(crm)
    assert shown[:5] == ["新建", "需求确认", "技术验证", "方案/报价", "谈判/合同"]
    assert shown[5:] == ["赢单", "输单"]


def test_add_puts_a_stage_among_the_open_ones(crm, session):
    ok(crm("stage", "add", "Demo done", "--probability", "60"))
    assert names(crm) == ["new", "needs confirmed", "proposal/quote", "negotiation/contract", "Demo done", "won",
                          "lost"]
    ok(crm("stage", "add", "Qualified", "-p", "20", "--position", "2"))
    assert names(crm)[:3] == ["new", "Qualified", "needs confirmed"]
    with session() as s:
        entry = s.execute(select(AuditLog).where(AuditLog.action == "stage.add")).scalars().first()
        assert entry.changes == {"name": [None, "Demo done"], "probability": [None, 60], "position": [None, 5]}


def test_edit_renames_and_reweights(crm, session):
    ok(crm("stage", "edit", "proposal", "--name", "方案报价", "--probability", "55"))
    assert ("proposal", "方案报价", 55, 3, "open", False) in stage_rows(session)
    ok(crm("stage", "edit", "won", "--name", "Closed won"))
    assert names(crm)[-2] == "Closed won"


def test_reorder_moves_an_open_stage(crm):
    ok(crm("stage", "reorder", "negotiation", "--position", "1"))
    assert names(crm)[:4] == ["negotiation/contract", "new", "needs confirmed", "proposal/quote"]


def test_retire_keeps_the_stage_out_of_the_list_until_restored(crm, session):
    ok(crm("stage", "add", "Pilot", "-p", "45"))
    result = crm("stage", "retire", "Pilot")
    assert result.code == 0 and result.err == "Stage Pilot is retired.\n"
    assert "Pilot" not in names(crm)
    assert "Pilot" in names(crm, "--all")
    ok(crm("stage", "retire", "Pilot", "--restore"))
    assert "Pilot" in names(crm)


@pytest.mark.parametrize("args, code, err", [
    (("stage", "add", "X", "--probability", "101"), 6, "crm: error: the probability must be a whole number from 0 to 100\n"),
    (("stage", "add", "X", "--probability", "-5"), 6, "crm: error: the probability must be a whole number from 0 to 100\n"),
    (("stage", "add", "X", "--probability", "half"), 6, "crm: error: the probability must be a whole number from 0 to 100\n"),
    (("stage", "add", " ", "--probability", "5"), 6, "crm: error: a stage needs a name\n"),
    (("stage", "add", "New", "--probability", "5"), 5, "crm: error: there is already a stage named 'New' (id 1)\n"),
    (("stage", "add", "X", "-p", "5", "--position", "9"), 6, "crm: error: --position must be between 1 and 5\n"),
    (("stage", "edit", "won", "--probability", "90"), 6, "crm: error: the probability of the won stage is fixed at 100%\n"),
    (("stage", "edit", "nowhere", "--probability", "90"), 3,
     "crm: error: no stage named 'nowhere' (hint: crm stage list shows them)\n"),
    (("stage", "reorder", "lost", "--position", "1"), 6, "crm: error: the lost stage closes an opportunity and stays last\n"),
    (("stage", "reorder", "new", "--position", "0"), 6, "crm: error: --position must be between 1 and 4\n"),
    (("stage", "retire", "won"), 6, "crm: error: the won stage cannot be retired\n"),
    (("stage", "retire", "new", "--restore"), 5, "crm: error: stage new is already in use\n"),
])
def test_bad_stage_input(crm, unchanged, args, code, err):  # noqa: F811
    assert_refused(crm(*args), code, err)
    unchanged()


def test_only_administrators_configure_stages(crm, org, unchanged):  # noqa: F811
    assert_refused(crm("stage", "add", "X", "-p", "5", user="mgr"), 4,
                   "crm: error: mgr may not stage.admin", exact=False)
    unchanged()
    assert ok(crm("stage", "list", user="rep")).out
