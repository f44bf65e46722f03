"""Units of the public pool's rules: reading rule values, rule inheritance per tier, and the days-left arithmetic.

The commands and their database effects are in tests/commands/test_pool.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from crmcli.errors import ValidationError
from crmcli.services import pool as pools
from crmcli.services.pool_rules import Clock

UTC = timezone.utc
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("key, text, value", [
    ("followup_days", "30", 30), ("followup_days", "off", 0), ("deal_days", " Never ", 0),
    ("followup_via", "WeChat, visit", "visit,wechat"), ("followup_via", "any", "phone,email,visit,sms,wechat,other"),
    ("exempt_locked", "是", True), ("exempt_deal", "off", False), ("warn_days", "365", 365),
    ("max_owned", "0", 0), ("reclaim_days", "3650", 3650),
])
def test_values(key, text, value):
    assert pools.parse_value(key, text) == value


@pytest.mark.parametrize("key, text", [
    ("followup_days", "-1"), ("followup_days", "3651"), ("warn_days", "366"), ("min_note", "1.5"),
    ("followup_via", ","), ("exempt_locked", "perhaps"), ("colour", "1"),
])
def test_bad_values(key, text):
    with pytest.raises(ValidationError):
        pools.parse_value(key, text)


def test_inherit_only_for_tiers():
    assert pools.parse_value("followup_days", "inherit", tier=True) is None
    with pytest.raises(ValidationError):
        pools.parse_value("followup_days", "inherit")


def test_rule_round_trip():
    rule = pools.Rule.of(pools.DEFAULT_RULE)
    assert rule.followup_via == ("phone", "email", "visit", "sms", "wechat")
    assert rule.values() == pools.DEFAULT_RULE


def _clock(**kw) -> Clock:
    rule = pools.Rule.of({**pools.DEFAULT_RULE, **kw.pop("rule", {})})
    base = dict(pool=None, tier="*", rule=rule, received_at=NOW, last_followup=None, followup_due_at=None,
                deal_from=NOW, deal_due_at=None)
    return Clock(**{**base, **kw})


def test_the_earlier_clock_fires():
    ck = _clock(followup_due_at=NOW + timedelta(days=30), deal_due_at=NOW + timedelta(days=20))
    assert (ck.due_at, ck.reason) == (NOW + timedelta(days=20), "deal")
    ck = _clock(followup_due_at=NOW + timedelta(days=10), deal_due_at=NOW + timedelta(days=20))
    assert ck.reason == "followup"


def test_exemptions_win():
    ck = _clock(followup_due_at=NOW, exemptions=["locked"])
    assert (ck.due_at, ck.reason, ck.days_left(NOW)) == (None, "locked", None)


def test_no_rule():
    assert (_clock().due_at, _clock().reason) == (None, "off")


@pytest.mark.parametrize("offset, days", [
    (timedelta(days=3), 3), (timedelta(days=2, hours=1), 3), (timedelta(hours=1), 1), (timedelta(0), 0),
    (-timedelta(hours=1), -1), (-timedelta(days=2), -2),
])
def test_days_left(offset, days):
    assert _clock(followup_due_at=NOW + offset).days_left(NOW) == days
