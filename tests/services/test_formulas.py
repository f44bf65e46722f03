"""crmcli/formulas.py: what is escaped, what is not, and that unescape(escape(x)) == x for any text."""

from __future__ import annotations

import itertools

import pytest

from crmcli.formulas import escape, unescape


@pytest.mark.parametrize("text", ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx", "'=x", "''@x", "+86 138"])
def test_formulas_get_an_apostrophe(text):
    assert escape(text) == "'" + text


@pytest.mark.parametrize("text", ["", "plain", "-5", "+8613800138000", "1.5e3", "-.5", "-", "+", "'-5", "it's",
                                  "'quoted'", "a=b", " =x"])
def test_everything_else_is_kept(text):
    assert escape(text) == text


def test_unescape_gives_back_every_value():
    alphabet = ["'", "=", "+", "-", "@", "\t", "5", "a", " ", "."]
    for n in range(5):
        for parts in itertools.product(alphabet, repeat=n):
            text = "".join(parts)
            assert unescape(escape(text)) == text, repr(text)
