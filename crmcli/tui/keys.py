"""Key bindings: stable ids (so keys can be remapped), translated descriptions, read-only marks.

Bindings are declared at class level with ``N_()`` descriptions and translated per
instance by :func:`localise`, so the footer speaks the session's language even
when the module was imported before the language was chosen.  Actions that
write are listed in a screen's ``WRITES``; in a read-only session their keys
leave the footer (the view bar says "read-only"), ``?`` lists them marked "(read-only)",
and pressing one explains instead of acting.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterable

from crmcli.i18n import N_, _

READ_ONLY_MARK = N_("{action} (read-only)")


def localise(node: Any, writes: Iterable[str] = (), readonly: bool = False) -> None:
    """Translate ``node``'s own binding descriptions; mark write actions in a read-only session."""
    writes = set(writes)
    table = node._bindings.key_to_bindings  # this instance's copy (Textual copies the class map per node)
    localised: dict[str, list[Any]] = {}
    for key, bindings in table.items():
        localised[key] = []
        for binding in bindings:
            description = _(binding.description) if binding.description else ""
            show = binding.show
            if readonly and binding.action in writes and description:
                description = _(READ_ONLY_MARK).format(action=description)
                show = False  # off the footer (so ? and q keep their place in 80 columns); ? lists it
            tooltip = _(binding.tooltip) if binding.tooltip else ""
            localised[key].append(replace(binding, description=description, tooltip=tooltip, show=show))
    node._bindings.key_to_bindings = localised
