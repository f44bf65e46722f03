"""Every bad input of ``crm opp`` (and ``lead convert --opportunity``): the message, the exit code, nothing written."""

from __future__ import annotations

import pytest

from tests.commands._customer_org import NOW, contact_id, customer_id, ok, org  # noqa: F401
from tests.commands._org import snapshot
from tests.commands.test_bad_input import assert_refused


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)


@pytest.fixture
def world(crm, org):  # noqa: F811
    """Acme (admin's) with open opportunity 1, won 2 and lost 3; rep2's customer Theirs; an off-sale product; lead 1."""
    acme = customer_id(crm, "Acme")
    customer_id(crm, "Theirs", user="rep2")
    contact_id(crm, "Li", acme)
    ok(crm("product", "add", "OLD", "Old thing", "--price", "10", "--off-sale"))
    for name in ("Open", "Won", "Lost"):
        ok(crm("opp", "add", "Acme", name, "--amount", "100"))
    ok(crm("opp", "win", "2"))
    ok(crm("opp", "lose", "3", "--reason", "price"))
    ok(crm("lead", "add", "Zhang", "--company", "Initech"))
    return acme


@pytest.mark.parametrize("args, code, err", [
    (("opp", "advance", "2"), 6, "crm: error: opportunity 2 is won: its stage can no longer change "
                                 "(hint: crm opp reopen 2)\n"),
    (("opp", "advance", "3", "--stage", "proposal"), 6, "crm: error: opportunity 3 is lost: its stage can no longer "
                                                        "change (hint: crm opp reopen 3)\n"),
    (("opp", "win", "2"), 6, "crm: error: opportunity 2 is won: its stage can no longer change (hint: crm opp reopen 2)\n"),
    (("opp", "lose", "3", "--reason", "again"), 6, "crm: error: opportunity 3 is lost: its stage can no longer change "
                                                   "(hint: crm opp reopen 3)\n"),
    (("opp", "follow", "2", "--via", "phone", "--note", "hi"), 6,
     "crm: error: opportunity 2 is won: it takes no more follow-ups (hint: crm opp reopen 2)\n"),
    (("opp", "reopen", "1"), 5, "crm: error: opportunity 1 is already open\n"),
    (("opp", "lose", "1", "--reason", " "), 6, "crm: error: say why with --reason\n"),
    (("opp", "advance", "1", "--stage", "new"), 5, "crm: error: opportunity 1 is already in stage new\n"),
    (("opp", "advance", "1", "--stage", "won"), 6, "crm: error: winning is its own step (hint: crm opp win 1)\n"),
    (("opp", "advance", "1", "--stage", "lost"), 6,
     "crm: error: losing is its own step (hint: crm opp lose 1 --reason …)\n"),
    (("opp", "advance", "1", "--stage", "nowhere"), 3,
     "crm: error: no stage named 'nowhere' (hint: crm stage list shows them)\n"),
    (("opp", "add", "Acme", "X", "--amount", "-5"), 6, "crm: error: the amount cannot be negative: -5\n"),
    (("opp", "add", "Acme", "X", "--amount", "ten"), 6, "crm: error: the amount 'ten' is not a number\n"),
    (("opp", "add", "Acme", "X", "--amount", "1.005"), 6,
     "crm: error: the amount 1.005 has more decimals than CNY allows (2)\n"),
    (("opp", "add", "Acme", "X", "--amount", "10.5", "--currency", "JPY"), 6,
     "crm: error: the amount 10.5 has more decimals than JPY allows (0)\n"),
    (("opp", "add", "Acme", "X", "--currency", "RMB1"), 6,
     "crm: error: unknown currency 'RMB1' (hint: crm currency list shows the supported codes)\n"),
    (("opp", "add", "Acme", "X", "--currency", "XYZ"), 6,
     "crm: error: unknown currency 'XYZ' (hint: crm currency list shows the supported codes)\n"),
    (("opp", "add", "Acme", "X", "--currency", "kwd"), 6,
     "crm: error: KWD has 3 decimals; products, opportunities and quotes keep amounts to hundredths "
     "(hint: price it in another currency, e.g. USD)\n"),
    (("opp", "add", "Acme", " "), 6, "crm: error: an opportunity needs a name\n"),
    (("opp", "add", "Acme", "X", "--product", "OLD"), 6, "crm: error: product OLD (Old thing) is off sale\n"),
    (("opp", "add", "Acme", "X", "--product", "NOPE"), 3, "crm: error: no product 'NOPE' (hint: crm product list)\n"),
    (("opp", "add", "Acme", "X", "--product", "OLD:-1"), 6, "crm: error: product OLD (Old thing) is off sale\n"),
    (("opp", "add", "Acme", "X", "--contact", "Wang"), 6, "crm: error: customer Acme has no contact 'Wang'\n"),
    (("opp", "add", "Acme", "X", "--stage", "won"), 6,
     "crm: error: a new opportunity starts in an open stage in use, not won\n"),
    (("opp", "add", "Nobody", "X"), 3, "crm: error: no customer Nobody\n"),
    (("opp", "add", "Acme", "X", "--source", "tv"), 6,
     "crm: error: unknown source 'tv' (hint: one of: web, email, ads, event, content, phone, referral, outreach, other)\n"),
    (("opp", "edit", "1", "--amount", "-1"), 6, "crm: error: the amount cannot be negative: -1\n"),
    (("opp", "list", "--closing", "someday"), 6, "crm: error: unknown period 'someday' (hint: one of: this-month, "
                                                 "next-month, this-quarter, next-quarter, this-year, overdue, YYYY-MM, "
                                                 "YYYY-Qn or SINCE..UNTIL)\n"),
    (("opp", "list", "--min-amount", "-3"), 6, "crm: error: --min-amount cannot be negative: -3\n"),
    (("opp", "list", "--where", "amount>abc"), 6, "crm: error: 'abc' is not a number (hint: in amount>abc)\n"),
    (("opp", "list", "--status", "closed"), 6, "crm: error: unknown status 'closed' (hint: one of: open, won, lost)\n"),
    (("opp", "show", "99"), 3, "crm: error: no opportunity 99\n"),
    (("opp", "transfer", "1", "--to", "ghost"), 3, "crm: error: no user named 'ghost'\n"),
    (("opp", "pipeline", "--owner", "rep", "--dept", "Sales"), 2, "crm: error: give --owner or --dept, not both\n"),
    (("stage", "retire", "new"), 5, "crm: error: 1 open opportunities are in stage new "
                                    "(hint: move them on first: crm opp list --stage new --format ids)\n"),
    (("lead", "convert", "1", "--amount", "5"), 6,
     "crm: error: --amount, --currency and --close go with --opportunity NAME\n"),
])
def test_bad_input(crm, session, world, args, code, err):
    before = snapshot(session)
    assert_refused(crm(*args), code, err)
    assert snapshot(session) == before


def test_a_customer_outside_the_actors_scope(crm, session, world):
    before = snapshot(session)
    assert_refused(crm("opp", "add", "Theirs", "X", user="rep"), 3, "crm: error: no customer Theirs\n")
    assert_refused(crm("opp", "add", "Acme", "X", "--owner", "mk", user="mgr"), 3, "crm: error: no customer Acme\n")
    assert snapshot(session) == before


def test_a_read_only_team_member_cannot_add_opportunities(crm, session, world):
    ok(crm("customer", "team", "add", "Theirs", "rep", "--access", "read", user="rep2"))
    before = snapshot(session)
    assert_refused(crm("opp", "add", "Theirs", "X", user="rep"), 4,
                   "crm: error: rep may see but not change customer Theirs", exact=False)
    assert snapshot(session) == before


def test_giving_an_opportunity_to_someone_outside_the_scope(crm, session, world):
    mine = customer_id(crm, "Mine", user="rep")
    before = snapshot(session)
    assert_refused(crm("opp", "add", mine, "X", "--owner", "west", user="rep"), 6,
                   "crm: error: west is outside your data scope", exact=False)
    assert snapshot(session) == before


def test_without_the_permission(crm, session, world):
    before = snapshot(session)
    assert_refused(crm("opp", "list", user="cs"), 4, "crm: error: cs may not opportunity.view", exact=False)
    assert_refused(crm("opp", "pipeline", "--dept", "Office", user="mgr"), 4,
                   "crm: error: department Office is outside your data scope\n")
    assert_refused(crm("opp", "pipeline", "--owner", "rep2", user="rep"), 4,
                   "crm: error: rep2 is outside your data scope\n")
    assert snapshot(session) == before
