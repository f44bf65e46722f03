"""``crm config``: personal settings in the XDG config dir (TOML)."""

from __future__ import annotations

import typer

from crmcli.commands._common import new_app, rt
from crmcli.i18n import _
from crmcli.services import normalise  # noqa: F401  (registers phone_region; imports no database code)
from crmcli.services import schedule_keys  # noqa: F401,E402  (registers urgency.* and smtp.*; no database code)

app = new_app(_("Your settings (TOML in the XDG config dir; CRM_CONFIG names another file).\n\n"
                "Examples:\n\n  crm config show\n\n  crm config set timezone Asia/Shanghai\n\n"
                "  crm config set language zh_CN\n\n  crm config set format plain\n\n  crm config unset format\n\n"
                "  crm config reset --yes"))


@app.command("show", help=_("Show every setting, its value and where the file is."))
def show() -> None:
    from crmcli import settings
    from crmcli.output import Column

    values = settings.load()
    r = rt()
    r.message(_("Config file: {path}").format(path=settings.config_path()))
    rows = [{"key": k.name, "value": values.get(k.name), "help": _(k.help)} for k in settings.KEYS.values()]
    rows += [{"key": k, "value": v, "help": ""} for k, v in values.items() if k not in settings.KEYS]
    _output_despite_bad_settings(r).rows([Column("key", _("setting")), Column("value", _("value")), Column("help", _("meaning"))], rows)


def _output_despite_bad_settings(r):  # noqa: ANN001, ANN202
    """The output writer even when the file's own timezone or format is bad: show must show them."""
    from datetime import timezone

    from crmcli import settings
    from crmcli.errors import CrmError
    from crmcli.output import stdout_is_terminal

    try:
        settings.get("timezone")
    except CrmError:
        r._tz = timezone.utc
    try:
        settings.get("format")
    except CrmError:
        r.fmt = r.fmt or ("table" if stdout_is_terminal() else "tsv")
    return r.out()


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


@app.command("reset", help=_("Move the config file aside (kept as FILE.bak-TIME), so every setting has its default "
                             "again — the way out when the file cannot be read. Needs --yes without a terminal.")
             + "\n\n  crm config reset --yes")
def reset() -> None:
    from crmcli import settings

    r = rt()
    path = settings.config_path()
    if not path.exists() and not path.is_symlink():
        r.message(_("There is no config file at {path}; every setting has its default.").format(path=path))
        return
    if not r.confirm(_("Move {path} aside and start with default settings?").format(path=path)):
        raise typer.Exit(1)
    kept = settings.reset()
    r.message(_("The old config file is kept at {path}.").format(path=kept))
