"""Several processes appending at once leave a gapless log with one consistent root."""

from __future__ import annotations

import multiprocessing as mp
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from mlops_desktop.crypto.merkle import leaf_hash, root_from_leaf_hashes
from mlops_desktop.governance import audit
from mlops_desktop.governance.models import SqlLogEntry, SqlLogHead
from mlops_desktop.governance.store import open_governance

PROCESSES = 4
APPENDS = 250


def _worker(url: str, worker: int, start: float) -> None:
    while time.time() < start:  # all four begin together
        time.sleep(0.001)
    gov = open_governance(url)
    try:
        for i in range(APPENDS):
            audit.log_action(gov, audit.ACTION_MODEL_VIEWED, f"models:/m/{worker}", {"worker": worker, "i": i})
    finally:
        gov.close()


def _run(url: str) -> None:
    gov = open_governance(url)  # create the schema once, before the race
    ctx = mp.get_context("fork")
    start = time.time() + 0.3
    procs = [ctx.Process(target=_worker, args=(url, w, start)) for w in range(PROCESSES)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * PROCESSES
    total = PROCESSES * APPENDS
    with gov.read_session() as s:
        rows = s.execute(sa.select(SqlLogEntry.seq, SqlLogEntry.entry).order_by(SqlLogEntry.seq)).all()
        head = s.get(SqlLogHead, 1)
        assert head is not None
    assert [r[0] for r in rows] == list(range(total))
    assert head.size == total
    assert head.root_hash == root_from_leaf_hashes([leaf_hash(r[1]) for r in rows]).hex()
    per_worker = [sum(1 for e in audit.read_entries(gov) if e.details.get("worker") == w) for w in range(PROCESSES)]
    assert per_worker == [APPENDS] * PROCESSES
    result = audit.verify_log(gov)
    assert result.ok, result.problems
    assert result.size == total and result.checkpoint_size == total
    gov.close()


def test_concurrent_appends_sqlite(tmp_path: Path) -> None:
    _run(str(tmp_path / "gov.db"))


@pytest.mark.postgres
def test_concurrent_appends_postgres(postgres_database: str) -> None:
    _run(postgres_database)
