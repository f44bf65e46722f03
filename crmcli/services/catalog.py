"""The operation permissions (功能权限) there are, and the roles a new database starts with.

A permission is ``noun.verb``; ``noun.*`` grants every verb on a noun.  Later
capabilities add their nouns here, so ``crm role grant`` can validate names
and ``crm role show`` can list what a role lacks.
"""

from __future__ import annotations

from crmcli.i18n import N_

SCOPES = ("self", "department", "department_and_children", "custom", "all")
SCOPE_LABELS = {
    "self": N_("self: own records only"),
    "department": N_("department: records owned by anyone in the user's department"),
    "department_and_children": N_("department and children: the user's department and every department below it"),
    "custom": N_("custom: records owned by anyone in the listed departments"),
    "all": N_("all: every record"),
}

PERMISSIONS: dict[str, tuple[str, ...]] = {
    "dept": ("view", "create", "edit"),
    "user": ("view", "create", "edit", "disable"),
    "role": ("view", "create", "edit"),
    "audit": ("view",),
    "db": ("admin",),
    "lead": ("view", "create", "edit", "delete", "import", "export", "transfer", "assign", "claim", "convert"),
    "customer": ("view", "create", "edit", "delete", "import", "export", "transfer", "assign", "claim", "lock", "merge"),
    "contact": ("view", "create", "edit", "delete", "import", "export"),
    "followup": ("create", "delete"),
    "field": ("admin",),
    "pool": ("view", "admin"),
    "opportunity": ("view", "create", "edit", "delete", "transfer", "export"),
    "product": ("view", "create", "edit"),
    "stage": ("admin",),  # configure the sales stages (crm stage add/edit/reorder/retire)
    "quote": ("view", "create", "edit", "approve"),
    "contract": ("view", "create", "edit", "delete", "transfer", "approve", "export", "admin"),
    "payment": ("create", "force", "delete"),
    "invoice": ("create",),
    "approval": ("admin",),
    "currency": ("admin",),
    "task": ("view", "create", "edit", "assign"),
    "event": ("view", "create", "edit"),
    "report": ("view",),
}


def all_permissions() -> list[str]:
    return [f"{noun}.{verb}" for noun, verbs in PERMISSIONS.items() for verb in verbs]


def register(noun: str, verbs: tuple[str, ...]) -> None:
    """Add or extend a noun's verbs (used by later capabilities)."""
    known = PERMISSIONS.get(noun, ())
    PERMISSIONS[noun] = known + tuple(v for v in verbs if v not in known)


_SALES_RECORDS = ("lead", "customer", "contact", "followup", "opportunity", "quote", "contract", "task", "event")


def _all_of(*nouns: str) -> list[str]:
    return [f"{noun}.*" for noun in nouns]


# key, English name (translated when shown), scope, permissions, description
DEFAULT_ROLES: list[tuple[str, str, str, list[str], str]] = [
    ("super_admin", N_("Super administrator"), "all", [], N_("Everything, everywhere; cannot be edited.")),
    (
        "sales_manager",
        N_("Sales manager"),
        "department_and_children",
        _all_of(*_SALES_RECORDS, "payment", "invoice", "report")
        + ["pool.view", "pool.admin", "product.view", "user.view", "dept.view", "role.view", "audit.view"],
        N_("Leads a sales team: sees and manages the records of their department and those below it."),
    ),
    (
        "sales_rep",
        N_("Sales rep"),
        "self",
        [
            "lead.view", "lead.create", "lead.edit", "lead.import", "lead.export", "lead.transfer",
            "lead.convert", "lead.claim",
            "customer.view", "customer.create", "customer.edit", "customer.transfer", "customer.claim",
            "contact.view", "contact.create", "contact.edit",
            "followup.create",
            "opportunity.view", "opportunity.create", "opportunity.edit", "opportunity.transfer",
            "quote.view", "quote.create", "quote.edit",
            "contract.view", "contract.create", "contract.edit",
            "payment.create",
            "task.*", "event.*",
            "product.view", "pool.view", "report.view", "user.view", "dept.view", "audit.view",
        ],
        N_("Works their own leads, customers and deals."),
    ),
    (
        "marketing",
        N_("Marketing"),
        "department",
        _all_of("lead")
        + ["customer.view", "contact.view", "followup.create", "task.*", "event.*",
           "product.view", "report.view", "user.view", "dept.view"],
        N_("Runs campaigns and brings in leads."),
    ),
    (
        "customer_service",
        N_("Customer service"),
        "all",
        ["customer.view", "contact.view", "contact.edit", "followup.create", "task.*", "event.*",
         "product.view", "user.view", "dept.view"],
        N_("Answers customers; sees every customer but changes only contacts and follow-ups."),
    ),
    (
        "finance",
        N_("Finance"),
        "all",
        ["customer.view", "contract.view", "contract.approve", "contract.export", "payment.*", "invoice.*",
         "currency.admin", "report.view", "product.view", "user.view", "dept.view", "audit.view"],
        N_("Approves contracts, records payments and invoices."),
    ),
]

SUPER_ADMIN = "super_admin"
