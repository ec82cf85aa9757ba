"""Whole report and findings jobs from store URLs: what the CLI and the GUI dialog run.

Plain functions with ``progress`` / ``is_cancelled`` callbacks (the GUI runs them through
``ui/workers.py``); every expected problem is an :class:`~mlops_desktop.core.errors.MlopsError`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_desktop.core.entities import Catalog
from mlops_desktop.core.findings import Finding, FindingSettings, evaluate
from mlops_desktop.core.progress import (
    CancelledFn,
    ProgressFn,
    check_cancelled,
    never_cancelled,
    no_progress,
)
from mlops_desktop.reports.export import ReportResult, SignFn, check_output_path, export_report
from mlops_desktop.reports.governance_bridge import (
    collect_evidence,
    open_for_report,
    record_report,
    seal_report,
)
from mlops_desktop.reports.model import EDITIONS, GovernanceEvidence, ReportSettings

if TYPE_CHECKING:
    from cryptography import x509

    from mlops_desktop.governance.keys import SigningKey
    from mlops_desktop.sources.base import SourceSettings

logger = logging.getLogger(__name__)


def _pdf_signer(key: SigningKey, certificate: x509.Certificate | None) -> SignFn:
    """A PAdES signing function, checked up front (pyHanko installed, certificate fits the key)."""
    from mlops_desktop.reports import pades

    pades.require_pyhanko()
    cert = certificate or key.certificate or pades.self_signed_certificate(key)
    pades.check_certificate(cert, key)

    def sign(pdf: bytes) -> tuple[bytes, str]:
        return pades.sign_pdf_bytes(pdf, key, cert), key.key_id

    return sign


def _scaled(progress: ProgressFn, start: int, span: int) -> ProgressFn:
    def inner(done: int, total: int, message: str) -> None:
        frac = done / total if total else 0.0
        progress(start + int(span * min(1.0, frac)), 100, message)

    return inner


def _collecting_unverified(settings: SourceSettings, into: list[str]) -> SourceSettings:
    """``settings`` whose unverified-snapshot notice also appends to ``into``."""
    import dataclasses

    previous = settings.on_unverified

    def notice(line: str) -> None:
        into.append(line)
        if previous is not None:
            previous(line)

    return dataclasses.replace(settings, on_unverified=notice)


def load_stores(
    stores: Sequence[str],
    artifact_roots: Mapping[str, str] | None = None,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
    source_settings: SourceSettings | None = None,
) -> Catalog:
    """The stores' merged catalog. ``source_settings`` (the CLI's, with --allow-unverified and
    --trust-anchor) replaces the default settings; the artifact roots given are kept."""
    import dataclasses

    from mlops_desktop.governance.snapshot_view import snapshot_settings
    from mlops_desktop.sources.base import SourceSettings
    from mlops_desktop.sources.loader import load_catalog

    roots = dict(artifact_roots or {})
    if source_settings is not None:
        settings = dataclasses.replace(source_settings, artifact_roots=roots or dict(source_settings.artifact_roots))
    else:
        settings = snapshot_settings(SourceSettings(artifact_roots=roots))
    return load_catalog(list(stores), progress, is_cancelled, settings=settings)


def governance_evidence(
    governance_url: str | None,
    catalog: Catalog,
    artifact_roots: Mapping[str, str] | None = None,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
    store_urls: Sequence[str] | None = None,
    models: Sequence[str] | None = None,
) -> tuple[Any, GovernanceEvidence | None]:
    """(open governance store or None, its evidence or None). With ``store_urls`` (what the catalog
    was loaded from) its registries are first recorded in the registry journal, as every command
    that opens a registry does, so the promotions judged include the state now."""
    gov = open_for_report(governance_url)
    if gov is None:
        return None, None
    try:
        if store_urls is not None:
            from mlops_desktop.governance.journal import observe_opened

            observe_opened(gov, catalog, store_urls)
        return gov, collect_evidence(gov, catalog, artifact_roots=artifact_roots, progress=progress,
                                     is_cancelled=is_cancelled, models=[m for m in models or () if m])
    except BaseException:
        gov.close()
        raise


def run_findings(
    stores: Sequence[str],
    *,
    governance_url: str | None = None,
    artifact_roots: Mapping[str, str] | None = None,
    settings: FindingSettings | None = None,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
    source_settings: SourceSettings | None = None,
) -> list[Finding]:
    catalog = load_stores(stores, artifact_roots, _scaled(progress, 0, 50), is_cancelled, source_settings)
    check_cancelled(is_cancelled)
    gov, evidence = governance_evidence(governance_url, catalog, artifact_roots, _scaled(progress, 50, 30), is_cancelled,
                                        store_urls=stores)
    try:
        return evaluate(catalog, evidence.facts if evidence else None, settings,
                        progress=_scaled(progress, 80, 20), is_cancelled=is_cancelled)
    finally:
        if gov is not None:
            gov.close()


def run_report(
    stores: Sequence[str],
    edition: str,
    out: Path | str,
    *,
    models: Sequence[str] | None = None,
    governance_url: str | None = None,
    artifact_roots: Mapping[str, str] | None = None,
    settings: ReportSettings | None = None,
    catalog: Catalog | None = None,
    sign_key: SigningKey | None = None,
    sign_cert: x509.Certificate | None = None,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
    source_settings: SourceSettings | None = None,
) -> ReportResult:
    """Load the stores (unless ``catalog`` is given), gather governance evidence, write the report
    and record its hash in the audit log. With ``sign_key`` the PDF carries a PAdES B-B signature
    (``sign_cert``, the key's own certificate, or a self-signed one) and the recorded hash is of
    the signed file. ``sign_key`` also signs the evidence bundle (DSSE); the sidecar bundle carries
    the proof that the PDF's SHA-256 is in the audit log (docs/BUNDLE.md)."""
    from mlops_desktop.core.errors import UsageError

    if edition not in EDITIONS:
        raise UsageError(f"Unknown report edition {edition!r}.", f"Use one of: {', '.join(EDITIONS)}.")
    out = check_output_path(Path(out))
    sign = _pdf_signer(sign_key, sign_cert) if sign_key is not None else None
    unverified: list[str] = []  # inputs used with --allow-unverified: the cover says so
    if catalog is None:
        if source_settings is not None:
            source_settings = _collecting_unverified(source_settings, unverified)
        catalog = load_stores(stores, artifact_roots, _scaled(progress, 0, 30), is_cancelled, source_settings)
    check_cancelled(is_cancelled)
    gov, evidence = governance_evidence(governance_url, catalog, artifact_roots, _scaled(progress, 30, 15),
                                        is_cancelled, store_urls=stores, models=models)
    gov_unverified = getattr(gov, "unverified", None)  # a governance snapshot opened unverified
    if isinstance(gov_unverified, str) and gov_unverified:
        unverified.append(gov_unverified)
    if unverified:
        import dataclasses

        settings = settings or ReportSettings()
        settings = dataclasses.replace(settings, unverified_inputs=(*settings.unverified_inputs, *unverified))
    try:
        record = None
        seal = None
        if gov is not None:
            if gov.read_only:
                logger.warning("governance store %s is read-only: the report's hash cannot be recorded", gov.url)
            else:
                def record(result: ReportResult) -> int:
                    return record_report(gov, result)

                since = evidence.checkpoint_size if evidence is not None else None

                def seal(result: ReportResult) -> dict[str, Any] | None:
                    return seal_report(gov, result.log_index, since) if result.log_index is not None else None

        return export_report(catalog, edition, out, models=models, governance=evidence, settings=settings,
                             record=record, sign=sign, officer=sign_key, seal=seal, progress=_scaled(progress, 45, 55), is_cancelled=is_cancelled)
    finally:
        if gov is not None:
            gov.close()
