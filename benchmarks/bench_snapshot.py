"""Snapshot benchmark on the DESIGN.md reference store.

Budgets (DESIGN.md / issue 6): a snapshot of the reference store in under 60 s; opening it
(verification of every table included) to its first rows in under 1 s. Also reports the
full catalog load and the whole ``snapshot create`` / ``snapshot verify`` processes.
Writes the figures to BENCHMARKS.md under "## Snapshots".

    python benchmarks/bench_snapshot.py [--repeat 3]
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.report import write_section  # noqa: E402
from benchmarks.scale_mlflow_store import reference_store  # noqa: E402
from mlops_desktop.crypto.ecdsa import generate_private_key, key_id  # noqa: E402
from mlops_desktop.governance.keys import SigningKey  # noqa: E402
from mlops_desktop.governance.snapshot import create_snapshot  # noqa: E402
from mlops_desktop.governance.store import open_governance  # noqa: E402
from mlops_desktop.governance.trust import add_signer, init_trust  # noqa: E402
from mlops_desktop.sources.snapshot import SnapshotSource  # noqa: E402


def _key(identity: str) -> SigningKey:
    priv = generate_private_key()
    return SigningKey(priv, key_id(priv.public_key()), identity)


def _median(samples: list[float]) -> float:
    return statistics.median(samples)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    db = reference_store()
    work = Path(tempfile.mkdtemp(prefix="bench-snapshot-"))
    os.environ["XDG_DATA_HOME"] = str(work / "data")  # a client of its own: no local trust list
    os.environ["XDG_CONFIG_HOME"] = str(work / "config")
    gov = open_governance(str(work / "governance.db"))
    admin, officer = _key("admin@example.org"), _key("officer@example.org")
    init_trust(gov, [admin])
    add_signer(gov, admin, officer.public_key, "officer@example.org", ["approver"])
    out = work / "reference.mlsnap"

    create_s: list[float] = []
    for _ in range(a.repeat):
        start = time.perf_counter()
        result = create_snapshot([str(db)], out, key=officer, governance=gov)
        create_s.append(time.perf_counter() - start)
    gov.close()

    open_s, first_s, registry_s, full_s = [], [], [], []
    status = ""
    for _ in range(a.repeat + 1):
        start = time.perf_counter()
        source = SnapshotSource.open(out)
        opened = time.perf_counter()
        source.first_models(100)
        first = time.perf_counter()
        registry = source.load_registry()
        reg = time.perf_counter()
        catalog = source.load_catalog()
        full = time.perf_counter()
        status = source.status.text
        source.close()
        open_s.append(opened - start)
        first_s.append(first - start)
        registry_s.append(reg - first + (opened - start))
        full_s.append(full - reg + (opened - start))
    assert source.status.ok, status
    counts = (len(registry.models), sum(len(m.versions) for m in registry.models), len(catalog.runs),
              len(catalog.datasets))

    cli = [sys.executable, "-m", "mlops_desktop"]
    start = time.perf_counter()
    subprocess.run([*cli, "snapshot", "verify", str(out)], check=True, stdout=subprocess.DEVNULL)
    verify_proc = time.perf_counter() - start

    lines = [
        f"Reference store: {db.name} ({db.stat().st_size / 1e6:.0f} MB; 2,000 models, 10,000 versions, "
        "100,000 runs, 1,000,000 metric rows, 20,000 datasets, 200,000 dataset inputs; MLflow 3 schema, SQLite).",
        f"Snapshot: {result.size / 1e6:.1f} MB, signed ({status}); holds {counts[0]:,} models, {counts[1]:,} "
        f"versions, {counts[2]:,} runs (those versions use, with params and latest metrics), "
        f"{counts[3]:,} datasets, and the governance records.",
        "",
        "| step (in process, median) | seconds | budget |",
        "|---|---|---|",
        f"| `create_snapshot` (read store, write, hash every table, sign, fsync, rename) | {_median(create_s):.2f} "
        "| < 60 |",
        f"| open: verify every table and the signature | {_median(open_s):.2f} | |",
        f"| open to first rows (verify + first 100 models) | {_median(first_s):.2f} | < 1 |",
        f"| open to the full inventory (verify + `load_registry`: models, versions, datasets per version) "
        f"| {_median(registry_s):.2f} | < 1 |",
        f"| open to the full catalog (verify + `load_catalog`: runs, datasets, lineage too) | {_median(full_s):.2f} "
        "| |",
        f"| whole process `mlops-desktop snapshot verify` (one run, start-up included) | {verify_proc:.2f} | |",
        "",
        f"Command: `python benchmarks/bench_snapshot.py --repeat {a.repeat}`",
    ]
    write_section("Snapshots", lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
