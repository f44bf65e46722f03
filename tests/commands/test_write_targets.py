"""Every option that writes a file (``export --output``, ``import --rejects``, ``cal export --ics``,
``task export --ics``, ``product export --output``) by the rules of ``crmcli/safe_write.py``: a regular file
is replaced whole or not at all, a symbolic link is followed (and stays a link), a pipe or a device is written
straight, a directory is refused with one line; a write error is one line and leaves no partial file.

Every test runs on SQLite and, with CRM_TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from tests.commands.test_bad_input import assert_refused

NOW = "2026-11-20T10:00:00+00:00"


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch):
    monkeypatch.setenv("CRM_NOW", NOW)


@pytest.fixture
def leads(crm):
    for name in ("Alpha", "Beta"):
        assert crm("lead", "add", name).code == 0


def lead_export(crm, target):
    return crm("lead", "export", "--output", str(target))


def rejects_import(crm, target, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("name,email\nGood,g@example.com\nBad,not-an-email\n", encoding="utf-8")
    return crm("lead", "import", str(source), "--on-error", "skip", "--rejects", str(target))


def ics_export(crm, target):
    assert crm("event", "add", "Meeting", "--start", "2026-11-21 10:00", "--end", "2026-11-21 11:00").code == 0
    return crm("cal", "export", "--ics", str(target), "--from", "2026-11-01", "--to", "2026-12-01")


def task_export(crm, target):
    return crm("task", "export", "--ics", str(target), "--status", "all")


def product_export(crm, target):
    return crm("product", "export", "--output", str(target))


WRITERS = {"lead export": lead_export, "import rejects": rejects_import, "cal export": ics_export,
           "task export": task_export, "product export": product_export}


def write(name, crm, target, tmp_path):
    writer = WRITERS[name]
    return writer(crm, target, tmp_path) if name == "import rejects" else writer(crm, target)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


@pytest.mark.parametrize("name", WRITERS)
def test_a_symlink_is_followed_and_stays_a_link(crm, leads, tmp_path, name):
    real = tmp_path / "real.out"
    real.write_text("old\n", encoding="utf-8")
    os.chmod(real, 0o640)
    link = tmp_path / "link.out"
    link.symlink_to(real)
    result = write(name, crm, link, tmp_path)
    assert result.code == 0, result
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text(encoding="utf-8") != "old\n" and real.stat().st_size > 0
    assert stat.S_IMODE(real.stat().st_mode) == 0o640  # the replaced file keeps its permissions
    assert leftovers(tmp_path) == []


def test_a_dangling_symlink_creates_the_file_it_names(crm, leads, tmp_path):
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "new.csv")
    assert lead_export(crm, link).code == 0
    assert link.is_symlink() and (tmp_path / "new.csv").read_text(encoding="utf-8").startswith("id,name,")


@pytest.mark.parametrize("name", WRITERS)
def test_a_named_pipe_is_written_straight(crm, leads, tmp_path, name):
    fifo = tmp_path / "pipe.out"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def reader():
        with open(fifo, "rb") as handle:
            received.append(handle.read())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    result = write(name, crm, fifo, tmp_path)
    thread.join(timeout=30)
    assert result.code == 0, result
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still a pipe, not a regular file
    assert received and received[0]
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("name", WRITERS)
def test_dev_null_stays_a_device(crm, leads, tmp_path, name):
    result = write(name, crm, "/dev/null", tmp_path)
    assert result.code == 0, result
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize("name", WRITERS)
def test_dev_full_is_one_line_and_stays_a_device(crm, leads, tmp_path, name):
    result = write(name, crm, "/dev/full", tmp_path)
    assert_refused(result, 1, "crm: error: cannot write /dev/full: No space left on device\n")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


@pytest.mark.parametrize("name", WRITERS)
def test_a_directory_is_refused(crm, leads, tmp_path, name):
    target = tmp_path / "dir"
    target.mkdir()
    result = write(name, crm, target, tmp_path)
    assert_refused(result, 6, f"crm: error: cannot write {target}: it is a directory (hint: name a file in it)\n")
    assert list(target.iterdir()) == []


def test_a_missing_directory_is_refused(crm, leads, tmp_path):
    target = tmp_path / "nowhere" / "x.csv"
    assert_refused(lead_export(crm, target), 6,
                   f"crm: error: cannot write {target}: the directory {tmp_path / 'nowhere'} does not exist\n")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
@pytest.mark.parametrize("name", WRITERS)
def test_an_unwritable_directory_is_one_line(crm, leads, tmp_path, name):
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0o555)
    try:
        result = write(name, crm, locked / "x.out", tmp_path)
    finally:
        os.chmod(locked, 0o755)
    assert_refused(result, 4, f"crm: error: cannot write {locked / 'x.out'}: Permission denied\n")
    assert list(locked.iterdir()) == []


def test_a_denied_temporary_file_is_one_line(crm, leads, tmp_path, monkeypatch):
    """The same as an unwritable directory, for a root that may write anywhere: the system says no."""
    import tempfile

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    target = tmp_path / "x.csv"
    assert_refused(lead_export(crm, target), 4, f"crm: error: cannot write {target}: Permission denied\n")
    assert not target.exists()


def test_a_failed_write_leaves_the_old_file_and_no_part(crm, leads, tmp_path, monkeypatch):
    target = tmp_path / "x.csv"
    target.write_text("the old export\n", encoding="utf-8")
    from crmcli.services import tabular

    def full(self, row):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tabular.Writer, "write", full)
    assert_refused(lead_export(crm, target), 1, f"crm: error: cannot write {target}: No space left on device\n")
    assert target.read_text(encoding="utf-8") == "the old export\n"
    assert leftovers(tmp_path) == []


def test_a_new_file_gets_the_usual_permissions(crm, leads, tmp_path):
    target = tmp_path / "x.csv"
    old = os.umask(0o027)
    try:
        assert lead_export(crm, target).code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # not mkstemp's 0600
