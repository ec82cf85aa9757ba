"""Build tests/fixtures/monitoring: an MLflow store of small scikit-learn models and the
monitoring results written for them by the real Evidently and Great Expectations.

Run it with a Python that has mlflow, scikit-learn, evidently 0.7.23 and great_expectations
1.x (evidently 0.7.23 needs pandas < 3)::

    python -m venv /tmp/monfix && /tmp/monfix/bin/pip install "pandas<3" evidently==0.7.23 \
        great_expectations==1.24.1 scikit-learn mlflow
    /tmp/monfix/bin/python tools/make_monitoring_fixtures.py [--out tests/fixtures/monitoring]

What it makes (``truth.json`` records the same, and the tests assert it):

- ``mlflow.db``: models trained on scikit-learn's bundled datasets, logged with the MLflow
  client, each version's training data logged as a dataset input; ``champion`` aliases mark
  the deployed versions. Registry timestamps are then set to a fixed calendar (the client
  stamps the wall clock) so the fixture does not age.
- ``results/``: weekly batches drawn from each dataset after training. The iris batches from
  week 5 on are shifted (petal length + 2 cm): Evidently finds drift there. The wine batches
  from week 5 on have missing and out-of-range values: Great Expectations checks fail.
  ``diabetes-regressor`` gets no result at all; ``digits-classifier`` only results older than
  30 days. ``breast-cancer-classifier`` is watched by MLflow runs tagged
  ``mlops_desktop.monitoring`` (drift scores as ``drift.<feature>`` metrics).
- a SageMaker Model Monitor ``constraint_violations.json`` under the Model Monitor output
  layout for the ``credit-limit-prod`` endpoint of tests/fixtures/sagemaker/account, results
  naming nothing in the store (listed unlinked), and rejected files: truncated JSON, a foreign
  JSON document, an Evidently snapshot with a broken timestamp, a GX result whose results are
  not a list.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
#: The fixed calendar: versions registered on START, weekly batches after it, tests judge on TODAY.
START = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
TODAY = "2026-11-01"
WEEKS = 8
SHIFT_FROM_WEEK = 5
FEATURES = {
    "iris": ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"],
    "wine": ["alcohol", "malic_acid", "color_intensity", "proline"],
    "digits": ["pixel_2_3", "pixel_3_4", "pixel_4_5", "pixel_5_4"],
    "breast_cancer": ["mean radius", "mean texture", "mean area", "mean smoothness"],
}


def ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def frames() -> dict[str, pd.DataFrame]:
    from sklearn import datasets

    out = {}
    for name, loader in (("iris", datasets.load_iris), ("wine", datasets.load_wine),
                         ("digits", datasets.load_digits), ("breast_cancer", datasets.load_breast_cancer),
                         ("diabetes", datasets.load_diabetes)):
        bunch = loader(as_frame=True)
        out[name] = bunch.frame
    return out


def train_and_log(db: Path, data: dict[str, pd.DataFrame]) -> dict[str, dict[str, str]]:
    """Models and versions in an MLflow SQLite store; returns model -> {version, dataset, run}."""
    import mlflow
    from mlflow import MlflowClient
    from sklearn.linear_model import LinearRegression, LogisticRegression

    uri = f"sqlite:///{db}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient(uri, uri)
    exp = client.create_experiment("monitored-models", artifact_location=(db.parent / "artifacts").as_uri())
    made: dict[str, dict[str, str]] = {}
    plan = [("iris-classifier", "iris", 2), ("wine-classifier", "wine", 1), ("diabetes-regressor", "diabetes", 1),
            ("digits-classifier", "digits", 1), ("breast-cancer-classifier", "breast_cancer", 1)]
    for model_name, key, versions in plan:
        frame = data[key]
        target = "target"
        cols = FEATURES.get(key) or [c for c in frame.columns if c != target][:4]
        train = frame.sample(frac=0.6, random_state=7)
        for v in range(1, versions + 1):
            when = START - timedelta(days=10 * (versions - v))
            with mlflow.start_run(experiment_id=exp, run_name=f"train-{model_name}-v{v}",
                                  tags={"mlflow.user": "alice@example.org"}) as run:
                est = LinearRegression() if key == "diabetes" else LogisticRegression(max_iter=2000)
                est.fit(train[cols], train[target])
                mlflow.log_param("features", ",".join(cols))
                mlflow.log_metric("train_score", float(est.score(train[cols], train[target])))
                ds = mlflow.data.from_pandas(train[[*cols, target]], source=f"s3://ml-data/{key}/train.parquet",
                                             name=f"{key}-train", targets=target)
                mlflow.log_input(ds, context="training")
                info = mlflow.sklearn.log_model(est, name="model", input_example=train[cols].head(2))
                run_id = run.info.run_id
            mv = mlflow.register_model(info.model_uri, model_name)
            made[f"{model_name}/{mv.version}"] = {"run": run_id, "dataset": f"{key}-train",
                                                  "created": when.isoformat()}
        client.set_registered_model_alias(model_name, "champion", str(versions))
    return made


def fix_calendar(db: Path, made: dict[str, dict[str, str]]) -> None:
    """Registry and run times on the fixed calendar (the client stamps the wall clock)."""
    con = sqlite3.connect(db)
    for key, facts in made.items():
        name, version = key.rsplit("/", 1)
        t = ms(datetime.fromisoformat(facts["created"]))
        con.execute("UPDATE model_versions SET creation_time=?, last_updated_time=? WHERE name=? AND version=?",
                    (t, t, name, int(version)))
        con.execute("UPDATE runs SET start_time=?, end_time=? WHERE run_uuid=?", (t - 600_000, t - 300_000,
                                                                                  facts["run"]))
        con.execute("UPDATE registered_models SET creation_time=MIN(creation_time, ?), last_updated_time=? "
                    "WHERE name=?", (t, t, name))
    con.execute("UPDATE experiments SET creation_time=?, last_update_time=?", (ms(START) - 86_400_000,
                                                                              ms(START) - 86_400_000))
    con.commit()
    con.execute("VACUUM")
    con.close()


def batch(frame: pd.DataFrame, week: int, seed: int) -> pd.DataFrame:
    return frame.sample(n=min(60, len(frame)), random_state=seed * 100 + week).reset_index(drop=True)


def evidently_snapshot(ref: pd.DataFrame, cur: pd.DataFrame, cols: list[str], when: datetime,
                       metadata: dict[str, str], tags: list[str]) -> str:
    from evidently import Report
    from evidently.metrics import DriftedColumnsCount, ValueDrift

    report = Report([DriftedColumnsCount(columns=cols), *(ValueDrift(column=c) for c in cols)],
                    metadata=metadata, tags=tags)
    snapshot = report.run(current_data=cur[cols], reference_data=ref[cols], timestamp=when.replace(tzinfo=None))
    return snapshot.dumps()


def gx_result(frame: pd.DataFrame, asset: str, cols: list[str], when: datetime,
              bounds: dict[str, tuple[float, float]]) -> dict[str, object]:
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    ctx = gx.get_context(mode="ephemeral")
    source = ctx.data_sources.add_pandas("batches")
    definition = source.add_dataframe_asset(asset).add_batch_definition_whole_dataframe("batch")
    suite = ctx.suites.add(gx.ExpectationSuite(name=f"{asset}-quality"))
    for c in cols:
        suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column=c))
        lo, hi = bounds[c]
        suite.add_expectation(gx.expectations.ExpectColumnValuesToBeBetween(column=c, min_value=lo, max_value=hi))
    validation = ctx.validation_definitions.add(gx.ValidationDefinition(name=f"{asset}-check", data=definition,
                                                                        suite=suite))
    result = validation.run(batch_parameters={"dataframe": frame},
                            run_id=RunIdentifier(run_name=f"{asset}-{when:%Y%m%d}", run_time=when))
    body: dict[str, object] = result.to_json_dict()
    return body


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def monitoring_results(out: Path, data: dict[str, pd.DataFrame], made: dict[str, dict[str, str]]) -> dict[str, object]:
    from mlflow import MlflowClient

    results = out / "results"
    iris = data["iris"]
    iris_cols = FEATURES["iris"]
    iris_ref = iris.sample(frac=0.6, random_state=7)
    drift_weeks = []
    for week in range(1, WEEKS - 1):  # 6 weekly drift reports for iris v2
        when = START + timedelta(weeks=week)
        cur = batch(iris, week, 1)
        if week >= SHIFT_FROM_WEEK:
            cur["petal length (cm)"] = cur["petal length (cm)"] + 2.0
            drift_weeks.append(when.date().isoformat())
        write(results / "evidently" / "iris" / f"week-{week:02d}.json",
              evidently_snapshot(iris_ref, cur, iris_cols, when,
                                 {"model_name": "iris-classifier", "model_version": "2"}, ["monitoring", "weekly"]))
    # GX on the iris training data: passes
    bounds = {c: (float(iris[c].min()), float(iris[c].max())) for c in iris_cols}
    write(results / "gx" / "iris-train-2026-10-27.json",
          json.dumps(gx_result(batch(iris, 8, 3), "iris-train", iris_cols, START + timedelta(weeks=8), bounds),
                     indent=1))

    wine = data["wine"]
    wine_cols = FEATURES["wine"]
    wbounds = {c: (float(wine[c].min()), float(wine[c].max())) for c in wine_cols}
    failing_weeks = []
    for week in range(2, WEEKS, 2):  # GX every other week on the wine training data
        when = START + timedelta(weeks=week)
        cur = batch(wine, week, 2).astype({c: "float64" for c in wine_cols})
        if week >= SHIFT_FROM_WEEK:
            cur.loc[:4, "malic_acid"] = np.nan
            cur.loc[5:9, "proline"] = cur["proline"].max() * 3
            failing_weeks.append(when.date().isoformat())
        write(results / "gx" / f"wine-train-{when:%Y-%m-%d}.json",
              json.dumps(gx_result(cur, "wine-train", wine_cols, when, wbounds), indent=1))
    wine_ref = wine.sample(frac=0.6, random_state=7)
    write(results / "evidently" / "wine" / "week-06.json",
          evidently_snapshot(wine_ref, batch(wine, 6, 2), wine_cols, START + timedelta(weeks=6),
                             {}, ["model:wine-classifier/1"]))

    digits = data["digits"]
    d_cols = FEATURES["digits"]
    d_ref = digits.sample(frac=0.6, random_state=7)
    write(results / "evidently" / "digits" / "2026-09-08.json",  # the training data itself: no drift
          evidently_snapshot(d_ref, d_ref.copy(), d_cols,
                             START + timedelta(weeks=1), {"model_name": "digits-classifier", "model_version": "1"},
                             []))

    # unlinked: names a model the store does not hold, and a dataset nobody logged
    write(results / "evidently" / "other-team.json",
          evidently_snapshot(iris_ref, batch(iris, 3, 5), iris_cols, START + timedelta(weeks=3),
                             {"model_name": "churn-model", "model_version": "4"}, []))
    write(results / "gx" / "customers-2026-10-20.json",
          json.dumps(gx_result(batch(wine, 7, 6).astype({c: "float64" for c in wine_cols}), "crm-customers",
                               wine_cols, START + timedelta(days=49), wbounds), indent=1))

    # SageMaker Model Monitor output layout: <endpoint>/<schedule>/YYYY/MM/DD/HH/
    write(results / "model-monitor" / "credit-limit-prod" / "credit-limit-data-quality" / "2026" / "10" / "20" /
          "13" / "constraint_violations.json", json.dumps({"violations": [
              {"feature_name": "income", "constraint_check_type": "baseline_drift_check",
               "description": "Baseline drift distance: 0.27 exceeds threshold: 0.1"},
              {"feature_name": "age", "constraint_check_type": "completeness_check",
               "description": "Data completeness 0.91 is below the baseline 0.99"}]}, indent=1))

    # rejected files
    small = json.loads((results / "evidently" / "iris" / "week-01.json").read_text(encoding="utf-8"))
    small["widgets"] = []  # the rejected copies without their (large) widgets
    for result in small["metric_results"].values():
        result["widget"] = []
    sample = json.dumps(small)
    write(results / "broken" / "truncated-snapshot.json", sample[: len(sample) // 2])
    write(results / "broken" / "package.json", json.dumps({"name": "dashboard", "version": "1.0.0",
                                                           "dependencies": {"react": "^18"}}, indent=1))
    bad = json.loads(sample)
    bad["timestamp"] = "last tuesday"
    write(results / "broken" / "bad-timestamp.json", json.dumps(bad))
    gx_bad = json.loads((results / "gx" / "iris-train-2026-10-27.json").read_text(encoding="utf-8"))
    gx_bad["results"] = "none"
    write(results / "broken" / "gx-results-not-a-list.json", json.dumps(gx_bad, indent=1))

    # breast-cancer-classifier: MLflow monitoring runs (tag mlops_desktop.monitoring)
    bc = data["breast_cancer"]
    bc_cols = FEATURES["breast_cancer"]
    bc_ref = bc.sample(frac=0.6, random_state=7)
    client = MlflowClient()
    exp = client.create_experiment("monitoring-jobs")
    mlflow_runs = []
    for week in (6, 7, 8):
        when = START + timedelta(weeks=week)
        cur = batch(bc, week, 7)
        run = client.create_run(exp, start_time=ms(when), run_name=f"drift-check-{when:%Y-%m-%d}", tags={
            "mlops_desktop.monitoring": "drift", "mlops_desktop.monitoring.model": "breast-cancer-classifier",
            "mlops_desktop.monitoring.version": "1", "mlops_desktop.monitoring.drift_threshold": "0.5",
            "mlflow.user": "monitor-bot"})
        for c in bc_cols:  # standardised mean difference against the training data
            score = abs(float(cur[c].mean() - bc_ref[c].mean())) / float(bc_ref[c].std())
            client.log_metric(run.info.run_id, f"drift.{c}", round(score, 6), timestamp=ms(when))
        client.set_terminated(run.info.run_id, end_time=ms(when) + 60_000)
        mlflow_runs.append(run.info.run_id)
    return {"iris_drift_weeks": drift_weeks, "wine_failing_weeks": failing_weeks, "mlflow_monitoring_runs": mlflow_runs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "fixtures" / "monitoring")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    out: Path = args.out
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    db = out / "mlflow.db"
    data = frames()
    made = train_and_log(db, data)
    facts = monitoring_results(out, data, made)
    fix_calendar(db, made)
    shutil.rmtree(out / "artifacts", ignore_errors=True)  # model files: not needed by the tests, kept small
    truth = {
        "today": TODAY,
        "max_age_days": 30,
        "versions": made,
        "status": {"iris-classifier/2": "drift", "wine-classifier/1": "data-quality",
                   "diabetes-regressor/1": "not-monitored", "digits-classifier/1": "not-monitored",
                   "breast-cancer-classifier/1": "checked", "iris-classifier/1": "checked"},
        "findings": {"F24": ["models:/diabetes-regressor/1", "models:/digits-classifier/1"],
                     "F25": ["models:/iris-classifier/2"], "F26": ["models:/wine-classifier/1"]},
        "unlinked": ["evidently/other-team.json", "gx/customers-2026-10-20.json"],
        "rejected": ["broken/bad-timestamp.json", "broken/gx-results-not-a-list.json", "broken/package.json",
                     "broken/truncated-snapshot.json"],
        **facts,
    }
    (out / "truth.json").write_text(json.dumps(truth, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out}")  # noqa: T201 - a tool's report
    return 0


if __name__ == "__main__":
    sys.exit(main())
