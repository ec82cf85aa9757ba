"""ReportLab platypus rendering of the three report editions.

One engine, three tables of contents (COMPLIANCE.md): a common frame (cover, contents,
executive summary, scope and method, findings register, inventory, appendices, sign-off)
around the edition's own sections (:mod:`mlops_desktop.reports.editions`), laid out with
the document machinery of :mod:`mlops_desktop.reports.document`. The report shows
evidence, not legal conclusions: where the metadata can only point at a document it says
"referenced, not assessed".
"""

from __future__ import annotations

import logging
from typing import BinaryIO

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

from mlops_desktop import __version__
from mlops_desktop.core.entities import ModelVersion, RegisteredModel, iso
from mlops_desktop.core.findings import RULES, SEVERITIES, count_by_severity
from mlops_desktop.core.lineage import version_node_id
from mlops_desktop.core.progress import CancelledFn, ProgressFn, never_cancelled, no_progress
from mlops_desktop.reports import charts, editions, governance_sections
from mlops_desktop.reports.archival import DocInfo
from mlops_desktop.reports.document import (
    FRAME_W,
    MARGIN,
    NOT_ASSESSED,
    NOT_RECORDED,
    DeferredContents,
    Figure,
    NumberedCanvas,
    ReportBuilder,
    ReportDoc,
    esc,
    fmt_tags,
    prefill_contents,
)
from mlops_desktop.reports.fonts import MONO, SANS, SANS_BOLD, register_fonts
from mlops_desktop.reports.governance_sections import (
    deleted_versions,
    inputs_by_role,
    remediation_cell,
)
from mlops_desktop.reports.model import ReportData
from mlops_desktop.reports.model_card import build_card

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------- common parts


def _unverified_banner(b: ReportBuilder, lines: tuple[str, ...]) -> None:
    """A boxed warning on the cover: the report was built on inputs that are not verified."""
    text = ("<b>UNVERIFIED INPUT</b> — this report was built with --allow-unverified on input that is not "
            "verified; what it shows may not be what was signed: " + "; ".join(esc(line) for line in lines))
    box = Table([[b.p(text, "cell")]], colWidths=[FRAME_W])
    box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1.5, colors.HexColor("#b3261e")),
                             ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#fdecea")),
                             ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    b.add(box, Spacer(1, 0.4 * cm))


def _cover(b: ReportBuilder) -> None:
    d = b.d
    if d.settings.unverified_inputs:
        _unverified_banner(b, d.settings.unverified_inputs)
    b.add(Spacer(1, 3 * cm))
    b.para(esc(d.title), "title")
    b.para(esc({"gdpr": "General Data Protection Regulation (EU) 2016/679",
                "hipaa": "HIPAA Privacy and Security Rules (45 CFR Parts 160 and 164)",
                "eu-ai-act": "Regulation (EU) 2024/1689 (Artificial Intelligence Act)",
                "model-risk": "Federal Reserve SR 11-7 and PRA SS1/23 model risk management"}[d.edition]), "subtitle")
    b.add(Spacer(1, 1.2 * cm))
    scope = ", ".join(m.name for m in d.models) if d.scope_names else f"All registered models ({len(d.models)})"
    gov = d.governance
    rows: list[tuple[str, object]] = [
        ("Report id", d.report_id),
        ("Edition", d.edition),
        ("Snapshot time", iso(d.generated_at)),
        ("Scope", scope if d.models else "Nothing in scope"),
        ("Organisation", d.settings.organisation_name() or "not recorded — gap (report profile)"),
        ("Prepared by", d.settings.preparer()),
        ("Report profile", d.settings.profile.source or "none given"),
        ("Application", f"mlops-desktop {__version__}"),
        ("Governance store", gov.store_url if gov and gov.store_url else "none"),
        ("Audit-log checkpoint", f"size {gov.checkpoint_size}, root {gov.checkpoint_root}"
         if gov and gov.checkpoint_root else "none"),
    ]
    b.add(b.kv(rows, mono_keys=("Report id",)))
    b.add(Spacer(1, 0.6 * cm))
    b.h3("Stores read (read-only)")
    b.table(
        ["Kind", "URL", "Schema", "Identity / content hash"],
        [[s.kind, s.url, s.schema, d.store_hashes.get(s.url) or s.identity or "—"] for s in d.catalog.stores],
        [1.2, 3.8, 2.0, 3.0],
        empty="No store identities were recorded.",
    )
    b.para(
        "This report shows evidence drawn from ML metadata and the signed governance record; it does not state "
        "legal conclusions. Where the metadata only points at a document (a DPIA, a lawful-basis assessment, a "
        f"declaration of conformity) the report says “{NOT_ASSESSED}”.",
        "note",
    )
    b.add(NextPageTemplate("body"), PageBreak())


def _toc(b: ReportBuilder) -> TableOfContents:
    b.para("Contents", "h3")
    toc = DeferredContents()
    toc.levelStyles = [b.s["toc1"], b.s["toc2"]]
    toc.dotsMinLevel = 0
    toc.tableStyle = TableStyle([("FONT", (0, 0), (-1, -1), SANS, 8.5, 11), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                 ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    b.add(toc, PageBreak())
    return toc


def _executive_summary(b: ReportBuilder) -> None:
    d = b.d
    b.h1("1. Executive summary")
    versions = d.versions()
    deployed = [(m, v) for m, v in versions if b.targets(m, v)]
    phi = sum(1 for m, v in versions if b.classification(m, v).phi)
    pii = sum(1 for m, v in versions if b.classification(m, v).pii)
    counts = count_by_severity(d.findings)
    approvals = d.approvals()
    valid = sum(1 for a in approvals if a.valid)
    if not d.models:
        b.para("Nothing is in scope: the stores hold no registered models" +
               (" matching the requested names." if d.scope_names else "."))
    b.para(
        f"In scope: <b>{len(d.models)}</b> registered models with <b>{len(versions)}</b> versions, of which "
        f"<b>{len(deployed)}</b> are deployed (production stage, production alias or pushed). "
        f"<b>{pii}</b> versions use personal data and <b>{phi}</b> protected health information by lineage. "
        f"<b>{len(approvals)}</b> signed decisions are on record for these models, <b>{valid}</b> of them verify. "
        f"The findings engine raised <b>{len(d.findings)}</b> findings: "
        + ", ".join(f"{counts[s]} {s}" for s in SEVERITIES) + "."
    )
    b.add(Figure(charts.severity_chart(counts, width=FRAME_W * 0.8)))
    b.add(Spacer(1, 6))
    top = d.findings[:10]
    if top:
        b.h3("Most severe findings")
        b.table(
            ["Id", "Severity", "Object", "Rule"],
            [[f.id, f.severity, f.object, f.rule] for f in top],
            [0.6, 1.1, 3.5, 5.0],
            style_cells=b.severity_style(1),
        )
    else:
        b.para("No findings were raised for the models in scope.", "note")


def _scope_and_method(b: ReportBuilder) -> None:
    d = b.d
    st = b.settings
    b.h1("2. Scope and method")
    b.para(
        "The application read the stores below read-only, merged them into one catalog, built the lineage graph "
        "(datasets, jobs, runs, models, versions, deployments) and evaluated the findings catalogue over the catalog, "
        "the lineage and the governance store. Classification tags are read from dataset inputs, datasets, models and "
        "versions; PHI propagates downstream along lineage until a de-identification step."
    )
    b.add(
        b.kv(
            [
                ("Models in scope", ", ".join(m.name for m in d.models) or "none"),
                ("Production stages", ", ".join(st.production_stages)),
                ("Production aliases", ", ".join(st.production_aliases)),
                ("Approvals needed per target", str(st.min_approvals)),
                ("Evaluation date", st.current_date().isoformat()),
                ("Retention duty (HIPAA documentation)", f"{st.retention_years} years"),
                ("Findings in scope / in all stores", f"{len(d.findings)} / {d.all_findings}")
                if d.all_findings is not None else
                ("Findings in scope", f"{len(d.findings)} (evaluated for the models in scope only; the other "
                 "models of the stores were not evaluated for this report)"),
            ]
        )
    )
    b.add(Spacer(1, 6))
    b.h3("Findings catalogue applied")
    b.table(["Id", "Severity", "Rule"], [[fid, st.severity_of(fid), rule] for fid, rule in RULES.items()],
            [0.6, 0.9, 8.0])


def _findings_register(b: ReportBuilder, number: int) -> None:
    b.h1(f"{number}. Findings register")
    if not b.d.findings:
        b.para("No findings were raised for the models in scope.", "note")
        return
    status = getattr(b.d.settings, "finding_status", None) or {}
    b.para("Each finding by its stable key (rule id and object: the same finding keeps its key from report to "
           "report). Owner, due date and status come from the findings status file"
           + ("" if status else "; none was given, so every finding is open with no owner recorded") + ". A "
           "closure counts only when signed by whoever closed it.", "note")
    # the key column as wide as the longest key (never broken), the rule column takes the rest
    key_w = max(1.0, (max(b.text_width(f.key) for f in b.d.findings) + 12) / FRAME_W * 11.25)
    b.table(
        ["Key", "Severity", "Object", "Rule and evidence", "Remediation", "Owner, due, status"],
        [
            [f.key, f.severity, f.object, b.lines_cell((f.rule, SANS_BOLD), (f.evidence, SANS)), f.remediation,
             remediation_cell(status.get(f.key))]
            for f in b.d.findings
        ],
        [key_w, 0.85, 1.85, 4.75 - key_w, 2.05, 1.75],
        style_cells=b.severity_style(1),
    )


def _inventory(b: ReportBuilder, number: int) -> None:
    d = b.d
    b.h1(f"{number}. Inventory")
    if b.nothing_in_scope():
        return
    b.h2(f"{number}.1 Model versions")
    rows = []
    for m, v in d.versions():
        cls = b.classification(m, v)
        rows.append([m.name, v.version, v.stage or "—", ", ".join(sorted(set(v.aliases) | {a for a, x in m.aliases.items() if x == v.version})) or "—",
                     v.author or NOT_RECORDED, (v.run_id or "—")[:8], " ".join(cls.badges) or "—",
                     ", ".join(b.targets(m, v)) or "—"])
    b.table(["Model", "Version", "Stage", "Aliases", "Author", "Run", "Class.", "Deployed as"], rows,
            [2.4, 0.9, 1.1, 1.1, 2.2, 1.1, 0.8, 1.4])
    b.h2(f"{number}.2 Datasets feeding the models in scope")
    b.table(
        ["Dataset", "Digest", "Source", "Classification tags", "Used by"],
        [[v.name, v.digest[:12] or "—", v.source, fmt_tags(v.tags), "\n".join(sorted({mv.uri for _, mv in v.consumers})[:6])]
         for v in sorted(b.views.values(), key=lambda x: (x.name, x.digest))],
        [1.8, 1.0, 2.2, 3.0, 2.4],
        empty="No datasets are recorded for the models in scope.",
    )
    deleted_versions(b, f"{number}.3")


def _model_cards(b: ReportBuilder, number: int) -> None:
    d = b.d
    b.h1("Appendix A. Model cards and lineage figures")
    if b.nothing_in_scope():
        return
    graph = d.graph
    for i, model in enumerate(d.models, start=1):
        b.h2(f"A.{i} {model.name}")
        kv = b.kv(
            [
                ("Description", model.description or NOT_RECORDED),
                ("Model tags", fmt_tags(model.tags)),
                ("Aliases", ", ".join(f"{a} → v{v}" for a, v in sorted(model.aliases.items())) or "—"),
                ("Versions", str(len(model.visible_versions()))),
            ]
        )
        b.add(kv, Spacer(1, 4))
        editions.external_claims(b, model)
        version = b.key_version(model)
        if version is None:
            b.para("This registered model has no versions.", "note")
            continue
        model_card_section(b, model, version)
        cls = b.classification(model, version)
        run = b.run(version)
        b.h3(f"Version {version.version} (" + (", ".join(b.targets(model, version)) or "not deployed") + ")")
        b.add(
            b.kv(
                [
                    ("Source", version.source or "—"),
                    ("Run", f"{version.run_id or '—'}" + (f" ({run.name}, user {run.user})" if run else "")),
                    ("Author", version.author or NOT_RECORDED),
                    ("Created", iso(version.created_at) or NOT_RECORDED),
                    ("Classification", " ".join(cls.badges) or "no PII/PHI recorded"),
                    ("Training data", inputs_by_role(version)[0] if version.datasets else NOT_RECORDED),
                    ("Evaluation data", inputs_by_role(version)[1] if version.datasets else NOT_RECORDED),
                    ("Inputs without a recorded context", inputs_by_role(version)[2] if version.datasets else "—"),
                ]
            ),
            Spacer(1, 4),
        )
        governance_sections.governance_section(b, model, version)
        nodes, edges, inferred = charts.lineage_nodes_for(graph, version_node_id(model.name, version.version),
                                                          d.settings.max_lineage_nodes)
        b.add(KeepTogether([b.p(f"Figure A.{i}: lineage of {esc(model.name)} v{esc(version.version)}", "small"),
                            Figure(charts.lineage_figure(nodes, edges, width=FRAME_W, inferred=inferred))]))
        metrics = sorted(run.metrics.values(), key=lambda m: m.key)[: d.settings.max_metrics] if run else []
        if metrics:
            b.add(Spacer(1, 4),
                  Figure(charts.metric_chart([(m.key, m.value) for m in metrics], width=FRAME_W,
                                              title=f"Latest metrics of run {version.run_id[:12] if version.run_id else ''}")))
        else:
            b.para("No metrics recorded for this version's run.", "note")


def model_card_section(b: ReportBuilder, model: RegisteredModel, version: ModelVersion | None) -> None:
    """The model card of ``model`` (SageMaker model card sections; reports/model_card.py), gaps named."""
    card = build_card(b.d.catalog, model, version, b.run)
    b.h3("Model card" + (f" (version {version.version})" if version is not None else ""))
    for section in card.sections:
        b.add(KeepTogether([b.p(f"<i>{esc(section.title)}</i>", "small"), b.kv(section.rows)]), Spacer(1, 2))
    if card.gaps:
        b.para(f"Model card gaps ({len(card.gaps)}): " + esc("; ".join(card.gaps)) + ".", "note")


def _audit_transcript(b: ReportBuilder) -> None:
    d = b.d
    b.h1("Appendix C. Audit-log verification transcript")
    gov = d.governance
    audit = d.facts.audit
    if gov is None or audit is None:
        b.para("No governance store was given: the audit log was not verified for this report.", "note")
        return
    b.add(
        b.kv(
            [
                ("Result", "CONSISTENT" if audit.ok and not audit.problems else "INCONSISTENT"),
                ("Log size", str(audit.size)),
                ("Root hash", audit.root_hash),
                # the log is verified first, then the report signs (or reuses) a checkpoint of it
                ("Latest checkpoint when verified",
                 "none recorded" if audit.checkpoint_size is None else f"size {audit.checkpoint_size}"),
                ("Checkpoint the report was made at",
                 f"size {gov.checkpoint_size} (below)" if gov.checkpoint and gov.checkpoint_size is not None
                 else "none (see the transcript)"),
                ("Breaks found", "; ".join(audit.problems) or "none"),
            ],
            mono_keys=("Root hash",),
        ),
        Spacer(1, 6),
    )
    if gov.checkpoint:
        b.h3("Signed checkpoint the report was made at")
        for line in gov.checkpoint.splitlines():
            b.para(esc(line) or "&nbsp;", "mono")
        b.add(Spacer(1, 6))
    if gov.transcript:
        b.h3("Transcript")
        for line in gov.transcript:
            b.para(esc(line), "mono")


def _bundle_appendix(b: ReportBuilder, bundle_name: str, bundle_sha: str, counts: dict[str, int]) -> None:
    b.h1("Appendix D. Evidence bundle")
    b.para(
        f"The evidence bundle <font face='{MONO}'>{esc(bundle_name)}</font> is attached to this PDF as an embedded "
        "file and written next to it. It holds the approval envelopes cited (verbatim), the public keys, the "
        "checkpoint the report was made at and the inclusion proofs of the cited audit-log entries, so the evidence "
        "can be checked without the database (<font face='" + MONO + "'>mlops-desktop</font> or any DSSE and RFC 9162 "
        "implementation)."
    )
    b.add(
        b.kv(
            [
                ("Bundle SHA-256", bundle_sha),
                ("Envelopes", str(counts.get("envelopes", 0))),
                ("Public keys", str(counts.get("public_keys", 0))),
                ("Inclusion proofs", str(counts.get("proofs", 0))),
            ],
            mono_keys=("Bundle SHA-256",),
        )
    )


def _sign_off(b: ReportBuilder) -> None:
    roles = {
        "gdpr": ["Prepared by", "Data protection officer", "Controller representative"],
        "hipaa": ["Prepared by", "Privacy officer", "Security officer"],
        "eu-ai-act": ["Prepared by", "AI compliance lead", "Provider representative"],
        "model-risk": ["Prepared by", "Model validator (independent of development)", "Model owner",
                       "Model risk committee"],
    }[b.d.edition]
    b.add(PageBreak())
    b.h1("Sign-off")
    b.para(
        f"The undersigned have reviewed report {esc(b.d.report_id)} and its findings register. Signing here records "
        "review of the evidence, not a legal conclusion."
    )
    rows = [[role, b.d.settings.author_name() if role == "Prepared by" else "", "", ""] for role in roles]
    data = [[b.cell(h, "cellb") for h in ("Role", "Name", "Signature", "Date")]] + [
        [b.cell(c) for c in r] for r in rows
    ]
    t = Table(data, colWidths=[FRAME_W * w for w in (0.27, 0.28, 0.3, 0.15)], rowHeights=[None] + [1.6 * cm] * len(rows))
    t.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), SANS, 7.5, 9.2),
                           ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#808890")),
                           ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6f0")),
                           ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    b.add(t)


# --------------------------------------------------------------------------------------- entry point


def build_story(data: ReportData, bundle_name: str = "", bundle_sha: str = "",
                bundle_counts: dict[str, int] | None = None) -> list[Flowable]:
    """All flowables of the report (edition sections from :mod:`mlops_desktop.reports.editions`)."""
    register_fonts()
    b = ReportBuilder(data)
    _cover(b)
    toc = _toc(b)
    _executive_summary(b)
    _scope_and_method(b)
    n = editions.render(b)
    _findings_register(b, n)
    _inventory(b, n + 1)
    _model_cards(b, n + 2)
    governance_sections.certificates(b)
    _audit_transcript(b)
    if bundle_name:
        _bundle_appendix(b, bundle_name, bundle_sha, bundle_counts or {})
    _sign_off(b)
    prefill_contents(toc, b.story)
    return b.story


def doc_info(data: ReportData) -> DocInfo:
    """Title, author, subject... of the report, as the information dictionary and the XMP say them."""
    subject = f"{data.title}; scope: " + (", ".join(m.name for m in data.models[:20]) or "nothing in scope")
    return DocInfo(
        title=f"{data.title} — {data.report_id}",
        author=data.settings.author_name(),
        subject=subject[:500],
        keywords=("mlops-desktop", data.edition, data.report_id),
        creator=f"mlops-desktop {__version__}",
        producer=f"mlops-desktop {__version__} (ReportLab, pypdf)",
        created=data.generated_at,
    )


def render_pdf(
    data: ReportData,
    target: BinaryIO,
    *,
    bundle_name: str = "",
    bundle_sha: str = "",
    bundle_counts: dict[str, int] | None = None,
    progress: ProgressFn = no_progress,
    is_cancelled: CancelledFn = never_cancelled,
) -> None:
    """Lay out and write the PDF to ``target`` (a binary file object)."""
    story = build_story(data, bundle_name, bundle_sha, bundle_counts)
    info = doc_info(data)
    doc = ReportDoc(
        target,
        data,
        is_cancelled,
        progress,
        len(story),
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=info.title,
        author=info.author,
        subject=info.subject,
        creator=info.creator,
        keywords=list(info.keywords),
        invariant=1 if data.settings.generated_at is not None else 0,
        lang="en",
        displayDocTitle=1,
    )
    doc.build(story, canvasmaker=NumberedCanvas)  # one pass: contents numbers drawn at save (DeferredContents)
