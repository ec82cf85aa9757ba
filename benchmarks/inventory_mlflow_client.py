"""The same inventory gathered with MLflow's own Python client (the path users take today).

Run with a Python that has ``mlflow`` installed: python inventory_mlflow_client.py DB
"""

from __future__ import annotations

import json
import os
import sys
import warnings


def main(path: str) -> None:
    warnings.simplefilter("ignore")
    from mlflow import MlflowClient

    uri = "sqlite:///" + os.path.abspath(path)
    client = MlflowClient(uri, uri)
    models = []
    token = None
    registered = []
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


if __name__ == "__main__":
    main(sys.argv[1])
