"""The tests run from a clone alone: no test reads the shared sample store that lives beside the repository."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
OUTSIDE = re.compile(r"\.\./shared|\"shared\"\s*/|ROOT\.parent\b|/work/shared")


def test_no_test_reads_outside_the_repository():
    offenders = [f"{path.relative_to(TESTS)}:{n}" for path in sorted(TESTS.rglob("*.py")) if path != Path(__file__)
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                 if OUTSIDE.search(line)]
    assert offenders == []


def test_every_sample_file_is_listed_with_its_licence():
    data = TESTS / "data"
    readme = (data / "README.md").read_text(encoding="utf-8")
    samples = [p for p in data.rglob("*") if p.suffix in (".csv", ".json")]
    assert samples
    assert [p.name for p in samples if p.name not in readme] == []
