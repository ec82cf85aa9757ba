"""Report benchmark: a 100-model PDF report on the DESIGN.md reference store.

Budget (issue "Reports an auditor signs"): a 100-model report in under 5 s on the reference
store, memory under 500 MB. The in-process figures exclude loading the store (shown
separately): governance evidence, findings for the models in scope, PDF layout, evidence
bundle and the audit-log record. Each edition gives its wall time (the least of --repeat
runs) and the process CPU time of that run (all threads), since the machine may be shared:
with other busy processes the wall time grows while the CPU time mostly does not; the load
average is printed. The whole-process figure runs ``mlops-desktop report`` end to end (load,
governance, findings, PDF) and reports its peak RSS. Approvals: two trusted approvers sign 50
of the 100 models' deployed versions, so the report carries ~100 certificates, envelopes and
inclusion proofs. Writes the figures to BENCHMARKS.md under "## Reports" (not with --no-write).

    python benchmarks/bench_reports.py [--models 100] [--repeat 1] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.report import write_section  # noqa: E402
from benchmarks.scale_mlflow_store import reference_store  # noqa: E402
from mlops_desktop.core.findings import FindingSettings, deployment_targets  # noqa: E402
from mlops_desktop.crypto.ecdsa import generate_private_key, key_id  # noqa: E402
from mlops_desktop.governance.approvals import approve  # noqa: E402
from mlops_desktop.governance.keys import SigningKey  # noqa: E402
from mlops_desktop.governance.store import open_governance  # noqa: E402
from mlops_desktop.governance.trust import add_signer, init_trust  # noqa: E402
from mlops_desktop.reports.jobs import run_report  # noqa: E402
from mlops_desktop.sources.loader import load_catalog  # noqa: E402


def _key(identity: str) -> SigningKey:
    priv = generate_private_key()
    return SigningKey(priv, key_id(priv.public_key()), identity)


def _rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: KiB


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--models", type=int, default=100)
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--no-write", action="store_true", help="print the figures only")
    a = p.parse_args()
    load_before = os.getloadavg()[0]
    store = reference_store()
    t0 = time.perf_counter()
    catalog = load_catalog([str(store)])
    load_s = time.perf_counter() - t0
    with_versions = sorted((m for m in catalog.models if m.visible_versions()), key=lambda m: m.name)
    scope = [m.name for m in with_versions[: a.models]]
    settings = FindingSettings()
    work = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    gov_url = str(work / "governance.db")
    admin, alice, bob = _key("admin@example.org"), _key("alice@example.org"), _key("bob@example.org")
    t0 = time.perf_counter()
    n_approvals = 0
    with open_governance(gov_url) as gov:
        init_trust(gov, [admin])
        for k in (alice, bob):
            add_signer(gov, admin, k.public_key, str(k.identity), ["approver"])
        for model in with_versions[: a.models // 2]:
            v = max(model.visible_versions(), key=lambda x: int(x.version) if x.version.isdigit() else -1)
            targets = deployment_targets(model, v, settings) or ["Production"]
            for k in (alice, bob):
                approve(gov, catalog, model.name, v.version, targets[0], "benchmark", ["gdpr", "hipaa"], k)
                n_approvals += 1
    approve_s = time.perf_counter() - t0
    rows = []
    for edition in ("gdpr", "hipaa", "eu-ai-act", "model-risk"):
        times = []
        for i in range(a.repeat):
            out = work / f"{edition}-{i}.pdf"
            t0, c0 = time.perf_counter(), time.process_time()
            result = run_report([], edition, out, models=scope, governance_url=gov_url, catalog=catalog)
            times.append((time.perf_counter() - t0, time.process_time() - c0))
        wall, cpu = min(times)
        size_mb = result.path.stat().st_size / 1e6
        rows.append(f"| {edition} | {wall:.2f} | {cpu:.2f} | {result.pages} | {size_mb:.1f} MB | {len(result.findings)} "
                    "| < 5 |")
        print(edition, f"{wall:.2f}s wall, {cpu:.2f}s CPU", result.pages, "pages", flush=True)
    in_proc_rss = _rss_mb()
    # whole process: the CLI end to end, including loading the reference store
    out = work / "cli.pdf"
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "mlops_desktop", "report", "--store", str(store), "--governance", gov_url,
         "--edition", "gdpr", "--out", str(out), "--models", *scope],
        check=True, stdout=subprocess.DEVNULL, env={**os.environ},
    )
    cli_s = time.perf_counter() - t0
    cli_rss = _rss_mb(resource.RUSAGE_CHILDREN)
    lines = [
        f"Reference store: {store.name} ({store.stat().st_size / 1e6:.0f} MB; {len(catalog.models):,} models, "
        f"{len(catalog.all_versions()):,} versions). Scope: {len(scope)} models; {n_approvals} signed approvals "
        f"in the governance store (made in {approve_s:.1f} s, not counted). Findings are evaluated for the models "
        f"in scope. Load average (1 min) {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end. "
        + ("Python bytecode not written (PYTHONDONTWRITEBYTECODE): each process compiles the project's modules "
           "from source, which an installed copy does not." if sys.dont_write_bytecode else
           "Python bytecode cached, as in an installed copy."),
        "",
        "| edition (in process: governance evidence + findings + PDF + bundle + audit record) | wall s | CPU s "
        "| pages | size | findings in scope | budget s |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
        "| whole process / memory | figure | budget |",
        "|---|---|---|",
        f"| loading the reference store (in process, not in the figures above) | {load_s:.2f} s | |",
        f"| `mlops-desktop report --edition gdpr --models <{len(scope)} names>` end to end | {cli_s:.2f} s | |",
        f"| peak RSS, that CLI process | {cli_rss:.0f} MB | < 500 MB |",
        f"| peak RSS, this benchmark process (catalog + four reports) | {in_proc_rss:.0f} MB | < 500 MB |",
        "",
        f"Command: `python benchmarks/bench_reports.py --models {a.models} --repeat {a.repeat}`",
    ]
    print("\n".join(lines))
    if not a.no_write:
        write_section("Reports", lines)


if __name__ == "__main__":
    main()
