"""The operation log records the real time of every change (``recorded_at``) beside its business
time (``at``, which ``CRM_NOW`` sets): a back-dated change shows as one, on every writing path —
one row (:func:`audit.record`), bulk rows (``record_many``: recycle, hand-over, merge) and the
import's rows (``record_each``)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from crmcli.store.models import AuditLog, User

BUSINESS = "2020-03-04T05:06:07+00:00"  # far from the real clock


@pytest.fixture(autouse=True)
def back_dated(monkeypatch):
    monkeypatch.setenv("CRM_NOW", BUSINESS)


def ok(result):
    assert result.code == 0, result
    return result


def real_now() -> datetime:
    return datetime.now(timezone.utc)


def rows(session, **where) -> list[AuditLog]:
    with session() as s:
        query = select(AuditLog)
        for key, value in where.items():
            query = query.where(getattr(AuditLog, key) == value)
        found = list(s.execute(query.order_by(AuditLog.id)).scalars())
        s.expunge_all()
        return found


def assert_real(entries: list[AuditLog], since: datetime, until: datetime) -> None:
    assert entries
    for entry in entries:
        assert entry.at == datetime.fromisoformat(BUSINESS)
        assert since <= entry.recorded_at <= until, (entry.action, entry.recorded_at)


def test_a_change_under_crm_now_records_the_real_time_beside_it(crm, session):
    since = real_now()
    ok(crm("user", "add", "bob", "--name", "Bob"))
    ok(crm("customer", "add", "Acme"))
    assert_real(rows(session, action="user.add") + rows(session, action="customer.add"), since, real_now())


def test_the_import_and_bulk_paths_record_the_real_time(crm, session, tmp_path):
    from crmcli.services import audit
    from crmcli.services.access import actor_for

    path = tmp_path / "leads.csv"
    path.write_text("Name,Company\nLi Na,Acme\nWang Fang,Initech\n", encoding="utf-8")
    since = real_now()
    ok(crm("lead", "import", str(path)))
    with session() as s:
        actor = actor_for(s, s.execute(select(User).where(User.login == "admin")).scalar_one())
        audit.record_many(s, [{"actor_id": actor.id, "actor_login": actor.login, "action": "test.bulk",
                               "record_type": "lead", "record_id": 1, "changes": {"x": [1, 2]}},
                              {"actor_id": actor.id, "actor_login": actor.login, "action": "test.bulk",
                               "record_type": "lead", "record_id": 2,
                               "at": datetime(2020, 3, 4, 5, 6, 7, tzinfo=timezone.utc)}])
        audit.record_each(s, actor, "test.each", "lead", [(1, "Li Na", None), (2, "Wang Fang", "why")])
        s.commit()
    until = real_now()
    assert_real(rows(session, action="lead.import"), since, until)
    assert_real(rows(session, action="test.bulk"), since, until)
    assert_real(rows(session, action="test.each"), since, until)


def test_audit_list_shows_the_real_time(crm, session):
    ok(crm("customer", "add", "Acme"))
    [entry] = rows(session, action="customer.add")
    data = ok(crm("audit", "list", "--action", "customer.add", "--json")).json()
    assert data[0]["at"] == "2020-03-04T05:06:07+00:00"
    assert datetime.fromisoformat(data[0]["recorded_at"]) == entry.recorded_at.replace(microsecond=0)
    tsv = ok(crm("audit", "list", "--action", "customer.add", "--format", "tsv")).rows()
    assert tsv[0][-1] == "recorded_at"
    table = ok(crm("audit", "list", "--action", "customer.add", "--format", "plain")).out
    assert "recorded" in table.splitlines()[0]
    assert entry.recorded_at.strftime("%Y-%m-%d") in table


def test_the_table_leaves_the_real_time_out_when_it_is_the_business_time(crm, monkeypatch):
    monkeypatch.delenv("CRM_NOW")
    ok(crm("customer", "add", "Acme"))
    table = ok(crm("audit", "list", "--action", "customer.add", "--format", "plain")).out
    assert "recorded" not in table.splitlines()[0]
    data = ok(crm("audit", "list", "--action", "customer.add", "--json")).json()
    assert data[0]["recorded_at"]  # always in JSON
