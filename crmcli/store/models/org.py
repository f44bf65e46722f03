"""Organisation and access: departments, users, roles, permissions, record teams."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from crmcli.store.types import UTCDateTime


class Department(SQLModel, table=True):
    __tablename__ = "department"
    __table_args__ = (UniqueConstraint("parent_id", "name", name="uq_department_sibling_name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    parent_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class User(SQLModel, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=120)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    department_id: int = Field(foreign_key="department.id", index=True)
    manager_id: int | None = Field(default=None, foreign_key="user_account.id")
    timezone: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=16)
    disabled: bool = Field(default=False)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    disabled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class Role(SQLModel, table=True):
    __tablename__ = "role"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=120, unique=True)
    description: str | None = None
    is_super: bool = Field(default=False)
    builtin: bool = Field(default=False)
    data_scope: str = Field(default="self", max_length=32)


class RolePermission(SQLModel, table=True):
    __tablename__ = "role_permission"

    role_id: int = Field(foreign_key="role.id", primary_key=True)
    permission: str = Field(max_length=64, primary_key=True)


class RoleDepartment(SQLModel, table=True):
    """The departments of a role whose data scope is ``custom``."""

    __tablename__ = "role_department"

    role_id: int = Field(foreign_key="role.id", primary_key=True)
    department_id: int = Field(foreign_key="department.id", primary_key=True)


class UserRole(SQLModel, table=True):
    __tablename__ = "user_role"

    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    role_id: int = Field(foreign_key="role.id", primary_key=True, index=True)


class TeamMember(SQLModel, table=True):
    """Users who co-maintain a record (客户团队): they see it whatever their scope."""

    __tablename__ = "team_member"
    __table_args__ = (Index("ix_team_member_user", "user_id", "record_type"),)

    record_type: str = Field(max_length=32, primary_key=True)
    record_id: int = Field(primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    access: str = Field(default="read", max_length=8)
    added_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
