"""The tables: the foundation's always, each later area's on first use.

``audit``, ``org`` and ``records`` are imported here, because nearly every command touches
them.  The areas added since (``pool``, ``pipeline``, ``schedule``, ``contracts``) load when
something asks for them — ``from crmcli.store.models.pipeline import Opportunity``, or a name
from this package (``from crmcli.store.models import Opportunity``) — so that a command such
as ``crm user list`` does not pay for building tables it never reads (a third of its start-up).
Anything that needs the whole schema (creating it, migrating it, counting every table) calls
:func:`load_all` first.  An area's tables refer only to the foundation's and to areas its
module imports itself, so every foreign key it declares can be resolved when it loads.
"""

from __future__ import annotations

import importlib
from typing import Any

from crmcli.store.models.audit import AuditLog
from crmcli.store.models.org import Department, Role, RoleDepartment, RolePermission, TeamMember, User, UserRole
from crmcli.store.models.records import Contact, Customer, CustomField, FollowUp, Lead, Tag

AREAS = ("pool", "pipeline", "schedule", "contracts", "io")


def load_all() -> None:
    """Import every area's tables, so that ``SQLModel.metadata`` holds the whole schema."""
    for area in AREAS:
        importlib.import_module(f"{__name__}.{area}")


def __getattr__(name: str) -> Any:
    """``from crmcli.store.models import Opportunity``: look the name up in the areas' modules."""
    if name.startswith("__"):
        raise AttributeError(name)
    for area in AREAS:
        module = importlib.import_module(f"{__name__}.{area}")
        if hasattr(module, name):
            return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AuditLog",
    "Contact",
    "Customer",
    "CustomField",
    "FollowUp",
    "Lead",
    "Tag",
    "Department",
    "Role",
    "RoleDepartment",
    "RolePermission",
    "TeamMember",
    "User",
    "UserRole",
    "load_all",
]
