"""Import every record service once, so record kinds and hand-over functions are registered.

Anything that asks "which record types are there?" (``crm why``, disabling a
user) calls :func:`load_all` first instead of relying on import order.
"""

from __future__ import annotations

import importlib

MODULES = (
    "crmcli.services.departments",
    "crmcli.services.users",
    "crmcli.services.roles",
    "crmcli.services.leads",
    "crmcli.services.customers",
    "crmcli.services.contacts",
)


def load_all() -> None:
    for name in MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real import error inside an existing module
                raise
