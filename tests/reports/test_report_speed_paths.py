"""The shortcuts a report takes for speed give the same facts: decisions judged for the models in
scope only are judged as in the whole catalog (and none outside scope is judged), and joined table
cell commands paint the same cells."""

from __future__ import annotations

from pathlib import Path

from reportlab.lib import colors

from mlops_desktop.core.entities import Catalog
from mlops_desktop.reports.document import DeferredTable, colours_light, merge_cell_commands
from mlops_desktop.reports.governance_bridge import collect_evidence, open_for_report
from mlops_desktop.reports.jobs import run_report
from tests.reports.govfix import SETTINGS, Gov, approve
from tests.reports.test_report_pdf import flat, pdf_text


def _evidence(gov_url: str, catalog: Catalog, models: list[str] | None = None):  # type: ignore[no-untyped-def]
    gov = open_for_report(gov_url)
    assert gov is not None
    try:
        return collect_evidence(gov, catalog, models=models)
    finally:
        gov.close()


def test_scoped_verdicts_equal_the_whole_catalog_ones(catalog: Catalog, governance: Gov) -> None:
    # dan trained demand-forecast v3 (self-approval: does not count); alice's counts; bob on credit-limit
    ids = [approve(governance, catalog, "dan@example.org", "demand-forecast", "3", "Production"),
           approve(governance, catalog, "alice@example.org", "demand-forecast", "3", "Production")]
    other = approve(governance, catalog, "bob@example.org", "credit-limit", "3", "Production")
    whole = _evidence(governance.url, catalog).verdicts
    scoped = _evidence(governance.url, catalog, ["demand-forecast"]).verdicts
    assert set(scoped.decisions) == set(ids)  # bob's decision on credit-limit is not judged
    assert other in whole.decisions
    for i in ids:
        assert scoped.decisions[i] == whole.decisions[i]
    assert not whole.decisions[ids[0]].counts and whole.decisions[ids[1]].counts
    assert scoped.targets == {k: v for k, v in whole.targets.items() if k[0] == "demand-forecast"}
    assert scoped.targets  # the scoped model has evaluated targets: the comparison is not vacuous
    assert any(k[0] != "demand-forecast" for k in whole.targets)


def test_scoped_report_prints_the_decision_verdicts(catalog: Catalog, governance: Gov, mlflow3_db: Path,
                                                     tmp_path: Path) -> None:
    approve(governance, catalog, "dan@example.org", "demand-forecast", "3", "Production")
    approve(governance, catalog, "alice@example.org", "demand-forecast", "3", "Production")
    approve(governance, catalog, "bob@example.org", "credit-limit", "3", "Production")
    out = run_report([str(mlflow3_db)], "gdpr", tmp_path / "r.pdf", models=["demand-forecast"],
                     governance_url=governance.url, settings=SETTINGS)
    text = flat(pdf_text(out.path))
    assert "dan@example.org" in text and "alice@example.org" in text
    # bob's decision is on a model out of scope: counted neither here nor as judged
    assert "2 of 2 signed decisions have a valid signature and 1 count toward their target" in text


def test_merge_joins_runs_of_one_column_only() -> None:
    red, amber = colours_light(colors.red), colours_light(colors.orange)
    assert colours_light(colors.red) is red  # one object per colour, so runs of it join
    cmds = [("BACKGROUND", (1, 1), (1, 1), red), ("BACKGROUND", (1, 2), (1, 2), red),
            ("BACKGROUND", (1, 3), (1, 3), amber), ("BACKGROUND", (1, 5), (1, 5), amber),
            ("BACKGROUND", (2, 6), (2, 6), amber), ("BACKGROUND", (1, 7), (1, 7), amber),
            ("TEXTCOLOR", (1, 8), (1, 8), amber)]
    assert merge_cell_commands(cmds) == [
        ("BACKGROUND", (1, 1), (1, 2), red), ("BACKGROUND", (1, 3), (1, 3), amber),
        ("BACKGROUND", (1, 5), (1, 5), amber), ("BACKGROUND", (2, 6), (2, 6), amber),
        ("BACKGROUND", (1, 7), (1, 7), amber), ("TEXTCOLOR", (1, 8), (1, 8), amber)]


def _cell_backgrounds(cmds: list[tuple[object, ...]], rows: int) -> dict[tuple[int, int], object]:
    t = DeferredTable([["x", "y", "z"] for _ in range(rows)])
    from reportlab.platypus import TableStyle

    t.setStyle(TableStyle(cmds))
    painted: dict[tuple[int, int], object] = {}
    for _, (c0, r0), (c1, r1), colour in t._bkgrndcmds:  # noqa: SLF001 (the table's own record)
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                painted[(c, r)] = colour
    return painted


def test_merged_commands_paint_the_same_cells() -> None:
    shades = [colours_light(c) for c in (colors.red, colors.orange, colors.yellow)]
    cmds = [("BACKGROUND", (1, i), (1, i), shades[(i // 4) % 3]) for i in range(1, 40) if i % 7]
    merged = merge_cell_commands(cmds)
    assert len(merged) < len(cmds) / 2
    assert _cell_backgrounds(merged, 40) == _cell_backgrounds(cmds, 40)


def test_store_hash_is_read_again_when_the_store_changes(tmp_path: Path) -> None:
    import hashlib
    import os
    import time

    from mlops_desktop.core.entities import StoreInfo
    from mlops_desktop.reports import model

    store = tmp_path / "mlflow.db"
    store.write_bytes(b"first state" * 1000)
    info = StoreInfo(kind="mlflow", url=str(store), schema="", identity=str(store))
    fresh = model.store_content_hashes([info])[str(store)]
    assert not [k for k in model._file_hashes if k[0] == str(store.resolve())]  # noqa: SLF001 (changed just now: not kept)
    time.sleep(1.2)
    first = model.store_content_hashes([info])[str(store)]
    assert first == fresh
    assert [k for k in model._file_hashes if k[0] == str(store.resolve())]  # noqa: SLF001 (settled: kept)
    assert first == "sha256:" + hashlib.sha256(store.read_bytes()).hexdigest()
    assert model.store_content_hashes([info])[str(store)] == first  # unchanged: the kept digest
    st = store.stat()
    with store.open("r+b") as fh:  # same size, the modified time put back: only ctime tells
        fh.write(b"F")
    os.utime(store, ns=(st.st_atime_ns, st.st_mtime_ns))
    time.sleep(1.2)
    second = model.store_content_hashes([info])[str(store)]
    assert second == "sha256:" + hashlib.sha256(store.read_bytes()).hexdigest() != first
    store.unlink()  # another file at the same path (new inode), same bytes as the first state
    store.write_bytes(b"first state" * 1000)
    time.sleep(1.2)
    assert model.store_content_hashes([info])[str(store)] == first


def test_dataset_views_kept_per_catalog_equal_a_fresh_build(catalog: Catalog, mlflow3_db: Path) -> None:
    from mlops_desktop.core.findings import GraphLineage, dataset_views
    from mlops_desktop.core.lineage import shared_graph
    from mlops_desktop.reports.export import catalog_views
    from mlops_desktop.sources.loader import load_catalog

    lineage = GraphLineage(catalog, shared_graph(catalog))
    kept = catalog_views(catalog, lineage)
    assert catalog_views(catalog, GraphLineage(catalog, lineage.graph)) is kept
    fresh = dataset_views(catalog, lineage)
    assert {k: (v.tags, [(m.name, mv.version) for m, mv in v.consumers]) for k, v in kept.items()} == {
        k: (v.tags, [(m.name, mv.version) for m, mv in v.consumers]) for k, v in fresh.items()}
    assert any(v.consumers for v in kept.values())
    other = load_catalog([str(mlflow3_db)])  # another load: its own views
    assert catalog_views(other, GraphLineage(other, shared_graph(other))) is not kept
