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
    "crmcli.services.demo_records",  # the demo's records step, first: the later areas' steps follow it
    "crmcli.services.pool",  # pools and the demo's pool step
    "crmcli.services.tasks",  # tasks and events (crm today and crm remind read both)
    "crmcli.services.events",
    "crmcli.services.opportunities",  # opportunities, stages (and the pipeline demo step)
    "crmcli.services.quotes",
    "crmcli.services.contracts",  # contracts, receivable plans, payments (and the contracts demo step)
    "crmcli.services.contracts_demo",
)


def load_all() -> None:
    for name in MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real import error inside an existing module
                raise
