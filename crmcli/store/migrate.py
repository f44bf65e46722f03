"""Schema creation and Alembic migrations.

A brand-new database is created straight from the models (fast, and what
tests do thousands of times) and stamped with the head revision; an existing
one is brought forward by the Alembic chain in ``migrations/versions``.  A
test keeps the two paths producing the same schema.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from crmcli.store import schema

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_schema(connection: Connection) -> None:
    """Create every table and trigger on an empty database and stamp it with the head revision."""
    from sqlmodel import SQLModel

    from crmcli.store import models
    from crmcli.store.extras import install_all

    models.load_all()  # registers every table

    SQLModel.metadata.create_all(connection)
    install_all(connection)
    connection.execute(text("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
    connection.execute(text("DELETE FROM alembic_version"))
    connection.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": schema.HEAD})


def alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the Alembic chain up to ``revision`` on ``engine``."""
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def script_revisions() -> list[str]:
    """The revision chain as Alembic sees it, oldest first (for the consistency test)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]
