"""All tables, imported together so that SQLModel's metadata is complete."""

from crmcli.store.models.audit import AuditLog
from crmcli.store.models.org import Department, Role, RoleDepartment, RolePermission, TeamMember, User, UserRole
from crmcli.store.models.records import Contact, Customer, CustomField, FollowUp, Lead, Tag

# The areas added since; each module registers its tables when imported.
from crmcli.store.models import contracts, pipeline, pool, schedule  # noqa: F401,E402

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
]
