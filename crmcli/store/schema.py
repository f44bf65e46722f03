"""The schema revisions this program knows, without importing Alembic.

Every command checks the database's ``alembic_version`` against this list: an
older database is told to run ``crm db upgrade``, a newer one (written by a
newer crm) is refused rather than misread.  A test keeps this list equal to the
migration chain in ``migrations/versions``.
"""

KNOWN_REVISIONS: tuple[str, ...] = ("0001_foundation", "0002_records", "0003_pool", "0004_pipeline", "0005_schedule", "0006_contracts", "0007_trust", "0008_import_runs")
HEAD = KNOWN_REVISIONS[-1]
