"""Imports commit in chunks (issue 19): other writers get the database between chunks, an interrupted
import says what was committed and ``--resume`` continues it, ``--atomic`` keeps all or nothing, and
every import leaves its ``import_run`` row.

The batch and chunk sizes are made tiny here (2 and 4 rows), so a ten-row file has chunks.
Every test runs on SQLite and, with CRM_TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crmcli.errors import Interrupted
from crmcli.services import importer
from crmcli.store.models import Lead
from crmcli.store.models.io import ImportRun
from tests.commands.test_bad_input import assert_refused, unchanged  # noqa: F401  (fixture)
from tests.conftest import PG_URL, crm_process


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setenv("CRM_NOW", "2026-11-20T10:00:00+00:00")
    monkeypatch.setattr(importer, "BATCH", 2)
    monkeypatch.setattr(importer, "CHUNK_ROWS", 4)


def leads_file(tmp_path, n=10, bad_line=None):
    path = tmp_path / "leads.csv"
    rows = [f"Lead {i},l{i}@example.com" if i + 2 != bad_line else f"Lead {i},not-an-email" for i in range(n)]
    path.write_text("name,email\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def count(session) -> int:
    with session() as s:
        return s.execute(select(func.count()).select_from(Lead)).scalar()


def runs(session) -> list[tuple]:
    with session() as s:
        return [tuple(r) for r in s.execute(select(
            ImportRun.id, ImportRun.status, ImportRun.rows_read, ImportRun.rows_inserted, ImportRun.rows_rejected)
            .order_by(ImportRun.id))]


def interrupt_after(monkeypatch, flushes: int):
    """Ctrl-C arrives while the import runs: after ``flushes`` batches (each of 2 rows)."""
    original = importer.Importer._flush
    seen = {"n": 0}

    def flush(self, batch):
        original(self, batch)
        seen["n"] += 1
        if seen["n"] == flushes:
            raise Interrupted()

    monkeypatch.setattr(importer.Importer, "_flush", flush)
    return lambda: monkeypatch.setattr(importer.Importer, "_flush", original)


def test_a_small_import_is_one_run_row(crm, session, tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("name\nA\nB\n", encoding="utf-8")
    result = crm("lead", "import", path, "--json")
    assert result.code == 0, result
    assert result.json()["import_id"] == 1
    assert runs(session) == [(1, "done", 2, 2, 0)]


def test_an_interrupted_import_says_what_was_committed_and_resumes(crm, session, tmp_path, monkeypatch):
    path = leads_file(tmp_path)
    restore = interrupt_after(monkeypatch, 3)  # 6 rows read; the chunk of the first 4 was committed
    result = crm("lead", "import", path)
    assert result.code == 130, result
    assert result.err == ("crm: interrupted: after 6 rows; 4 rows were committed; run the same command with "
                          "--resume to continue\n")
    assert count(session) == 4
    assert runs(session) == [(1, "interrupted", 4, 4, 0)]
    restore()
    result = crm("lead", "import", path, "--resume", "--json")
    assert result.code == 0, result
    assert (result.json()["read"], result.json()["inserted"], result.json()["import_id"]) == (10, 10, 1)
    assert runs(session) == [(1, "done", 10, 10, 0)]
    with session() as s:
        assert sorted(s.execute(select(Lead.name)).scalars()) == sorted(f"Lead {i}" for i in range(10))
    assert_refused(crm("lead", "import", path, "--resume"), 3,
                   f"crm: error: no unfinished import of {path} to resume (hint: run the import without --resume)\n")


def test_an_interruption_before_the_first_chunk_writes_nothing(crm, session, tmp_path, monkeypatch):
    interrupt_after(monkeypatch, 1)
    result = crm("lead", "import", leads_file(tmp_path))
    assert (result.code, result.err) == (130, "crm: interrupted: nothing was written\n")
    assert count(session) == 0 and runs(session) == []


def test_resume_refuses_a_changed_file(crm, session, tmp_path, monkeypatch):
    path = leads_file(tmp_path)
    restore = interrupt_after(monkeypatch, 3)
    assert crm("lead", "import", path).code == 130
    restore()
    path.write_text(path.read_text(encoding="utf-8") + "Lead 10,l10@example.com\n", encoding="utf-8")
    assert_refused(crm("lead", "import", path, "--resume"), 6,
                   f"crm: error: {path} has changed since import 1 began; it cannot be resumed (hint: import it "
                   "again without --resume; --dedupe-by skips the records already imported)\n")
    assert count(session) == 4


def test_resume_needs_a_file_and_goes_alone(crm, unchanged, tmp_path):  # noqa: F811
    assert_refused(crm("lead", "import", "-", "--resume", stdin="name\nA\n"), 6,
                   "crm: error: --resume needs a file, not stdin\n")
    assert_refused(crm("lead", "import", leads_file(tmp_path), "--resume", "--atomic"), 2,
                   "crm: error: --resume goes with neither --atomic nor --dry-run\n")
    unchanged()


def test_a_bad_row_after_a_committed_chunk_says_so(crm, session, tmp_path):
    path = leads_file(tmp_path, bad_line=9)  # the 8th row
    assert_refused(crm("lead", "import", path), 6,
                   f"crm: error: {path}, line 9: 'not-an-email' is not a valid email address (hint: the 4 rows before "
                   "it were committed; import the rest with --on-error skip, or fix the row and import again with "
                   "--dedupe-by)\n")
    assert count(session) == 4
    assert runs(session) == [(1, "failed", 4, 4, 0)]


def test_atomic_is_all_or_nothing(crm, session, unchanged, tmp_path):  # noqa: F811
    path = leads_file(tmp_path, bad_line=9)
    assert_refused(crm("lead", "import", path, "--atomic"), 6,
                   f"crm: error: {path}, line 9: 'not-an-email' is not a valid email address (hint: nothing was "
                   "imported; fix the row, or add --on-error skip to import the other rows)\n")
    unchanged()


def test_dry_run_leaves_no_run(crm, session, tmp_path):
    assert crm("lead", "import", leads_file(tmp_path), "--dry-run").code == 0
    assert count(session) == 0 and runs(session) == []


@pytest.mark.skipif(bool(PG_URL), reason="SQLite's one write lock; PostgreSQL writers do not wait for the import")
def test_another_writer_gets_the_database_between_chunks(crm, session, db_url, tmp_path, monkeypatch):
    original = importer.Importer._flush
    results = []

    def flush(self, batch):
        original(self, batch)
        if self.report.read == 4 and not results:  # the first chunk was just committed
            results.append(crm_process(["--db", db_url, "--user", "admin", "lead", "add", "Meanwhile"],
                                       env={"CRM_BUSY_TIMEOUT": "2"}))

    monkeypatch.setattr(importer.Importer, "_flush", flush)
    assert crm("lead", "import", leads_file(tmp_path)).code == 0
    assert results and results[0].returncode == 0, results
    assert count(session) == 11


def test_a_slow_chunk_is_committed_early(crm, session, tmp_path, monkeypatch):
    """On a loaded machine a chunk ends on time, not on rows, so other writers' waits stay short."""
    monkeypatch.setattr(importer, "CHUNK_ROWS", 1000)
    monkeypatch.setattr(importer, "CHUNK_SECONDS", 0.0)  # every batch is "slow"
    path = leads_file(tmp_path)
    restore = interrupt_after(monkeypatch, 3)  # 6 rows read, each batch of 2 committed
    result = crm("lead", "import", path)
    restore()
    assert result.code == 130, result
    assert count(session) == 6
