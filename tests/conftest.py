"""Test harness: a fresh database per test, on SQLite or PostgreSQL, and an in-process ``crm``.

* SQLite (default): each test gets its own file, copied from a template that
  ``crm init`` made once per session.
* PostgreSQL: set ``CRM_TEST_DATABASE_URL=postgresql+psycopg://root@127.0.0.1:5432/test``.
  The run creates its own schema (dropped at the end) and every test starts
  from truncated, re-seeded tables.  With ``CI=true`` an unreachable server
  fails the run instead of skipping it.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = ROOT / "tests" / "data"  # sample files from other systems, with their licences (README there)
ADMIN = "admin"
PG_URL = os.environ.get("CRM_TEST_DATABASE_URL")


def backend() -> str:
    return "postgresql" if PG_URL else "sqlite"


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def rows(self) -> list[list[str]]:
        """TSV output as rows (header included)."""
        return [line.split("\t") for line in self.out.splitlines()]

    def __repr__(self) -> str:  # shown by pytest when an assert fails
        return f"Result(code={self.code}, out={self.out!r}, err={self.err!r})"


def _clear_process_state() -> None:
    from crmcli import runtime, settings
    from crmcli.store import engine

    engine.dispose_all()
    runtime._ready.clear()
    settings.reset_cache()


def run_crm(args: list[str], stdin: str | None = None) -> Result:
    """Run ``crm ARGS`` in this process, capturing stdout and stderr."""
    from crmcli import i18n
    from crmcli.cli import run

    old = sys.stdin, sys.stdout, sys.stderr
    sys.stdin = io.StringIO(stdin or "")
    sys.stdout, sys.stderr = io.StringIO(), io.StringIO()
    try:
        code = run([str(a) for a in args])
        return Result(code, sys.stdout.getvalue(), sys.stderr.getvalue())
    finally:
        sys.stdin, sys.stdout, sys.stderr = old
        i18n.set_language("en")


# --- environment -----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test reads the developer's config, data dir, language or clock."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("CRM_CONFIG", str(home / "crm-config.toml"))
    monkeypatch.setenv("CRM_LANG", "en")
    monkeypatch.setenv("TZ", "UTC")
    for var in ("CRM_DATABASE_URL", "CRM_USER", "CRM_NOW", "CRM_DEBUG", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)
    _clear_process_state()
    yield
    _clear_process_state()


# --- databases -------------------------------------------------------------------------


def _pg_admin_connect():
    import psycopg

    from sqlalchemy.engine import make_url

    url = make_url(PG_URL)
    return psycopg.connect(host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username or "postgres",
                           password=url.password, dbname=url.database, autocommit=True, connect_timeout=5)


@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[str | None]:
    if not PG_URL:
        yield None
        return
    try:
        conn = _pg_admin_connect()
    except Exception as exc:  # noqa: BLE001
        if os.environ.get("CI") == "true":
            pytest.exit(f"PostgreSQL suite requested but the server is unreachable: {exc}", returncode=1)
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    # pg_trgm must live outside the per-run schemas: dropping a schema that held it would
    # drop (CASCADE) the search indexes of every other run.
    conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    home = conn.execute("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                        "WHERE e.extname = 'pg_trgm'").fetchone()[0]
    if home != "public":
        conn.execute("ALTER EXTENSION pg_trgm SET SCHEMA public")
    schema = f"crmtest_{uuid.uuid4().hex[:10]}"
    conn.execute(f'CREATE SCHEMA "{schema}"')
    from sqlalchemy.engine import make_url

    url = make_url(PG_URL).set(drivername="postgresql+psycopg").update_query_dict(
        {"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    try:
        yield rendered
    finally:
        _clear_process_state()
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    result = run_crm(["--db", str(path), "init", "--admin", ADMIN, "--name", "Admin"])
    assert result.code == 0, result
    _clear_process_state()
    return path


_pg_initialised: set[str] = set()


def _reset_pg(url: str) -> None:
    from sqlalchemy import create_engine, text

    from crmcli.services import database
    from crmcli.store.engine import Target

    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [r[0] for r in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'alembic_version'"))]
        if tables:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    engine.dispose()
    database.initialise(Target(url, is_default=False), ADMIN, "Admin")
    _clear_process_state()


@pytest.fixture
def db_url(tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A ready database (admin = super administrator) for one test."""
    if PG_URL:
        url = request.getfixturevalue("pg_schema_url")
        _reset_pg(url)
        return url
    template = request.getfixturevalue("sqlite_template")
    path = tmp_path / "crm.sqlite"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def empty_db_url(tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A database location with nothing in it yet."""
    if PG_URL:
        url = request.getfixturevalue("pg_schema_url")
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.begin() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar()
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
        _clear_process_state()
        return url
    return f"sqlite:///{tmp_path / 'empty.sqlite'}"


@pytest.fixture
def crm(db_url: str, monkeypatch: pytest.MonkeyPatch):
    """``crm(*args, user=..., stdin=...)`` against the test's database, as admin by default."""
    monkeypatch.setenv("CRM_DATABASE_URL", db_url)

    def invoke(*args: Any, user: str | None = ADMIN, stdin: str | None = None) -> Result:
        argv = (["--user", user] if user else []) + [str(a) for a in args]
        return run_crm(argv, stdin=stdin)

    return invoke


@pytest.fixture
def session(db_url: str):
    """Open a SQLAlchemy session on the test's database, for checking what commands wrote."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    engines = []

    def open_session() -> Session:
        engine = create_engine(db_url)
        engines.append(engine)
        return Session(engine)

    yield open_session
    for engine in engines:
        engine.dispose()


def crm_process(args: list[str], env: dict[str, str] | None = None, stdin: str | None = None,
                timeout: float = 120) -> subprocess.CompletedProcess:
    """Run crm as a real process (start-up, sys.modules and concurrency tests)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "crmcli", *args], capture_output=True, text=True,
                          env=full_env, input=stdin, timeout=timeout)
