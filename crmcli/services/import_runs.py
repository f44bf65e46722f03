"""Import runs: the ``import_run`` row of each import, and finding the one ``--resume`` continues.

An import that commits in chunks (:data:`crmcli.services.importer.CHUNK_ROWS`) writes its run row
in its first transaction and brings its counts up to date in every chunk's transaction, so the
row always says how far the *committed* part got.  ``--resume`` looks for the newest unfinished
run of the same noun and file by the same user, checks that the file is still the same (its size
and the SHA-256 of its first and last MiB: cheap on a gigabyte), and continues after the rows it
had read.  Like every service, this module never commits.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crmcli import clock
from crmcli.errors import NotFound, ValidationError
from crmcli.i18n import _
from crmcli.services.access import Actor

FINGERPRINT_BYTES = 1 << 20
UNFINISHED = ("running", "interrupted", "failed")


def _model() -> Any:
    from crmcli.store.models.io import ImportRun

    return ImportRun


def fingerprint(path: str) -> tuple[int | None, str | None]:
    """(size, sha256 of the first and last MiB) of a file; (None, None) for stdin or what cannot be read."""
    if path == "-":
        return None, None
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            digest = hashlib.sha256(handle.read(FINGERPRINT_BYTES))
            if size > FINGERPRINT_BYTES:
                handle.seek(max(FINGERPRINT_BYTES, size - FINGERPRINT_BYTES))
                digest.update(handle.read(FINGERPRINT_BYTES))
    except OSError:
        return None, None
    return size, digest.hexdigest()


def file_key(path: str) -> str:
    return "-" if path == "-" else os.path.abspath(path)


def start(session: Session, actor: Actor, noun: str, path: str, options: dict[str, Any]) -> Any:
    """A new run row (flushed, so it has its id), in the caller's transaction."""
    size, digest = fingerprint(path)
    run = _model()(noun=noun, file_path=file_key(path), file_size=size, file_hash=digest, options=options,
                   user_id=actor.id, status="running", started_at=clock.now())
    session.add(run)
    session.flush()
    return run


def resumable(session: Session, actor: Actor, noun: str, path: str) -> Any:
    """The run ``--resume`` continues: the newest unfinished one of this noun and file, by this user."""
    model = _model()
    if path == "-":
        raise ValidationError(_("--resume needs a file, not stdin"))
    run = session.execute(select(model).where(
        model.noun == noun, model.file_path == file_key(path), model.user_id == actor.id,
        model.status.in_(UNFINISHED)).order_by(model.id.desc()).limit(1)).scalar_one_or_none()
    if run is None:
        raise NotFound(_("no unfinished import of {file} to resume").format(file=path),
                       hint=_("run the import without --resume"))
    size, digest = fingerprint(path)
    if (size, digest) != (run.file_size, run.file_hash):
        raise ValidationError(
            _("{file} has changed since import {id} began; it cannot be resumed").format(file=path, id=run.id),
            hint=_("import it again without --resume; --dedupe-by skips the records already imported"))
    run.status = "running"
    return run


def update(run: Any, report: Any, status: str | None = None) -> None:
    """Bring the run's counts up to ``report`` (and set its status; a final one sets finished_at)."""
    run.rows_read, run.rows_inserted, run.rows_updated = report.read, report.inserted, report.updated
    run.rows_skipped, run.rows_rejected = report.skipped, report.rejected
    if report.first_id is not None and run.first_id is None:
        run.first_id = report.first_id
    if report.last_id is not None:
        run.last_id = report.last_id
    if status is not None:
        run.status = status
        run.finished_at = None if status == "running" else clock.now()


def get(session: Session, run_id: int | None) -> Any:
    """The run row by id (the import's batches let go of every object; this finds it again)."""
    return session.get(_model(), run_id)


def mark(session: Session, run_id: int, status: str) -> None:
    """Set a run's final status in a later transaction (after its last chunk's was rolled back)."""
    run = session.get(_model(), run_id)
    if run is not None:
        run.status, run.finished_at = status, clock.now()
