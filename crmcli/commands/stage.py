"""``crm stage``: the sales stages (商机阶段) opportunities move through."""

from __future__ import annotations

import typer

from crmcli.commands._common import new_app, rt
from crmcli.i18n import _

app = new_app(_("Sales stages (商机阶段): ordered, each with a win probability; won and lost close an "
                "opportunity.\n\n"
                "Examples:\n\n  crm stage list\n\n  crm stage add 技术验证 --probability 40 --position 3\n\n"
                "  crm stage edit proposal --probability 60\n\n  crm stage reorder 技术验证 --position 2\n\n"
                "  crm stage retire 技术验证"))


def _rows(found) -> list[dict]:
    from crmcli.services import stages

    return [{"id": s.id, "key": s.key, "name": stages.display(s), "probability": s.probability, "kind": s.kind,
             "position": s.position if s.kind == "open" else None, "retired": s.retired} for s in found]


def _render(found) -> None:
    from crmcli.output import Column
    from crmcli.services import stages

    rt().out().rows([Column("id", "id", "right"), Column("name", _("stage")),
                     Column("probability", _("probability %"), "right"),
                     Column("kind", _("type"), labels=stages.KIND_LABELS), Column("key", _("key")),
                     Column("retired", _("retired"))], _rows(found))


@app.command("list", help=_("List the stages in order (--all: retired ones too).\n\nExample: crm stage list --all"))
def list_(all_: bool = typer.Option(False, "--all", help=_("Include retired stages."))) -> None:
    from crmcli.services import stages
    from crmcli.services.access import require

    with rt().transaction(write=False) as (s, me):
        require(me, "opportunity.view")
        _render(stages.ordered(s, include_retired=all_))


@app.command("add", help=_("Add an open stage (administrators); it goes last among the open stages unless "
                           "--position.\n\nExample: crm stage add 技术验证 --probability 40 --position 3"))
def add(name: str = typer.Argument(..., help=_("The stage's name, in any language.")),
        probability: str = typer.Option(..., "--probability", "-p", metavar="0-100",
                                        help=_("Win probability in percent.")),
        position: int = typer.Option(None, "--position", metavar="N", help=_("Place among the open stages (1 = first)."))
        ) -> None:
    from crmcli.services import stages

    with rt().transaction() as (s, me):
        stage = stages.add(s, me, name, probability, position=position)
        _render([stage])


@app.command("edit", help=_("Rename a stage or change its probability.\n\n"
                            "Example: crm stage edit proposal --name 方案报价 --probability 60"))
def edit(stage: str = typer.Argument(..., help=_("Stage id, key or name.")),
         name: str = typer.Option(None, "--name"),
         probability: str = typer.Option(None, "--probability", "-p", metavar="0-100")) -> None:
    from crmcli.services import stages

    with rt().transaction() as (s, me):
        _render([stages.edit(s, me, stage, name=name, probability=probability)])


@app.command("reorder", help=_("Move an open stage to another place among the open stages.\n\n"
                               "Example: crm stage reorder 技术验证 --position 2"))
def reorder(stage: str = typer.Argument(..., help=_("Stage id, key or name.")),
            position: int = typer.Option(..., "--position", metavar="N", help=_("1 = first."))) -> None:
    from crmcli.services import stages

    with rt().transaction() as (s, me):
        stages.reorder(s, me, stage, position)
        _render(stages.ordered(s))


@app.command("retire", help=_("Retire a stage: no new opportunities go into it; its history stays "
                              "(--restore brings it back).\n\nExample: crm stage retire 技术验证"))
def retire(stage: str = typer.Argument(..., help=_("Stage id, key or name.")),
           restore: bool = typer.Option(False, "--restore", help=_("Put a retired stage back in use."))) -> None:
    from crmcli.services import stages

    with rt().transaction() as (s, me):
        found = stages.retire(s, me, stage, restore=restore)
        name = stages.display(found)
    rt().message((_("Stage {stage} is in use again.") if restore else _("Stage {stage} is retired.")).format(stage=name))
