"""Time zones by IANA name, with a clear error for a name that does not exist."""

from __future__ import annotations

from datetime import timezone, tzinfo
from functools import lru_cache

from crmcli.errors import ValidationError
from crmcli.i18n import _


@lru_cache(maxsize=64)
def load_zone(name: str | None) -> tzinfo:
    if not name or name.upper() == "UTC":
        return timezone.utc
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name longer than a file name may be
        from crmcli.limits import shown

        raise ValidationError(
            _("unknown time zone '{name}'").format(name=shown(name)),
            hint=_("use an IANA name such as Asia/Shanghai or Europe/Berlin"),
        ) from None


def local_zone_name() -> str:
    """The machine's zone name from ``TZ`` or ``/etc/localtime``, else UTC."""
    import os

    tz = os.environ.get("TZ")
    if tz and "/" in tz:
        return tz.lstrip(":")
    try:
        target = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in target:
            return target.split("zoneinfo/", 1)[1]
    except OSError:
        pass
    return "UTC"
