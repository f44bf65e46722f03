"""Importing the real Salesforce sample files of tests/data: the sObject-tree JSON exports (an object that
wraps its records in ``"records": [...]``) and a report CSV whose contacts go to the accounts imported before.

Every test runs on SQLite and, with CRM_TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crmcli.store.models import Contact, Customer, Lead
from tests.commands.test_bad_input import assert_refused, unchanged  # noqa: F401  (fixture)
from tests.conftest import TEST_DATA

RECIPES = TEST_DATA / "salesforce-samples" / "trailhead-lwc-recipes"


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", "2026-11-20T10:00:00+00:00")


def test_salesforce_contacts_json_as_leads_joining_first_and_last_name(crm, session):
    result = crm("lead", "import", RECIPES / "Contacts.json", "--map", "FirstName+LastName=name",
                 "--map", "Picture__c=-", "--dedupe-by", "email", "--json")
    assert result.code == 0, result
    assert {k: result.json()[k] for k in ("read", "inserted", "updated", "skipped", "rejected")} == {
        "read": 6, "inserted": 6, "updated": 0, "skipped": 0, "rejected": 0}
    assert "Ignored columns: attributes, AccountId, Picture__c" in result.err
    with session() as s:
        rows = [(r.name, r.title, r.email, r.phone, r.phone_key)
                for r in s.execute(select(Lead).order_by(Lead.id)).scalars()]
    assert rows[0] == ("Amy Taylor", "VP of Engineering", "amy@demo.net", "4152568563", "+864152568563")
    assert [r[0] for r in rows] == ["Amy Taylor", "Michael Jones", "Jennifer Wu", "Anup Gupta",
                                    "Caroline Kingsley", "Jonathan Bradley"]
    # searchable at once
    found = crm("lead", "list", "--search", "Kingsley", "--format", "ids")
    assert found.out.split() == ["5"]


def test_salesforce_accounts_json_then_the_report_csv_as_their_contacts(crm, session):
    accounts = crm("customer", "import", RECIPES / "Accounts.json", "--map", "NumberOfEmployees=-", "--json")
    assert accounts.code == 0, accounts
    assert (accounts.json()["inserted"], accounts.json()["rejected"]) == (10, 0)
    people = crm("contact", "import", RECIPES / "Accounts-Contacts.csv",  # UTF-8 with a BOM, uneven rows
                 "--map", "Account: Account Name=customer", "--map", "Contact: First Name+Contact: Last Name=name",
                 "--map", "Contact: Title=title", "--map", "Contact: Phone=phone", "--map", "Contact: Email=email",
                 "--on-error", "skip", "--json")
    assert people.code == 0, people
    assert (people.json()["inserted"], people.json()["rejected"]) == (6, 8)
    with session() as s:
        names = dict(s.execute(select(Customer.id, Customer.name)).all())
        assert len(names) == 10 and "Alpha Dynamics" in names.values()
        contacts = [(c.name, names[c.customer_id], c.is_primary)
                    for c in s.execute(select(Contact).order_by(Contact.id)).scalars()]
    assert contacts[:3] == [("Amy Taylor", "Alpha Dynamics", True), ("Jennifer Wu", "Alpha Dynamics", False),
                            ("Caroline Kingsley", "Alpha Dynamics", False)]
    assert {c[1] for c in contacts} == {"Alpha Dynamics", "Madison Investments"}
    # and the 360 view shows them
    shown = crm("customer", "show", "Alpha Dynamics", "--json").json()
    assert [c["name"] for c in shown["contacts"]] == ["Amy Taylor", "Jennifer Wu", "Caroline Kingsley"]


@pytest.mark.parametrize("content, problem", [
    ('{"totalSize": 1, "done": true, "records": [{"name": "A"}], "nextRecordsUrl": null}', None),
    ('{"data": [{"name": "A"}]}', None),
    ('{"foo": [{"name": "A"}]}', "line 1: not a JSON array"),
    ('{"records": [{"name": "A"}]} tail', "line 1: text after the end of the array"),
    ('{"records": [{"name": "A"}], "items": [{"name": "B"}]}', "line 1: text after the end of the array"),
])
def test_a_json_object_that_wraps_the_records(crm, session, tmp_path, content, problem, unchanged):  # noqa: F811
    path = tmp_path / "wrapped.json"
    path.write_text(content, encoding="utf-8")
    result = crm("lead", "import", path)
    if problem is None:
        assert result.code == 0, result
        with session() as s:
            assert list(s.execute(select(Lead.name)).scalars()) == ["A"]
        return
    assert_refused(result, 6, f"crm: error: {path}, {problem} (hint: a .json file holds one array of objects; "
                              "one object per line is --input-format jsonl)\n")
    unchanged()
