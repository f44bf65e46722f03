"""The config keys of tasks, schedule and reminders (imported by ``crm config``; no database code).

``urgency.*`` are the coefficients of the task urgency score (see :mod:`crmcli.services.urgency`);
``smtp.*`` tell ``crm remind`` to deliver reminders by email.
"""

from __future__ import annotations

from crmcli import settings
from crmcli.errors import ValidationError
from crmcli.i18n import N_, _

# key -> (default, help); the defaults are Taskwarrior's where it has one
URGENCY_DEFAULTS: dict[str, tuple[float, str]] = {
    "urgency.due": (12.0, N_("urgency coefficient of the due date (Taskwarrior: 12.0)")),
    "urgency.overdue": (3.0, N_("urgency added to a task past its due time")),
    "urgency.priority.high": (6.0, N_("urgency of priority high (Taskwarrior: 6.0)")),
    "urgency.priority.medium": (3.9, N_("urgency of priority medium (Taskwarrior: 3.9)")),
    "urgency.priority.low": (1.8, N_("urgency of priority low (Taskwarrior: 1.8)")),
    "urgency.age": (2.0, N_("urgency coefficient of age, reached at urgency.age_days days (Taskwarrior: 2.0)")),
    "urgency.age_days": (365.0, N_("days after which a task's age adds its full coefficient")),
    "urgency.amount": (2.0, N_("urgency coefficient of the related record's amount, full at urgency.amount_max")),
    "urgency.amount_max": (1000000.0, N_("amount at which a related record adds the full amount coefficient")),
    "urgency.participants": (1.0, N_("urgency added when a task has participants besides its assignee")),
}

SMTP_TLS = ("none", "starttls", "ssl")


def _check_number(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValidationError(_("'{value}' is not a number").format(value=value)) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValidationError(_("'{value}' is not a number").format(value=value))
    return number


def _check_port(value: str) -> int:
    if not value.strip().isdigit() or not 0 < int(value) < 65536:
        raise ValidationError(_("'{value}' is not a port number (1-65535)").format(value=value))
    return int(value)


def _check_tls(value: str) -> str:
    if value not in SMTP_TLS:
        raise ValidationError(_("unknown TLS mode '{value}'").format(value=value),
                              hint=_("one of: {choices}").format(choices=", ".join(SMTP_TLS)))
    return value


def _check_text(value: str) -> str:
    if not value.strip():
        raise ValidationError(_("the value may not be empty"))
    return value.strip()


for _name, (_default, _help) in URGENCY_DEFAULTS.items():
    settings.register_key(_name, _help, _check_number)

settings.register_key("smtp.host", N_("SMTP server for crm remind's emails (unset: reminders go to stdout)"), _check_text)
settings.register_key("smtp.port", N_("SMTP port (default 25; 465 with smtp.tls ssl, 587 with starttls)"), _check_port)
settings.register_key("smtp.user", N_("SMTP login, when the server asks for one"), _check_text)
settings.register_key("smtp.password", N_("SMTP password (or the environment variable CRM_SMTP_PASSWORD)"), _check_text)
settings.register_key("smtp.from", N_("the From address of reminder emails"), _check_text)
settings.register_key("smtp.tls", N_("none, starttls or ssl (default none)"), _check_tls)


def coefficient(name: str) -> float:
    """An urgency coefficient: the config's value, else the default."""
    value = settings.get(name)
    return float(value) if value is not None else URGENCY_DEFAULTS[name][0]
