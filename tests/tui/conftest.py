"""A seeded database, a frozen clock and a ready ``CrmApp`` for the TUI tests.

Every TUI test runs on the same records, created at the same ``CRM_NOW`` by the
CLI itself, so ids, times and snapshots are stable.  Times show in Asia/Shanghai
(the administrator's zone), the clock stands at 2026-11-20 09:30 there.
"""

from __future__ import annotations

from typing import Any

import pytest

NOW = "2026-11-20T09:30:00+08:00"

SEED: list[tuple[str, ...]] = [
    ("user", "edit", "admin", "--timezone", "Asia/Shanghai"),
    ("user", "add", "wangfang", "--name", "王芳芳", "--role", "sales_rep"),
    # 1: followed up, next contact later today
    ("lead", "add", "张伟", "--company", "华为技术有限公司", "--title", "采购经理", "--mobile", "13800138000",
     "--source", "event", "--region", "深圳", "--next", "2026-11-19 10:00"),
    # 2: next contact in three days
    ("lead", "add", "Alice Brown", "--company", "Contoso Ltd", "--email", "alice@contoso.com", "--source", "web",
     "--next", "2026-11-23 10:00"),
    # 3: overdue since yesterday
    ("lead", "add", "李娜", "--company", "阿里巴巴网络技术有限公司", "--mobile", "13900139000", "--source", "referral",
     "--next", "2026-11-19 16:00"),
    # 4: no next contact; brackets must not be read as markup
    ("lead", "add", "Bob [admin] Smith", "--company", "Fabrikam", "--source", "ads"),
    # 5: due later today
    ("lead", "add", "王芳", "--company", "小米科技", "--source", "phone", "--next", "2026-11-20 15:00"),
    # 6: invalid (closed)
    ("lead", "add", "陈静", "--company", "无效公司", "--source", "other"),
    ("lead", "invalidate", "6", "--reason", "空号"),
    # 7: someone else's, 8: in the lead pool
    ("lead", "add", "赵强", "--company", "腾讯科技", "--owner", "wangfang"),
    ("lead", "add", "Pool Lead", "--company", "Northwind", "--owner", "none"),
    ("lead", "follow", "1", "--via", "phone", "--note", "约了下周演示", "--next", "2026-11-20 11:00"),
    # customers 1 and 2 are mine (1 overdue), 3 is wangfang's
    ("customer", "add", "深圳华强电子有限公司", "--tier", "A", "--phone", "0755-83030000", "--next", "2026-11-19 09:00"),
    ("customer", "add", "Contoso Ltd", "--tier", "B", "--email", "info@contoso.com"),
    ("customer", "add", "腾讯科技（深圳）有限公司", "--owner", "wangfang"),
    # customer 4 is in the public pool (wangfang returned it); liqiang is another sales rep
    ("customer", "add", "Northwind Traders", "--tier", "C", "--owner", "wangfang"),
    ("--user", "wangfang", "pool", "return", "4", "--reason", "不再跟进"),
    ("user", "add", "liqiang", "--name", "李强", "--role", "sales_rep"),
    # opportunities: 1 and 3 new (mine), 2 needs confirmed (closing date passed), 4 wangfang's
    ("opp", "add", "1", "ERP 一期", "--amount", "350000", "--close", "2026-12-15"),
    ("opp", "add", "2", "CRM licences", "--amount", "120000", "--currency", "USD", "--close", "2026-11-10"),
    ("opp", "advance", "2"),
    ("opp", "add", "1", "运维服务", "--amount", "80000", "--close", "2027-01-31", "--stage", "proposal"),
    ("opp", "add", "3", "腾讯会议室项目", "--amount", "50000", "--owner", "wangfang"),
    # tasks: 2 overdue, 3 due today (lead 1's follow-up made task 1), 4 next week
    ("task", "add", "准备报价单", "--due", "2026-11-19 18:00", "--on", "customer:1"),
    ("task", "add", "给深圳华强回电话", "--due", "2026-11-20 14:00", "--on", "customer:1"),
    ("task", "add", "Plan next week", "--due", "2026-11-27"),
]


@pytest.fixture
def seeded(crm, monkeypatch: pytest.MonkeyPatch):
    """The test database with the records above, the clock frozen at NOW."""
    monkeypatch.setenv("CRM_NOW", NOW)
    for args in SEED:
        result = crm(*args)
        assert result.code == 0, (args, result)
    return crm


@pytest.fixture
def make_app(seeded):
    """``make_app(readonly=False, start="today", user="admin", lang="en")``: a CrmApp on the seeded data."""
    from crmcli import i18n

    def make(readonly: bool = False, start: str = "today", user: str = "admin", lang: str = "en") -> Any:
        from crmcli.runtime import Runtime
        from crmcli.tui.app import CrmApp
        from crmcli.tui.data import Data

        i18n.set_language(lang)
        runtime = Runtime(user=user, command_line="crm tui", language_source="env")
        data = Data(runtime, readonly=readonly)
        data.open()
        app = CrmApp(data, start=start)
        keep_toasts(app)
        return app

    yield make
    i18n.set_language("en")


def keep_toasts(app: Any) -> None:
    """Remember every notification the app shows, as shown (after the app made it plain text):
    on a loaded machine a toast can time out before a test looks at it."""
    seen: list[Any] = []
    store = app._notifications
    add = store.add

    def keep(note: Any) -> Any:
        seen.append(note)
        return add(note)

    store.add = keep
    app.seen_notes = seen


def shown_notes(app: Any) -> list[Any]:
    """Every notification shown so far, expired ones included (see :func:`keep_toasts`)."""
    notes = getattr(app, "seen_notes", None)
    return list(notes) if notes is not None else list(app._notifications)


def toast_messages(app: Any) -> list[str]:
    return [str(note.message) for note in shown_notes(app)]


async def settle(pilot: Any, rounds: int = 3) -> None:
    """Let every database worker finish and its result reach the screen."""
    for _ in range(rounds):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def pilot_test(test: Any) -> Any:
    """Run an ``async def`` test (Textual's Pilot is async) without an asyncio pytest plugin."""
    import asyncio
    import functools

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> Any:
        return asyncio.run(test(*args, **kwargs))

    return run
