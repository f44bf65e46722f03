"""Persistence: SQLModel tables, the engine factory, and Alembic migrations.

Nothing here knows about services, permissions or the CLI.
"""
