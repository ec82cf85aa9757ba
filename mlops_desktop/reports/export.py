"""Report export: findings -> PDF edition + evidence bundle, written atomically.

The PDF is laid out in memory, the evidence bundle is embedded in it, and both are written
to temporary files in the destination folder and renamed into place only when
everything succeeded (so a cancelled or failed export leaves no partial file). When a
``record`` callback is given (the governance audit log), the report's SHA-256 is recorded
before the files are renamed into place.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.errors import CancelledError, MlopsError, UsageError
from mlops_desktop.core.findings import DatasetView, Finding, GraphLineage, dataset_views, evaluate
from mlops_desktop.core.progress import (
    CancelledFn,
    ProgressFn,
    check_cancelled,
    never_cancelled,
    no_progress,
)
from mlops_desktop.reports.bundle import build_bundle, bundle_bytes, evidence_digest, sign_bundle
from mlops_desktop.reports.model import (
    GovernanceEvidence,
    ReportData,
    ReportSettings,
    assemble,
    store_content_hashes,
)

if TYPE_CHECKING:
    from mlops_desktop.governance.keys import SigningKey

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class ReportResult:
    path: Path
    bundle_path: Path
    sha256: str
    bundle_sha256: str
    report_id: str
    edition: str
    pages: int
    findings: list[Finding] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    log_index: int | None = None  # audit-log entry recording the report, when recorded
    signed_by: str | None = None  # key id of the PAdES signature, when the PDF was signed
    evidence_sha256: str = ""  # SHA-256 of the canonical signed part of the bundle (reports/bundle.py)
    bundle_signed_by: str | None = None  # key id of the officer's DSSE signature over the bundle
    sealed: bool = False  # the sidecar bundle carries the report record and its proofs

    def as_json(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "bundle": str(self.bundle_path),
            "sha256": self.sha256,
            "bundle_sha256": self.bundle_sha256,
            "report_id": self.report_id,
            "edition": self.edition,
            "pages": self.pages,
            "findings": len(self.findings),
            "models": self.models,
            "log_index": self.log_index,
            "evidence_sha256": self.evidence_sha256,
            "bundle_signed_by": self.bundle_signed_by,
            "sealed": self.sealed,
            **({"signed_by": self.signed_by} if self.signed_by is not None else {}),
        }


#: Called with the finished (not yet renamed) result; returns the audit-log index.
RecordFn = Callable[[ReportResult], "int | None"]

#: Signs the finished PDF bytes (PAdES, reports/pades.py); returns (signed bytes, signer key id).
SignFn = Callable[[bytes], tuple[bytes, str]]

#: Called after ``record`` with the result (its ``log_index`` set); returns the sidecar's report
#: record: the recording entry, its inclusion proof at a checkpoint signed after it, and consistency
#: from the report's checkpoint (docs/BUNDLE.md).
SealFn = Callable[[ReportResult], "dict[str, Any] | None"]


def bundle_path_for(out: Path) -> Path:
    return out.with_name(out.stem + ".evidence.json")


_views_lock = threading.Lock()
_views: list[tuple[Catalog, object, dict[str, DatasetView]]] = []


def catalog_views(catalog: Catalog, lineage: GraphLineage) -> dict[str, DatasetView]:
    """The dataset views of ``catalog`` over ``lineage``'s graph, built once per catalog and graph
    (the last pair's kept, as :func:`mlops_desktop.core.lineage.shared_graph` keeps the graph):
    each report of one loaded catalog reads the same views, and nothing changes them once built."""
    with _views_lock:
        for cat, graph, views in _views:
            if cat is catalog and graph is lineage.graph:
                return views
        views = dataset_views(catalog, lineage)
        _views[:] = [(catalog, lineage.graph, views)]
        return views


def check_output_path(out: Path) -> Path:
    """Refuse an output path we cannot write, before doing any work."""
    out = out.expanduser()
    if out.exists() and out.is_dir():
        raise UsageError(f"{out} is a folder.", "Give a file name for the report, e.g. report.pdf.")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.exists():
        raise UsageError(f"Cannot write the report to {out}: the folder {parent} does not exist.",
                         "Create the folder or pick another location.")
    if not parent.is_dir():
        raise UsageError(f"Cannot write the report to {out}: {parent} is a file, not a folder.",
                         "Pick another location.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"Cannot write the report to {out}: no permission to write in {parent}.",
                         "Pick a folder you can write to.")
    if out.exists() and not os.access(out, os.W_OK):
        raise UsageError(f"Cannot overwrite {out}: the file is read-only.", "Pick another file name.")
    return out


def _embed(pdf: bytes, name: str, payload: bytes, data: ReportData) -> tuple[bytes, int]:
    """The PDF with ``payload`` attached as an embedded (associated) file, finished as an archival
    file (XMP, PDF/A identification, sRGB output intent: reports/archival.py), and its page count."""
    from mlops_desktop.reports.archival import Attachment, finish
    from mlops_desktop.reports.pdf import doc_info

    att = Attachment(name, payload, "application/json", "Evidence bundle: envelopes, keys, checkpoint, proofs")
    return finish(pdf, doc_info(data), [att])


def _write_temp(folder: Path, stem: str, data: bytes) -> Path:
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=f".{stem}.", suffix=".part")
    except OSError as exc:
        raise UsageError(f"Cannot write in {folder}: {exc.strerror}.", "Pick a folder you can write to.") from exc
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise UsageError(f"Cannot write the report in {folder}: {exc.strerror}.",
                         "Check free disk space and permissions.") from exc
    return path


def export_report(
    catalog: Catalog,
    edition: str,
    out: Path | str,
    *,
    models: Sequence[str] | None = None,
    governance: GovernanceEvidence | None = None,
    settings: ReportSettings | None = None,
    findings: Sequence[Finding] | None = None,
    record: RecordFn | None = None,
    sign: SignFn | None = None,
    officer: SigningKey | None = None,
    seal: SealFn | None = None,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
) -> ReportResult:
    """Write the ``edition`` report of ``catalog`` to ``out`` (and its evidence bundle beside it).

    ``sign``, when given, signs the finished PDF (with its embedded bundle) before its SHA-256 is
    taken and recorded. ``officer``, when given, signs the evidence bundle (DSSE); without it the
    bundle is written unsigned and ``report verify`` says so. ``seal``, after ``record``, returns the
    report record the sidecar bundle carries (the embedded copy cannot hold the proof of the PDF's
    own hash)."""
    out = check_output_path(Path(out))
    settings = settings or ReportSettings()
    progress(0, 100, "Evaluating findings")
    from mlops_desktop.governance.policy import lineage_graph

    facts = governance.facts if governance is not None else None
    # the file stores' SHA-256 are read beside the evaluation (hashing releases the interpreter lock)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="report-store-hash") as pool:
        hashes = pool.submit(store_content_hashes, catalog.stores)
        # the lineage graph the governance evidence was judged on (one build per catalog)
        lineage = GraphLineage(catalog, lineage_graph(catalog))
        views = catalog_views(catalog, lineage)  # the engine and the report read the same datasets
        scope = [m for m in models or () if m]
        whole_catalog = findings is not None or not scope
        if findings is None:  # only what the report shows: the models in scope (core/findings/engine.py)
            findings = evaluate(catalog, facts, settings.findings, lineage=lineage, models=scope, views=views,
                                is_cancelled=is_cancelled)
        check_cancelled(is_cancelled)
        store_hashes = hashes.result()
    data: ReportData = assemble(catalog, edition, findings, models=models, governance=governance,
                                settings=settings, lineage=lineage, whole_catalog=whole_catalog,
                                store_hashes=store_hashes, dataset_views=views)
    bundle_file = bundle_path_for(out)
    doc = build_bundle(data, out.name)
    if officer is not None:
        doc = sign_bundle(doc, officer, datetime.now(UTC).isoformat())
    bundle = bundle_bytes(doc)
    bundle_sha = hashlib.sha256(bundle).hexdigest()
    counts = {
        "envelopes": len(doc["envelopes"]),
        "public_keys": len(doc["public_keys"]),
        "proofs": len(doc["log_entries"]),
    }
    progress(5, 100, "Laying out pages")

    def layout_progress(done: int, total: int, message: str) -> None:
        progress(5 + int(85 * done / max(1, total)), 100, message)

    from mlops_desktop.reports.pdf import render_pdf

    buf = io.BytesIO()
    render_pdf(data, buf, bundle_name=bundle_file.name, bundle_sha=bundle_sha, bundle_counts=counts,
               progress=layout_progress, is_cancelled=is_cancelled)
    check_cancelled(is_cancelled)
    progress(92, 100, "Embedding the evidence bundle")
    pdf, pages = _embed(buf.getvalue(), bundle_file.name, bundle, data)
    del buf
    check_cancelled(is_cancelled)
    signed_by: str | None = None
    if sign is not None:  # sign the final bytes, so the hash recorded below is of the signed file
        progress(94, 100, "Signing the PDF")
        pdf, signed_by = sign(pdf)
        check_cancelled(is_cancelled)
    result = ReportResult(
        path=out,
        bundle_path=bundle_file,
        sha256=hashlib.sha256(pdf).hexdigest(),
        bundle_sha256=bundle_sha,
        report_id=data.report_id,
        edition=edition,
        pages=pages,
        findings=list(data.findings),
        models=[m.name for m in data.models],
        signed_by=signed_by,
        evidence_sha256=evidence_digest(doc),
        bundle_signed_by=officer.key_id if officer is not None else None,
    )
    progress(95, 100, "Writing files")
    folder = out.parent if str(out.parent) else Path(".")
    tmp_pdf = _write_temp(folder, out.stem, pdf)
    tmp_bundle: Path | None = None
    try:
        check_cancelled(is_cancelled)
        sidecar = bundle
        if record is not None:
            progress(97, 100, "Recording the report in the audit log")
            result.log_index = record(result)
            if seal is not None and result.log_index is not None:
                report_record = seal(result)
                if report_record is not None:
                    sidecar = bundle_bytes({**doc, "report_record": report_record})
                    result.sealed = True
        tmp_bundle = _write_temp(folder, bundle_file.stem, sidecar)
        os.replace(tmp_bundle, bundle_file)
        os.replace(tmp_pdf, out)
    except (MlopsError, OSError, CancelledError) as exc:
        tmp_pdf.unlink(missing_ok=True)
        if tmp_bundle is not None:
            tmp_bundle.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise UsageError(f"Cannot write the report to {out}: {exc.strerror or exc}.",
                             "Pick a folder you can write to.") from exc
        raise
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_pdf.unlink(missing_ok=True)
            if tmp_bundle is not None:
                tmp_bundle.unlink(missing_ok=True)
        raise
    progress(100, 100, "Report written")
    logger.info("wrote %s (%d pages, sha256 %s)", out, pages, result.sha256)
    return result
