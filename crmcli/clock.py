"""The current time, which ``CRM_NOW`` can override everywhere.

Tests, demos and cron back-fills set ``CRM_NOW`` (ISO 8601) to make "now" a
fixed instant.  Nothing in the project calls ``datetime.now()`` directly.
A ``CRM_NOW`` without an offset is read as UTC.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timezone, tzinfo

from crmcli.errors import UsageError
from crmcli.i18n import _


def now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    fixed = os.environ.get("CRM_NOW")
    if not fixed:
        return datetime.now(timezone.utc)
    try:
        value = datetime.fromisoformat(fixed.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            _("CRM_NOW is not an ISO 8601 time: {value}").format(value=fixed),
            hint=_("for example CRM_NOW=2026-11-22T09:00:00+08:00"),
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def today(zone: tzinfo | None = None) -> date:
    """Today's date where a person is: a payment made at 06:00 in Shanghai is dated that day, not
    the UTC day before (``Actor.today()`` gives the acting user's)."""
    return now().astimezone(zone).date() if zone is not None else now().date()
