"""Hostile and sloppy values, driven through every noun's verbs: each is refused with one line.

For every case: the documented exit code (6 validation, 3 not found, 2 usage), exactly one
stderr line starting ``crm: error:`` (its hint, if any, is on the same line), never ``internal
error``, nothing on stdout, and every table unchanged.  The values are the ones a review found
ending as internal errors (issue 11): amounts such as ``1e309``, ``NaN``, ``inf`` or 30 digits,
contract amounts ≥ 9.2e14, quantity × price overflowing, ids beyond 2**63, dates such as
``+100000y``, ``9999-12-31`` and ``0001-01-01``, empty, 100 kB and NUL-holding strings.

The ranges themselves are decided once, in ``crmcli/limits.py``.  Each noun is one test (one
world, all its cases), so a failure lists every case of that noun that went wrong.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.commands._org import snapshot

NOW = "2026-11-20T10:00:00+00:00"

HUGE_IDS = ["99999999999999999999", "9223372036854775808", "123456789012345678901234567890"]
BAD_AMOUNTS = ["1e309", "NaN", "inf", "-inf", "123456789012345678901234567890", "920000000000000", "1e13", "-5",
               "", "ten", "1" * 100_000]
# (an empty date option means "not given", as an absent one: not in this list)
BAD_DATES = ["9999-12-31", "0001-01-01", "+100000y", "1899-12-31", "2201-01-01", "+99999999999999999999d",
             "-3000000mo", "not a date", "x" * 100_000, "2026-11-20\x00", "\x1b[31m2026-11-20"]
BAD_NUMBERS = ["99999999999999999999", "-1", "0", "abc", "1e309"]  # whole-number options (--limit …): usage


def ok(result):
    assert result.code == 0, result
    return result


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)


@pytest.fixture
def world(crm) -> None:
    """One record of each noun, id 1 each: customer Acme, contact Li, lead Zhang, opportunity, product P1,
    quote 1 (a line), contract 1 (active, one instalment), task 1, event 1, a pool, a custom field."""
    for args in (
        ("user", "add", "rep", "--role", "sales_rep"),
        ("customer", "add", "Acme"),
        ("contact", "add", "Li", "--customer", "Acme"),
        ("lead", "add", "Zhang", "--company", "Initech"),
        ("product", "add", "P1", "Widget", "--price", "10"),
        ("opp", "add", "Acme", "Deal", "--amount", "100"),
        ("quote", "add", "1"),
        ("quote", "line", "add", "1", "P1", "--quantity", "2"),
        ("contract", "add", "--customer", "Acme", "--amount", "1000"),
        ("contract", "submit", "1"),
        ("contract", "activate", "1"),
        ("contract", "plan", "add", "1", "--amount", "500", "--due", "2026-12-20"),
        ("task", "add", "Call", "--due", "2026-11-25"),
        ("event", "add", "Meet", "--start", "2026-11-23 10:00"),
        ("field", "add", "lead", "size", "--type", "number"),
    ):
        ok(crm(*args))


def expand(template: tuple[str, ...], values: list[str], code: int) -> list[tuple[tuple[str, ...], int]]:
    """``template`` with each value in place of ``{}``."""
    return [(tuple(v if part == "{}" else part for part in template), code) for v in values]


def ids(*templates: tuple[str, ...]) -> list[tuple[tuple[str, ...], int]]:
    return [case for t in templates for case in expand(t, HUGE_IDS, 3)]


def amounts(*templates: tuple[str, ...]) -> list[tuple[tuple[str, ...], int]]:
    return [case for t in templates for case in expand(t, BAD_AMOUNTS, 6)]


def days(*templates: tuple[str, ...]) -> list[tuple[tuple[str, ...], int]]:
    return [case for t in templates for case in expand(t, BAD_DATES, 6)]


def counts(*templates: tuple[str, ...]) -> list[tuple[tuple[str, ...], int]]:
    return [case for t in templates for case in expand(t, BAD_NUMBERS, 2)]


CASES: dict[str, list[tuple[tuple[str, ...], int]]] = {
    "lead": [
        *ids(("lead", "show", "{}"), ("lead", "edit", "{}", "--name", "X"), ("lead", "qualify", "{}"),
             ("lead", "follow", "{}", "--via", "phone", "--note", "x"), ("lead", "assign", "1", "--to", "{}"),
             ("lead", "convert", "{}"), ("lead", "list", "--owner", "{}")),
        *days(("lead", "follow", "1", "--via", "phone", "--note", "x", "--next", "{}"),
              ("lead", "follow", "1", "--via", "phone", "--note", "x", "--at", "{}")),
        *counts(("lead", "list", "--limit", "{}")),
        *expand(("lead", "add", "X", "--score", "{}"), ["101", "-1", "99999999999999999999"], 6),
        (("lead", "add", "X", "--score", "NaN"), 2),
        *expand(("lead", "add", "X", "--set", "size={}"), ["1e309", "NaN", "inf", "1" * 400], 6),
        (("lead", "add", ""), 6), (("lead", "add", "a\x00b"), 6),
        (("lead", "list", "--where", "id>99999999999999999999"), 6),
    ],
    "customer": [
        *ids(("customer", "show", "{}"), ("customer", "edit", "{}", "--name", "X"), ("customer", "lock", "{}"),
             ("customer", "transfer", "1", "--to", "{}")),
        *days(("customer", "follow", "1", "--via", "phone", "--note", "x", "--next", "{}"),
              ("customer", "list", "--created", "{}")),
        *counts(("customer", "list", "--limit", "{}"), ("customer", "dupes", "--limit", "{}")),
        (("customer", "add", ""), 6), (("customer", "add", "a\x00b"), 6),
    ],
    "contact": [
        *ids(("contact", "show", "{}"), ("contact", "edit", "{}", "--title", "X"), ("contact", "add", "X", "--customer", "{}")),
        *days(("contact", "add", "X", "--customer", "1", "--birthday", "{}"),
              ("contact", "follow", "1", "--via", "phone", "--note", "x", "--next", "{}")),
        (("contact", "add", "", "--customer", "1"), 6), (("contact", "add", "a\x00b", "--customer", "1"), 6),
    ],
    "opp": [
        *ids(("opp", "show", "{}"), ("opp", "win", "{}"), ("opp", "add", "{}", "X")),
        *amounts(("opp", "add", "Acme", "X", "--amount", "{}"), ("opp", "edit", "1", "--amount", "{}")),
        *days(("opp", "add", "Acme", "X", "--close", "{}"), ("opp", "edit", "1", "--close", "{}")),
        *expand(("opp", "add", "Acme", "X", "--product", "P1:{}"), ["1e309", "NaN", "-1", "1e10", "1e12"], 6),
        *expand(("opp", "list", "--min-amount", "{}"), ["1e309", "NaN", "-5", "1e30"], 6),
        (("opp", "list", "--where", "amount>1e30"), 6),
    ],
    "product": [
        *ids(("product", "show", "{}"), ("product", "edit", "{}", "--name", "X")),
        *amounts(("product", "add", "P9", "X", "--price", "{}"), ("product", "edit", "1", "--price", "{}")),
        *expand(("product", "rule", "add", "quantity", "--discount", "{}", "--min-quantity", "10"),
                ["101", "-1", "NaN", "1e309", "inf"], 6),
        *expand(("product", "rule", "add", "quantity", "--discount", "5", "--min-quantity", "{}"),
                ["1e309", "NaN", "-1", "1e30"], 6),
        *expand(("product", "rule", "remove", "{}"), HUGE_IDS + ["0", "-1"], 2),
        (("product", "add", "", "X"), 6),
        *expand(("product", "add", "P9", "X", "--stock", "{}"), ["99999999999999999999", "-1", "1.5", "1e10"], 6),
        (("product", "list", "--search", "x" * 100_000), 6), (("opp", "list", "--search", "x" * 100_000), 6),
    ],
    "quote": [
        *ids(("quote", "show", "{}"), ("quote", "add", "{}"), ("quote", "line", "add", "{}", "P1")),
        *expand(("quote", "line", "add", "1", "P1", "--quantity", "{}"), BAD_AMOUNTS[:-1] + ["1e10"], 6),
        *amounts(("quote", "line", "add", "1", "P1", "--price", "{}")),
        *expand(("quote", "line", "add", "1", "P1", "--quantity", "1000000000", "--price", "{}"),
                ["1000000", "999999999999"], 6),  # quantity × price past 10**12
        *expand(("quote", "line", "add", "1", "P1", "--discount", "{}"), ["101", "-1", "NaN", "1e309"], 6),
        *expand(("quote", "add", "1", "--tax", "{}"), ["101", "-1", "NaN", "1e309"], 6),
        *days(("quote", "add", "1", "--valid-until", "{}")),
        *expand(("quote", "line", "remove", "1", "{}"), HUGE_IDS + ["0"], 2),
    ],
    "contract": [
        *ids(("contract", "show", "{}"), ("contract", "submit", "{}"), ("contract", "add", "--customer", "{}",
                                                                         "--amount", "5")),
        *amounts(("contract", "add", "--customer", "Acme", "--amount", "{}"), ("contract", "pay", "1", "--amount", "{}"),
                 ("contract", "plan", "add", "1", "--amount", "{}", "--due", "2026-12-30")),
        *expand(("contract", "add", "--customer", "Acme", "--amount", "{}"), ["920000000000000", "9.3e14", "1e15"], 6),
        *expand(("contract", "add", "--customer", "Acme", "--item", "{}"),
                ["X=1e9*1e6", "X=1000000000*999999999", "X=NaN*1", "X=1*1e309", "X=1e309*1"], 6),
        *days(("contract", "add", "--customer", "Acme", "--amount", "5", "--signed", "{}"),
              ("contract", "plan", "add", "1", "--amount", "5", "--due", "{}"),
              ("contract", "pay", "1", "--amount", "5", "--date", "{}")),
        *counts(("contract", "pay", "1", "--amount", "5", "--plan", "{}")),
    ],
    "receivable": [
        *counts(("receivable", "list", "--limit", "{}")),
    ],
    "task": [
        *ids(("task", "show", "{}"), ("task", "done", "{}"), ("task", "edit", "{}", "--title", "X"),
             ("task", "snooze", "{}", "--until", "tomorrow")),
        *days(("task", "add", "X", "--due", "{}"), ("task", "edit", "1", "--due", "{}"),
              ("task", "snooze", "1", "--until", "{}")),
        *expand(("task", "add", "X", "--due", "2026-11-25", "--remind", "{}"),
                ["99999999999999999999d", "101y", "+100000y", "9999-12-31"], 6),
        *expand(("task", "add", "X", "--due", "2026-11-25", "--recur", "{}"),
                ["every 99999999999999999999 days", "every 0 days", "every 3m", "sometimes"], 6),
        *expand(("task", "list", "--limit", "{}"), ["99999999999999999999", "-1", "0"], 6),
        (("task", "add", ""), 6), (("task", "add", "x" * 100_000), 6),
    ],
    "event": [
        *ids(("event", "show", "{}"), ("event", "cancel", "{}"), ("event", "edit", "{}", "--title", "X")),
        *days(("event", "add", "X", "--start", "{}"), ("event", "edit", "1", "--start", "{}"),
              ("event", "add", "X", "--start", "2026-11-24 10:00", "--end", "{}")),
        *expand(("event", "add", "X", "--start", "2026-11-24 10:00", "--duration", "{}"),
                ["99999999999999999999d", "101y", "1e309", "", "forever", "-1h"], 6),
        *expand(("event", "add", "X", "--start", "2200-12-31 10:00", "--duration", "{}"), ["1d", "100y"], 6),
        *counts(("event", "list", "--limit", "{}")),
        (("event", "add", "", "--start", "2026-11-24 10:00"), 6),
    ],
    "cal": [
        *days(("cal", "--date", "{}")),
    ],
    "pool": [
        *ids(("pool", "claim", "{}"), ("pool", "show", "{}")),
    ],
    "user": [
        *ids(("user", "show", "#{}"), ("user", "disable", "#{}"), ("user", "edit", "#{}", "--name", "X")),
        *expand(("user", "edit", "rep", "--timezone", "{}"), ["x" * 100_000, "Mars/Olympus", "../../etc/passwd"], 6),
        (("user", "add", ""), 6), (("user", "add", "x" * 100_000), 6),
    ],
    "dept": [
        *ids(("dept", "move", "#{}", "--to", "Office"), ("dept", "rename", "#{}", "X")),
        (("dept", "add", ""), 6), (("dept", "add", "x" * 100_000), 6),
    ],
    "role": [
        *ids(("role", "show", "{}"), ("role", "grant", "{}", "lead.view")),
    ],
    "field": [
        (("field", "add", "lead", "", "--type", "number"), 6), (("field", "add", "lead", "x" * 100_000), 6),
    ],
    "stage": [
        *expand(("stage", "add", "X", "--probability", "{}"), ["101", "-1", "NaN", "1e309", "99999999999999999999"], 6),
        *expand(("stage", "add", "X", "--probability", "40", "--position", "{}"), ["99999999999999999999", "-1", "0"], 6),
    ],
    "currency": [
        *expand(("currency", "convert", "{}", "USD", "CNY"), BAD_AMOUNTS[:3] + ["1e30"], 6),
        *expand(("currency", "rate", "set", "USD", "CNY", "{}"), ["1e309", "NaN", "inf", "0", "1e30"], 6),
        *days(("currency", "rate", "set", "USD", "CNY", "7.1", "--date", "{}")),
    ],
    "audit": [
        *days(("audit", "list", "--since", "{}"), ("audit", "list", "--until", "{}")),
        *counts(("audit", "list", "--limit", "{}"), ("audit", "list", "--before", "{}")),
        *expand(("audit", "list", "--record", "lead:{}"), HUGE_IDS, 6),
    ],
    "why": [
        *ids(("why", "admin", "lead:{}")),
    ],
}


def describe(args: tuple[str, ...]) -> str:
    return " ".join(a if len(a) <= 40 else a[:20] + f"…({len(a)} chars)" for a in args).encode(
        "unicode_escape").decode()


@pytest.mark.parametrize("noun", sorted(CASES))
def test_hostile_values_are_refused_with_one_line_and_write_nothing(crm, session, world, noun):
    before = snapshot(session)
    failures: list[str] = []
    for args, code in CASES[noun]:
        if any("\x00" in a for a in args):
            code = 2  # no shell can pass a NUL: cli.run refuses the argument list itself (a usage error)
        result = crm(*args)
        lines = result.err.splitlines()
        problems = []
        if result.code != code:
            problems.append(f"exit {result.code}, expected {code}")
        if len(lines) != 1 or not lines[0].startswith("crm: error: "):
            problems.append("not one 'crm: error:' line")
        if "internal error" in result.err or "Traceback" in result.err:
            problems.append("internal error")
        if result.out:
            problems.append("stdout not empty")
        if len(result.err) > 2000:
            problems.append(f"a {len(result.err)}-character message")
        if problems:
            failures.append(f"{describe(args)}: {'; '.join(problems)}: {result.err[:300]!r}")
    assert not failures, "\n".join(failures)
    assert snapshot(session) == before


def test_every_noun_with_hostile_values_is_covered():
    """The table names the nouns a user can give a value to (the rest take no values, e.g. today)."""
    from crmcli.cli import GROUPS

    without_values = {"init", "demo", "today", "remind", "db", "config", "batch", "tui", "help", "approval"}
    assert set(GROUPS) - without_values - set(CASES) == set()


def _args_of(*templates: Any) -> None:  # pragma: no cover - documentation of the table's shape
    """Each case is (argv, expected exit code); ``{}`` in a template is replaced by each value."""
