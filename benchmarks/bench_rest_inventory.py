"""Full inventory over REST: our MLflow REST source against MLflow's own client, same server, same run.

Starts one local ``mlflow server`` (one worker) on a copy of the DESIGN.md reference store
(2,000 models, 10,000 versions, 100,000 runs), then times, as whole processes:

- ``mlops-desktop inventory --store mlflow+http://127.0.0.1:PORT --format json``;
- MLflow's own ``MlflowClient`` gathering the same (models, versions, each version's run with
  its metrics and dataset inputs) from the same server, the way its users script it.

Writes the figures to BENCHMARKS.md ("Inventory over REST").

    python benchmarks/bench_rest_inventory.py [--repeat 3] [--store PATH]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.report import write_section  # noqa: E402
from benchmarks.scale_mlflow_store import reference_store  # noqa: E402
from tests.mlflow_server import MlflowServer  # noqa: E402

CLIENT_SCRIPT = '''
import json, sys, warnings
warnings.simplefilter("ignore")
from mlflow import MlflowClient
client = MlflowClient(sys.argv[1], sys.argv[1])
models, token, registered = [], None, []
while True:
    page = client.search_registered_models(max_results=1000, page_token=token)
    registered.extend(page)
    token = page.token
    if not token:
        break
for rm in registered:
    versions = []
    for mv in client.search_model_versions(f"name='{rm.name}'", max_results=10000):
        datasets, metrics, run_user = [], {}, None
        if mv.run_id:
            run = client.get_run(mv.run_id)
            run_user = run.info.user_id
            metrics = dict(run.data.metrics)
            for di in run.inputs.dataset_inputs:
                tags = {t.key: t.value for t in di.tags}
                datasets.append({"name": di.dataset.name, "digest": di.dataset.digest,
                                 "context": tags.get("mlflow.data.context")})
        versions.append({"version": str(mv.version), "stage": mv.current_stage, "aliases": list(mv.aliases),
                         "author": mv.user_id or run_user, "run_id": mv.run_id, "tags": dict(mv.tags),
                         "datasets": datasets, "metrics": metrics})
    models.append({"name": rm.name, "tags": dict(rm.tags), "aliases": dict(rm.aliases), "versions": versions})
json.dump({"models": models}, sys.stdout)
'''


def timed(cmd: list[str]) -> tuple[float, bytes]:
    start = time.perf_counter()
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE).stdout
    return time.perf_counter() - start, out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--store", type=Path, help="an MLflow SQLite store (default: the reference store)")
    a = p.parse_args()
    source = a.store or reference_store()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "store.db"
        shutil.copyfile(source, db)
        server = MlflowServer(f"sqlite:///{db}", Path(tmp) / "server").start().wait_ready(600)
        try:
            store = "mlflow+" + server.url
            ours_cmd = [sys.executable, "-m", "mlops_desktop", "inventory", "--store", store, "--format", "json"]
            client_cmd = [sys.executable, "-c", CLIENT_SCRIPT, server.url]
            timed(ours_cmd)  # warm-up: server caches, page cache
            ours, client = [], []
            models = versions = ours_requests = client_requests = 0
            for _ in range(a.repeat):
                n0 = len(server.requests_logged())
                t, out = timed(ours_cmd)
                ours.append(t)
                doc = json.loads(out)
                models, versions = len(doc["models"]), sum(len(m["versions"]) for m in doc["models"])
                n1 = len(server.requests_logged())
                client.append(timed(client_cmd)[0])
                ours_requests, client_requests = n1 - n0, len(server.requests_logged()) - n1
        finally:
            server.stop()
    o, c = statistics.median(ours), statistics.median(client)
    lines = [
        f"Store: {source.name} ({source.stat().st_size / 1e6:.0f} MB; {models:,} models, {versions:,} versions "
        "read back), served by one local `mlflow server` (MLflow 3.17.2, uvicorn, one worker, SQLite backend) "
        "on 127.0.0.1; both clients run as whole processes against the same server in the same run, alternately.",
        "",
        "| path (whole process, median) | seconds | ratio |",
        "|---|---|---|",
        f"| `mlops-desktop inventory --store mlflow+http://... --format json` | {o:.2f} | 1.00 |",
        f"| MLflow's own client (`MlflowClient`: search models, versions per model, `get_run` per version) "
        f"| {c:.2f} | {c / o:.1f}x slower (budget: ours >= 3x faster) |",
        "",
        f"Samples (s): ours {', '.join(f'{x:.2f}' for x in ours)}; MlflowClient {', '.join(f'{x:.2f}' for x in client)}. "
        f"HTTP requests per inventory (server access log): ours {ours_requests:,}, MlflowClient {client_requests:,}.",
        "",
        f"Command: `python benchmarks/bench_rest_inventory.py --repeat {a.repeat}`",
    ]
    write_section("Inventory over REST", lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
