"""GUI benchmark on the DESIGN.md reference store (1x) and a store five times its size (5x).

Measures, in one offscreen process per store:
- time from ``open_stores`` to the first inventory rows in the table (budget: 1 s);
- time until the whole registry is shown;
- time from showing the Runs page to its first rows (budget at 5x: 1 s);
- peak resident memory after every page was visited (budget at 5x: 600 MB);
- the longest stretch the UI thread did not run its event loop (budget: 100 ms at 5x, 50 ms
  at 1x), watched by a 5 ms timer while the store loads, the version detail fills, filters
  are typed, tables are sorted, a run is selected, the runs are scrolled and every page is visited.

    python benchmarks/bench_gui.py [--store DB ...] [--write]   (--write updates BENCHMARKS.md "## GUI")

With ``BENCH_GUI_RSS=1`` each phase's end prints the resident memory (and the interpreter's
allocated blocks) to stderr; with ``BENCH_GUI_SETTLE=1`` the steps after the load wait until the
background work it started (governance, findings, monitoring) has ended, so memory and blocks are
told apart by what caused them; ``BENCH_GUI_STACKS=FILE`` samples the threads' stacks during blocks.

The 5x store: ``python benchmarks/scale_mlflow_store.py benchmarks/data/scale5x.db --models 10000
--runs 500000 --datasets 100000``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# a fresh client: the user's settings (last page, open stores) and audit log are not touched
_HOME = tempfile.mkdtemp(prefix="bench-gui-")
for _var, _sub in (("HOME", ""), ("XDG_CONFIG_HOME", ".config"), ("XDG_DATA_HOME", ".local/share"),
                   ("XDG_CACHE_HOME", ".cache")):
    os.environ[_var] = str(Path(_HOME) / _sub)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QElapsedTimer, Qt, QTimer  # noqa: E402

from benchmarks.report import write_section  # noqa: E402
from benchmarks.scale_mlflow_store import reference_store  # noqa: E402
from mlops_desktop.app import create_application  # noqa: E402
from mlops_desktop.ui.shell.main_window import MainWindow  # noqa: E402


def resident_mb() -> float:
    """The process's resident memory now (Linux ``/proc/self/statm``)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class BlockWatch:
    """Longest gap between ticks of a 5 ms timer = longest time the UI thread was busy.

    Each gap is split into the UI thread's own CPU time (``time.thread_time``: Qt and our
    slots running) and the CPU time of the process's other threads meanwhile (workers), so a
    block can be blamed on UI code, on a worker holding the GIL, or on neither (the machine
    busy with other processes).
    """

    def __init__(self) -> None:
        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.worst_ms = 0.0
        self.worst_phase = ""
        self.last_tick = 0.0
        self._phase = ""
        #: phase -> (worst gap ms, UI-thread CPU ms, other threads' CPU ms during that gap)
        self.by_phase: dict[str, tuple[float, float, float]] = {}
        self._cpu = 0.0
        self._process_cpu = 0.0

    @property
    def phase(self) -> str:
        return self._phase

    @phase.setter
    def phase(self, phase: str) -> None:
        if os.environ.get("BENCH_GUI_RSS"):  # resident memory as each phase ends
            print(f"{resident_mb():7.0f} MB  (peak {peak_mb():5.0f}, {sys.getallocatedblocks() / 1e6:5.2f}M blocks)  after {self._phase or 'start'}", file=sys.stderr)
        self._phase = phase
        self.by_phase.setdefault(phase, (0.0, 0.0, 0.0))  # listed even when no tick was late

    def start(self, phase: str) -> None:
        self.phase = phase
        self.clock.start()
        self._cpu = time.thread_time()
        self._process_cpu = time.process_time()
        self.timer.start()

    def _on_timer_timeout(self) -> None:
        gap = self.clock.nsecsElapsed() / 1e6
        cpu_now, process_now = time.thread_time(), time.process_time()
        cpu = (cpu_now - self._cpu) * 1000
        others = (process_now - self._process_cpu) * 1000 - cpu
        if gap > self.worst_ms:
            self.worst_ms, self.worst_phase = gap, self.phase
        if gap > self.by_phase.get(self.phase, (0.0, 0.0, 0.0))[0]:
            self.by_phase[self.phase] = (gap, cpu, others)
        self.clock.restart()
        self._cpu, self._process_cpu = cpu_now, process_now
        self.last_tick = time.perf_counter()


class StackSampler:
    """While the UI thread has not ticked for ``threshold_ms``, sample every thread's stack.

    Counts the innermost frames of the UI thread and of each worker seen during blocks, so a
    block is blamed on the code the UI thread was in (or waiting in) and on what the workers ran.
    """

    def __init__(self, watch: BlockWatch, threshold_ms: float = 40.0, every_s: float = 0.01) -> None:
        self.watch, self.threshold, self.every = watch, threshold_ms / 1000, every_s
        self.main_id = threading.get_ident()
        self.ui: dict[str, int] = {}
        self.workers: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stack-sampler", daemon=True)
        self.watch.last_tick = time.perf_counter()
        self.collections: list[tuple[str, str, int, float]] = []  # (phase, thread, generation, ms)
        self._gc_start = 0.0

    def _on_gc(self, stage: str, info: dict[str, int]) -> None:
        if stage == "start":
            self._gc_start = time.perf_counter()
            return
        ms = (time.perf_counter() - self._gc_start) * 1000
        if ms >= 20:
            self.collections.append((self.watch.phase, threading.current_thread().name, info["generation"], ms))

    def start(self) -> None:
        import gc

        gc.callbacks.append(self._on_gc)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        last = time.perf_counter()
        while not self._stop.wait(self.every):
            now = time.perf_counter()
            weight, last = round((now - last) * 1000), now  # ms since the last sample (late: the GIL was held)
            if now - self.watch.last_tick < self.threshold:
                continue
            phase = self.watch.phase
            for ident, frame in sys._current_frames().items():
                if ident == threading.get_ident():
                    continue
                stack = traceback.extract_stack(frame)[-8:]
                key = phase + " | " + " <- ".join(f"{Path(f.filename).name}:{f.lineno}:{f.name}"
                                                 for f in reversed(stack))
                into = self.ui if ident == self.main_id else self.workers
                into[key] = into.get(key, 0) + weight

    def report(self, top: int = 10) -> str:
        """The ``top`` stacks of each step, so a short step is not crowded out by a long one."""
        lines = ["== garbage collections of 20 ms or more (phase, thread, generation, ms)"]
        lines += [f"{p} | {t} | gen {g} | {ms:.0f} ms" for p, t, g, ms in self.collections]
        for title, counts in (("UI thread", self.ui), ("workers", self.workers)):
            lines.append(f"== {title} during blocks (ms, sampled every {self.every * 1000:.0f} ms or as soon as the GIL allowed)")
            shown: dict[str, int] = {}
            for key, n in sorted(counts.items(), key=lambda kv: -kv[1]):
                phase = key.split(" | ", 1)[0]
                if shown.get(phase, 0) < top:
                    shown[phase] = shown.get(phase, 0) + 1
                    lines.append(f"{n:5d}  {key}")
        return "\n".join(lines)


def wait(app, condition, timeout_s: float = 120.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.perf_counter() + timeout_s
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("benchmark step timed out")
        app.processEvents()
        time.sleep(0.001)


def run_once(store: Path) -> dict[str, float | str]:
    if os.environ.get("BENCH_GUI_SWITCH"):  # compare GIL switch intervals
        sys.setswitchinterval(float(os.environ["BENCH_GUI_SWITCH"]))
    app = create_application()
    window = MainWindow()
    window.show()
    app.processEvents()
    watch = BlockWatch()
    sampler = StackSampler(watch) if os.environ.get("BENCH_GUI_STACKS") else None
    if sampler is not None:
        sampler.start()
    first: list[float] = []
    window.models_view.model.rowsInserted.connect(lambda *_: first or first.append(time.perf_counter()))
    watch.start("opening the store")
    start = time.perf_counter()
    window.open_stores([str(store)])
    wait(app, lambda: bool(first))
    app.processEvents()  # the rows are painted
    first_rows = time.perf_counter() - start
    wait(app, lambda: not window.load_slot.is_running())
    all_shown = time.perf_counter() - start
    models = window.models_view.model.rowCount()
    if os.environ.get("BENCH_GUI_SETTLE"):  # let the background work after the load end first
        from mlops_desktop.ui.common.workers import live_worker_threads

        watch.phase = "background work after the load"
        wait(app, lambda: not live_worker_threads(), timeout_s=600)

    watch.phase = "selecting a version"
    window.models_view.table.selectRow(5)
    app.processEvents()
    watch.phase = "typing an inventory filter"
    type_filter(app, window.models_view.filter_bar.edit, ("m", "mo", "mod", "model-1", ""))
    watch.phase = "sorting the inventory"
    window.models_view.table.sortByColumn(6, Qt.SortOrder.DescendingOrder)
    app.processEvents()
    watch.phase = "datasets page"
    window.show_page("datasets")
    wait(app, lambda: idle(window.datasets_view))  # read from the store when first shown
    app.processEvents()
    datasets = window.datasets_view.model.total_count()
    watch.phase = "typing a datasets filter"
    type_filter(app, window.datasets_view.filter_bar.edit, ("d", "da", "dataset-1", "pii", ""))
    watch.phase = "sorting datasets"
    window.datasets_view.table.sortByColumn(5, Qt.SortOrder.DescendingOrder)
    app.processEvents()
    watch.phase = "runs page"
    runs_start = time.perf_counter()
    window.show_page("runs")
    wait(app, lambda: window.runs_view.model.rowCount() > 0 and window.runs_view.all_runs_loaded)
    app.processEvents()  # the rows are painted
    runs_first_s = time.perf_counter() - runs_start
    wait(app, lambda: runs_idle(window.runs_view))
    app.processEvents()
    runs_s = time.perf_counter() - runs_start
    runs = total_rows(window.runs_view)
    watch.phase = "typing a runs filter"
    type_filter(app, window.runs_view.filter_bar.edit, ("r", "ru", "run-1", "run-12", "finished", ""))
    watch.phase = "sorting runs"
    for column in (0, 5, 2):
        window.runs_view.table.sortByColumn(column, Qt.SortOrder.AscendingOrder)
        app.processEvents()
    watch.phase = "selecting a run"
    window.runs_view.table.selectRow(3)
    wait(app, lambda: runs_idle(window.runs_view))
    app.processEvents()
    watch.phase = "scrolling runs"
    bar = window.runs_view.table.verticalScrollBar()
    for step in range(20):  # to the middle, then to the end, letting each window be read
        bar.setValue(bar.maximum() // 2 if step < 10 else bar.maximum())
        settle(app, 0.05)
    wait(app, lambda: runs_idle(window.runs_view))
    watch.phase = "lineage page"
    window.show_page("lineage")
    wait(app, lambda: not window.lineage_page.slot.is_running() and not window.lineage_page.layout_slot.is_running())
    app.processEvents()
    for key in window._page_keys:  # every other page once
        watch.phase = f"{key} page"
        window.show_page(key)
        settle(app, 0.5)
    watch.phase = "end"
    watch.timer.stop()
    if sampler is not None:
        sampler.stop()
        Path(os.environ["BENCH_GUI_STACKS"]).write_text(sampler.report(), encoding="utf-8")
    peak = peak_mb()
    window.persist_layout = False
    window.close()
    return {"first_rows": first_rows, "all_shown": all_shown, "models": models, "runs": runs,
            "datasets": datasets, "runs_s": runs_s, "runs_first_s": runs_first_s, "peak_mb": peak, "worst_block_ms": watch.worst_ms,
            "worst_phase": watch.worst_phase, "by_phase": watch.by_phase}


def type_filter(app, edit, texts) -> None:  # type: ignore[no-untyped-def]
    """Type each text, letting the event loop run (and any filter worker finish) in between."""
    for text in texts:
        edit.setText(text)
        settle(app)


def settle(app, seconds: float = 0.3) -> None:  # type: ignore[no-untyped-def]
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.002)


def idle(view) -> bool:  # type: ignore[no-untyped-def]
    busy = getattr(view, "is_busy", None)
    return not busy() if callable(busy) else not view.prepare_slot.is_running()


def runs_idle(view) -> bool:  # type: ignore[no-untyped-def]
    """No worker of the Runs page is reading (the count is known, the first page shown)."""
    busy = getattr(view, "is_busy", None)
    return not (busy() if callable(busy) else view.task_slot.is_running())


def total_rows(view) -> int:  # type: ignore[no-untyped-def]
    model = view.model
    total = getattr(model, "total_count", None)
    return int(total()) if callable(total) else int(model.rowCount())


def store_label(store: Path) -> str:
    """What the store holds, counted from its tables (models, versions, runs, metric rows)."""
    import sqlite3

    con = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        n = [con.execute(f"select count(*) from {t}").fetchone()[0]
             for t in ("registered_models", "model_versions", "runs", "metrics", "datasets")]
    finally:
        con.close()
    return (f"{store.name} ({store.stat().st_size / 1e6:,.0f} MB; {n[0]:,} models, {n[1]:,} versions, {n[2]:,} runs, "
            f"{n[3]:,} metric rows, {n[4]:,} datasets)")


def measure(store: Path) -> dict[str, object]:
    """:func:`run_once` in a fresh process (peak memory is per process)."""
    out = subprocess.run([sys.executable, __file__, "--one", str(store)], check=True, capture_output=True, text=True)
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, action="append",
                        help="an MLflow SQLite store (repeatable; default: the reference store)")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)  # one measurement, as JSON on stdout
    parser.add_argument("--write", action="store_true", help="write the figures to BENCHMARKS.md")
    args = parser.parse_args(argv)
    if args.one is not None:
        print(json.dumps(run_once(args.one)))
        return 0
    stores = args.store or [reference_store()]
    results = [(store, measure(store)) for store in stores]
    lines = [
        "One offscreen process per store (`QT_QPA_PLATFORM=offscreen`); each opens the store, selects a "
        "version, filters and sorts the inventory, the Datasets and the Runs page, scrolls the runs, and "
        "visits every other page (Lineage, Approvals, Audit log...). Budgets of the second wave at 5x "
        "(at 1x the UI-thread budget is 50 ms).",
        "",
        "| measure | " + " | ".join(f"store {i + 1}" for i in range(len(results))) + " | budget (5x) |",
        "|---|" + "---|" * len(results) + "---|",
    ]

    def row(title: str, cells: list[str], budget: str) -> None:
        lines.append(f"| {title} | " + " | ".join(cells) + f" | {budget} |")

    rs = [r for _s, r in results]
    row("first inventory rows after `open_stores`", [f"{r['first_rows']:.2f} s" for r in rs], "<= 1 s")
    row("whole registry shown", [f"{r['all_shown']:.2f} s ({r['models']:,} models)" for r in rs], "-")
    row("Runs page: first rows", [f"{r['runs_first_s']:.2f} s" for r in rs], "<= 1 s")
    row("Runs page: idle (count known)", [f"{r['runs_s']:.2f} s ({r['runs']:,} runs)" for r in rs], "-")
    row("Datasets page: datasets", [f"{r['datasets']:,}" for r in rs], "-")
    row("peak resident memory after every page", [f"{r['peak_mb']:,.0f} MB" for r in rs], "< 600 MB")
    row("longest UI-thread block", [f"{r['worst_block_ms']:.0f} ms ({r['worst_phase']})" for r in rs],
        "<= 100 ms (1x: 50 ms)")
    lines += ["", *(f"Store {i + 1}: {store_label(s)}." for i, (s, _r) in enumerate(results)), "",
              "Longest UI-thread block per step (5 ms watch timer), with the UI thread's own CPU time in it "
              "and the worker threads' CPU time meanwhile:", "",
              "| step | " + " | ".join(f"store {i + 1}" for i in range(len(results))) + " |",
              "|---|" + "---|" * len(results)]
    phases = list(dict.fromkeys(p for r in rs for p in r["by_phase"]))  # type: ignore[attr-defined]
    for phase in phases:
        cells = []
        for r in rs:
            gap, cpu, others = r["by_phase"].get(phase, (0.0, 0.0, 0.0))  # type: ignore[attr-defined]
            cells.append(f"{gap:.0f} ms (UI {cpu:.0f}, workers {others:.0f})")
        lines.append(f"| {phase} | " + " | ".join(cells) + " |")
    lines += ["", "Command: `python benchmarks/bench_gui.py " + " ".join(f"--store {s}" for s in stores) + " --write`",
              "", "The 5x store is built with `python benchmarks/scale_mlflow_store.py benchmarks/data/scale5x.db "
              "--models 10000 --runs 500000 --datasets 100000`."]
    print("\n".join(lines))
    if args.write:
        write_section("GUI", lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
