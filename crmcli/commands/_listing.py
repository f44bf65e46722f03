"""The options every ``list``/``export`` shares, so the filter grammar reads the same for every noun.

Commands declare ``owner: OwnerOpt = None`` etc. and pass them to
:func:`list_options`; the rules live in :mod:`crmcli.services.filters`.
"""

from __future__ import annotations

from typing import Any, List, Optional

import typer
from typing_extensions import Annotated

from crmcli.i18n import _

OwnerOpt = Annotated[Optional[str], typer.Option("--owner", metavar="me|LOGIN|none",
                                                 help=_("Only records of this owner (none: in a pool)."))]
StatusOpt = Annotated[Optional[List[str]], typer.Option("--status", metavar="STATUS", help=_("Only this status (repeatable)."))]
SourceOpt = Annotated[Optional[List[str]], typer.Option("--source", metavar="SOURCE", help=_("Only this source (repeatable)."))]
TagOpt = Annotated[Optional[List[str]], typer.Option("--tag", metavar="TAG", help=_("Only records with this tag (repeatable: all of them)."))]
CreatedOpt = Annotated[Optional[str], typer.Option("--created", metavar="SINCE..UNTIL",
                                                   help=_("Created in this range, e.g. -7d.. or 2026-11-01..eom."))]
NextContactOpt = Annotated[Optional[str], typer.Option("--next-contact", metavar="overdue|today|week",
                                                       help=_("Next contact overdue, today, or within 7 days."))]
SearchOpt = Annotated[Optional[str], typer.Option("--search", "-s", metavar="TEXT",
                                                  help=_("Free text in name, company, phone, email.")) ]
WhereOpt = Annotated[Optional[List[str]], typer.Option("--where", metavar="FIELD=VALUE",
                                                       help=_("Field filter: =, !=, >, <, >=, <=, ~ (contains); custom fields too."))]
SortOpt = Annotated[Optional[str], typer.Option("--sort", metavar="[-]FIELD", help=_("Sort by a field; '-' for descending."))]
LimitOpt = Annotated[int, typer.Option("--limit", "-n", min=1, max=1_000_000, help=_("At most this many rows (the next page: --after)."))]
AfterOpt = Annotated[Optional[str], typer.Option("--after", metavar="CURSOR", help=_("Continue after this page cursor."))]


def list_options(owner: Any = None, status: Any = None, source: Any = None, tag: Any = None, created: Any = None,
                 next_contact: Any = None, search: Any = None, where: Any = None, sort: Any = None,
                 limit: Any = 50, after: Any = None):
    from crmcli.services.filters import ListOptions

    return ListOptions(owner=owner, status=list(status or []), source=list(source or []), tags=list(tag or []),
                       created=created, next_contact=next_contact, search=search, where=list(where or []),
                       sort=sort, limit=limit, after=after)


def announce_next_page(cursor: str | None) -> None:
    """Tell a person (on stderr) how to get the next page; scripts read the cursor from there too."""
    if cursor:
        from crmcli import runtime

        runtime.get().message(_("more: --after {cursor}").format(cursor=cursor))
