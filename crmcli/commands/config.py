"""``crm config``: personal settings in the XDG config dir (TOML)."""

from __future__ import annotations

import typer

from crmcli.commands._common import new_app, rt
from crmcli.i18n import _
from crmcli.services import normalise  # noqa: F401  (registers phone_region; imports no database code)
from crmcli.services import schedule_keys  # noqa: F401,E402  (registers urgency.* and smtp.*; no database code)

app = new_app(_("Your settings (TOML in the XDG config dir; CRM_CONFIG names another file).\n\n"
                "Examples:\n\n  crm config show\n\n  crm config set timezone Asia/Shanghai\n\n"
                "  crm config set language zh_CN\n\n  crm config set format plain\n\n  crm config unset format"))


@app.command("show", help=_("Show every setting, its value and where the file is."))
def show() -> None:
    from crmcli import settings
    from crmcli.output import Column

    values = settings.load()
    r = rt()
    r.message(_("Config file: {path}").format(path=settings.config_path()))
    rows = [{"key": k.name, "value": values.get(k.name), "help": _(k.help)} for k in settings.KEYS.values()]
    rows += [{"key": k, "value": v, "help": ""} for k, v in values.items() if k not in settings.KEYS]
    r.out().rows([Column("key", _("setting")), Column("value", _("value")), Column("help", _("meaning"))], rows)


@app.command("set", help=_("Set one setting (checked before it is written)."))
def set_(key: str = typer.Argument(..., help=_("The setting's name.")),
         value: str = typer.Argument(..., help=_("Its new value."))) -> None:
    from crmcli import settings

    stored = settings.set_value(key, value)
    rt().message(_("{key} = {value}").format(key=key, value=stored))


@app.command("unset", help=_("Remove a setting, so the default applies again."))
def unset(key: str = typer.Argument(..., help=_("The setting's name."))) -> None:
    from crmcli import settings

    settings.unset_value(key)
    rt().message(_("{key} removed").format(key=key))


@app.command("path", help=_("Print the config file's path."))
def path() -> None:
    from crmcli import settings

    typer.echo(str(settings.config_path()))
