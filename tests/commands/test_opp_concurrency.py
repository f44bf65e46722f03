"""Two people closing one opportunity at the same moment: exactly one succeeds, one stage-history row."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from crmcli.store.models.pipeline import Opportunity, StageChange
from tests.conftest import crm_process


def test_concurrent_wins_and_losses_close_the_opportunity_once(crm, db_url, session):
    assert crm("customer", "add", "Acme").code == 0
    for i in range(3):
        assert crm("opp", "add", "Acme", f"Deal {i}").code == 0
    env = {"CRM_DATABASE_URL": db_url, "CRM_USER": "admin", "CRM_LANG": "en"}
    jobs = [["opp", "win", "1"], ["opp", "lose", "1", "--reason", "no"], ["opp", "win", "1"], ["opp", "win", "1"]]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = list(pool.map(lambda args: crm_process(args, env=env), jobs))
    codes = sorted(r.returncode for r in results)
    assert codes == [0, 6, 6, 6], [(r.returncode, r.stderr) for r in results]
    with session() as s:
        closes = s.execute(select(func.count()).select_from(StageChange).where(
            StageChange.opportunity_id == 1, StageChange.move.in_(("win", "lose")))).scalar_one()
        status = s.get(Opportunity, 1).status
    assert closes == 1 and status in ("won", "lost")
