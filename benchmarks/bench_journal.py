"""Registry journal benchmark on the DESIGN.md reference store.

Budgets (DESIGN.md, second wave): observing the reference store when nothing changed under
0.5 s; a journal of 1,000 observations of it answering ``--as-of`` under 1 s. The catalog is
loaded once (what opening the store costs anyway); the journal of 1,000 observations is made
by recording the reference state with one alias or stage changed per observation, through the
same write path as ``observe``. Writes the figures to BENCHMARKS.md under "## Journal".

    python benchmarks/bench_journal.py [--repeat 5] [--observations 1000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.report import write_section  # noqa: E402
from benchmarks.scale_mlflow_store import reference_store  # noqa: E402
from mlops_desktop.governance import journal  # noqa: E402
from mlops_desktop.governance.store import open_governance  # noqa: E402
from mlops_desktop.services.history import inventory_as_of  # noqa: E402
from mlops_desktop.services.session import observe_on_open  # noqa: E402
from mlops_desktop.sources.loader import load_catalog  # noqa: E402


def _timed(fn: Any, repeat: int) -> tuple[float, float, Any]:
    """Median wall and CPU seconds of ``repeat`` calls, and the last result."""
    wall: list[float] = []
    cpu: list[float] = []
    result = None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        result = fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return statistics.median(wall), statistics.median(cpu), result


def _changed(state: journal.State, i: int) -> journal.State:
    """``state`` with one change: an alias moved or a stage set on the i-th model (new dicts for
    what changes; the rest is shared, as the journal never changes a state it was given)."""
    names = sorted(n for n, m in state["models"].items() if m["versions"])
    name = names[(i * 7919) % len(names)]
    model = state["models"][name]
    versions = sorted(model["versions"], key=lambda v: int(v) if v.isdigit() else 0)
    new_model = {"aliases": dict(model["aliases"]), "versions": dict(model["versions"])}
    version = versions[i % len(versions)]
    if i % 2 and len(versions) > 1:
        others = [v for v in versions if v != model["aliases"].get("champion")]
        new_model["aliases"]["champion"] = others[i % len(others)]
    else:
        record = dict(model["versions"][version])
        record["stage"] = "Production" if record.get("stage") != "Production" else "Archived"
        record["updated_at"] = (record.get("updated_at") or 0) + 1000
        new_model["versions"][version] = record
    return {"models": {**state["models"], name: new_model}}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--observations", type=int, default=1000)
    a = p.parse_args()
    db = reference_store()
    work = Path(tempfile.mkdtemp(prefix="bench-journal-"))
    os.environ["XDG_DATA_HOME"] = str(work / "data")
    os.environ["XDG_CONFIG_HOME"] = str(work / "config")
    gov_url = str(work / "governance.db")

    start = time.perf_counter()
    catalog = load_catalog([str(db)])
    load_s = time.perf_counter() - start
    [store] = journal.observable_stores(catalog)
    registry = store.registry
    assert registry is not None
    versions = sum(len(m.versions) for m in catalog.models)

    gov = open_governance(gov_url)
    start = time.perf_counter()
    [first] = journal.observe(gov, catalog)
    first_s = time.perf_counter() - start
    assert first.changed

    # 1. nothing changed: the state is built and hashed, the last observation read, nothing written
    state_w, state_c, state = _timed(lambda: journal.registry_state(catalog, registry), a.repeat)
    digest_w, digest_c, _ = _timed(lambda: journal.state_digest(state), a.repeat)
    same_w, same_c, same = _timed(lambda: journal.observe(gov, catalog), a.repeat)
    assert not same[0].changed
    gov.close()
    # what every command adds when it opens the store: open the governance store, then observe
    open_w, open_c, opened = _timed(lambda: observe_on_open(gov_url, catalog, [str(db)]), a.repeat)
    assert opened and not opened[0].changed

    # 2. a journal of N observations, each with one change
    gov = open_governance(gov_url)
    current = state
    build = time.perf_counter()
    changed_s: list[float] = []
    for i in range(1, a.observations):
        current = _changed(current, i)
        t = time.perf_counter()
        result = journal._observe_one(gov, registry, store.url, current, None)
        changed_s.append(time.perf_counter() - t)
        assert result.changed and result.changes == 1, (i, result)
    build_s = time.perf_counter() - build
    obs = journal.observations(gov, registry)
    assert len(obs) == a.observations
    gov.close()
    size_mb = Path(gov_url).stat().st_size / 1e6

    # as of a time in the middle, at the end of a delta chain (the costliest to rebuild), and the newest
    full_every = journal.FULL_EVERY
    mid = obs[(len(obs) // 2 // full_every) * full_every + full_every - 1]
    targets = {"middle (end of a delta chain)": mid, "newest": obs[-1]}
    as_of: dict[str, tuple[float, float]] = {}
    for label, target in targets.items():
        w, c, doc = _timed(lambda t=target: inventory_as_of(gov_url, catalog, t.time, record=False), a.repeat)
        assert doc["stores"][0]["observation"]["id"] == target.id
        as_of[label] = (w, c)

    # the whole command, as a person runs it (one run; catalog load and start-up included)
    cli = [sys.executable, "-m", "mlops_desktop"]
    start = time.perf_counter()
    subprocess.run([*cli, "inventory", "--store", str(db), "--governance", gov_url, "--as-of", mid.observed_at],
                   check=True, stdout=subprocess.DEVNULL)
    cli_s = time.perf_counter() - start
    load = os.getloadavg()[0]

    lines = [
        f"Reference store: {db.name} ({db.stat().st_size / 1e6:.0f} MB; {len(catalog.models):,} models, "
        f"{versions:,} versions; MLflow 3 schema, SQLite). Catalog loaded once in {load_s:.1f} s (what opening "
        "the store costs without the journal). Wall time is the budget; CPU time is given too because this "
        f"machine was shared (load average {load:.1f} on {os.cpu_count()} cores at the end of the run).",
        "",
        "| step (in process, median) | wall s | CPU s | budget |",
        "|---|---|---|---|",
        f"| first observation (full state written, audit-log entry) | {first_s:.2f} | | |",
        f"| registry state of the catalog (per version: stage, status, run, tag digest, datasets) | {state_w:.3f} "
        f"| {state_c:.3f} | |",
        f"| state digest (SHA-256 of its sorted JSON) | {digest_w:.3f} | {digest_c:.3f} | |",
        f"| **observe, nothing changed** (state, digest, last observation read; nothing written) | **{same_w:.3f}** "
        f"| {same_c:.3f} | < 0.5 |",
        f"| the same as a command does it on opening the store (governance store opened too) | {open_w:.3f} "
        f"| {open_c:.3f} | |",
        f"| record one change (state already built; delta written, audit-log entry), median of {len(changed_s):,} | "
        f"{statistics.median(changed_s):.3f} | | |",
        f"| **`inventory --as-of`, journal of {len(obs):,} observations**, "
        f"{list(as_of)[0]} | **{as_of[list(as_of)[0]][0]:.3f}** | {as_of[list(as_of)[0]][1]:.3f} | < 1 |",
        f"| `inventory --as-of`, {list(as_of)[1]} | {as_of[list(as_of)[1]][0]:.3f} | {as_of[list(as_of)[1]][1]:.3f} "
        "| < 1 |",
        f"| whole process `mlops-desktop inventory --as-of` (one run; start-up and catalog load included) "
        f"| {cli_s:.2f} | | |",
        "",
        f"Journal of {len(obs):,} observations built in {build_s:.0f} s: {size_mb:.1f} MB governance store "
        f"(a full state every {full_every} observations, deltas between).",
        "",
        f"Command: `python benchmarks/bench_journal.py --repeat {a.repeat} --observations {a.observations}`",
    ]
    write_section("Journal", lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
