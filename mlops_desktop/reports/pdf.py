"""ReportLab platypus rendering of the three report editions.

One engine, three tables of contents (COMPLIANCE.md): a common frame (cover, contents,
executive summary, scope and method, findings register, inventory, appendices, sign-off)
around the edition's own sections. The report shows evidence, not legal conclusions:
where the metadata can only point at a document it says "referenced, not assessed".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

from mlops_desktop import __version__
from mlops_desktop.core.classification import Classification, is_true, normalise_tags
from mlops_desktop.core.entities import ModelVersion, RegisteredModel, iso
from mlops_desktop.core.errors import CancelledError
from mlops_desktop.core.findings import (
    RULES,
    SEVERITIES,
    DatasetView,
    Finding,
    count_by_severity,
    dataset_views,
    deployment_targets,
)
from mlops_desktop.core.progress import CancelledFn, ProgressFn, never_cancelled, no_progress
from mlops_desktop.reports import charts
from mlops_desktop.reports.fonts import MONO, SANS, SANS_BOLD, SANS_ITALIC, register_fonts
from mlops_desktop.reports.model import ReportData

logger = logging.getLogger(__name__)

PAGE_W, PAGE_H = A4
MARGIN = 2.0 * cm
FRAME_W = PAGE_W - 2 * MARGIN
NOT_ASSESSED = "referenced, not assessed"
NOT_RECORDED = "not recorded"
TOC_CHARS = 90  # longer headings (a 500-character model name) are shortened in contents and bookmarks

# --------------------------------------------------------------------------------------- styles


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("Body", fontName=SANS, fontSize=9, leading=12, spaceAfter=4)
    return {
        "body": base,
        "small": ParagraphStyle("Small", parent=base, fontSize=7.5, leading=9.5, spaceAfter=0),
        "cell": ParagraphStyle("Cell", parent=base, fontSize=7.5, leading=9.2, spaceAfter=0),
        "cellb": ParagraphStyle("CellB", parent=base, fontName=SANS_BOLD, fontSize=7.5, leading=9.2, spaceAfter=0),
        "mono": ParagraphStyle("Mono", parent=base, fontName=MONO, fontSize=7, leading=8.6, spaceAfter=0),
        "note": ParagraphStyle("Note", parent=base, fontName=SANS_ITALIC, fontSize=8, leading=10,
                               textColor=colors.HexColor("#444444")),
        "h1": ParagraphStyle("H1", parent=base, fontName=SANS_BOLD, fontSize=15, leading=19, spaceBefore=6,
                             spaceAfter=8, textColor=colors.HexColor("#1b3a5c")),
        "h2": ParagraphStyle("H2", parent=base, fontName=SANS_BOLD, fontSize=11.5, leading=14.5, spaceBefore=8,
                             spaceAfter=5, textColor=colors.HexColor("#1b3a5c")),
        "h3": ParagraphStyle("H3", parent=base, fontName=SANS_BOLD, fontSize=9.5, leading=12, spaceBefore=5,
                             spaceAfter=3),
        "title": ParagraphStyle("Title", parent=base, fontName=SANS_BOLD, fontSize=24, leading=30,
                                alignment=TA_CENTER, spaceAfter=10, textColor=colors.HexColor("#1b3a5c")),
        "subtitle": ParagraphStyle("Subtitle", parent=base, fontSize=12, leading=16, alignment=TA_CENTER,
                                   spaceAfter=6),
        "toc1": ParagraphStyle("TOC1", parent=base, fontName=SANS_BOLD, fontSize=9.5, leading=13, leftIndent=10,
                               firstLineIndent=-10),
        "toc2": ParagraphStyle("TOC2", parent=base, fontSize=8.5, leading=11, leftIndent=28, firstLineIndent=-10),
    }


def esc(value: object) -> str:
    return escape("" if value is None else str(value))


# --------------------------------------------------------------------------------------- document


class _NumberedCanvas(Canvas):
    """Draws "Page X of Y" once the page count is known."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 (ReportLab API)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            if self._pageNumber > 1:
                self.setFont(SANS, 7.5)
                self.setFillColor(colors.HexColor("#555555"))
                self.drawRightString(PAGE_W - MARGIN, MARGIN - 0.9 * cm, f"Page {self._pageNumber} of {total}")
            super().showPage()
        super().save()


class _ReportDoc(BaseDocTemplate):
    def __init__(self, target: Any, data: ReportData, is_cancelled: CancelledFn, progress: ProgressFn,
                 total_flowables: int, **kwargs: Any) -> None:
        super().__init__(target, **kwargs)
        self.data = data
        self.section = ""
        self._is_cancelled = is_cancelled
        self._progress = progress
        self._total = max(1, total_flowables)
        self._seen = 0
        self._pass = 0
        self._bookmark = 0
        frame = Frame(MARGIN, MARGIN, FRAME_W, PAGE_H - 2 * MARGIN, id="body", leftPadding=0, rightPadding=0,
                      topPadding=0, bottomPadding=0)
        self.addPageTemplates(
            [
                PageTemplate(id="cover", frames=[frame], onPageEnd=self._cover_page),
                PageTemplate(id="body", frames=[frame], onPageEnd=self._body_page),
            ]
        )

    def handle_documentBegin(self) -> None:  # noqa: N802 (ReportLab API)
        self._pass += 1
        self._seen = 0
        self._bookmark = 0
        self.section = ""
        super().handle_documentBegin()

    def _cover_page(self, canvas: Canvas, doc: BaseDocTemplate) -> None:  # noqa: ARG002
        canvas.saveState()
        canvas.setFont(SANS, 7.5)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(MARGIN, MARGIN - 0.9 * cm, f"{self.data.report_id} · mlops-desktop {__version__}")
        canvas.restoreState()

    def _body_page(self, canvas: Canvas, doc: BaseDocTemplate) -> None:  # noqa: ARG002
        canvas.saveState()
        canvas.setStrokeColor(colors.HexColor("#9aa9b8"))
        canvas.setLineWidth(0.4)
        top = PAGE_H - MARGIN + 0.5 * cm
        canvas.line(MARGIN, top - 0.15 * cm, PAGE_W - MARGIN, top - 0.15 * cm)
        canvas.setFont(SANS, 7.5)
        canvas.setFillColor(colors.HexColor("#333333"))
        canvas.drawString(MARGIN, top, charts.fit_text(self.data.title, SANS, 7.5, FRAME_W * 0.55))
        canvas.drawRightString(PAGE_W - MARGIN, top, charts.fit_text(self.section, SANS, 7.5, FRAME_W * 0.42))
        canvas.drawString(MARGIN, MARGIN - 0.9 * cm, f"{self.data.report_id} · generated {iso(self.data.generated_at)}")
        canvas.restoreState()

    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802 (ReportLab API)
        self._seen += 1
        if self._seen % 25 == 0:
            if self._is_cancelled():
                raise CancelledError("Report export cancelled.")
            done = min(self._seen, self._total)
            self._progress(done + (self._pass - 1) * self._total, self._total * 2, f"Laying out pages (pass {self._pass})")
        if isinstance(flowable, Paragraph):
            level = {"H1": 0, "H2": 1}.get(flowable.style.name)
            if level is None:
                return
            text = flowable.getPlainText()
            short = text if len(text) <= TOC_CHARS else text[: TOC_CHARS - 1] + "…"
            if level == 0:
                self.section = text
            self._bookmark += 1
            key = f"h{self._bookmark}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(short, key, level=level, closed=level > 0)
            self.notify("TOCEntry", (level, esc(short), self.page, key))


# --------------------------------------------------------------------------------------- helpers


def _first_pass(canv: Canvas) -> bool:
    """True while laying out the first of the two passes (its pages are thrown away)."""
    doc = getattr(canv, "_doctemplate", None)
    return isinstance(doc, _ReportDoc) and doc._pass == 1


class _Table(Table):
    """A table that skips drawing during the first layout pass (sizes are all that pass needs)."""

    def draw(self) -> None:
        if _first_pass(self.canv):
            return
        super().draw()


class _Figure(Flowable):
    """A reportlab.graphics Drawing as a flowable that is drawn only in the final pass."""

    def __init__(self, drawing: Any) -> None:
        super().__init__()
        self.drawing = drawing
        self.width, self.height = drawing.width, drawing.height

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803 (ReportLab API)
        return self.width, self.height

    def draw(self) -> None:
        if _first_pass(self.canv):
            return
        self.drawing.drawOn(self.canv, 0, 0)



class _Builder:
    """Collects the flowables of one report."""

    def __init__(self, data: ReportData) -> None:
        self.d = data
        self.s = _styles()
        self.story: list[Flowable] = []
        self.views: dict[str, DatasetView] = {}
        names = {m.name for m in data.models}
        for key, view in dataset_views(data.catalog, data.lineage).items():
            if any(m.name in names for m, _ in view.consumers):
                self.views[key] = view
        self.settings = data.settings.findings

    # basic flowables ---------------------------------------------------------------------
    def p(self, text: str, style: str = "body") -> Paragraph:
        return Paragraph(text, self.s[style])

    def add(self, *flowables: Flowable) -> None:
        self.story.extend(flowables)

    def para(self, text: str, style: str = "body") -> None:
        self.story.append(self.p(text, style))

    def h1(self, text: str) -> None:
        self.story.append(CondPageBreak(5 * cm))
        self.story.append(self.p(esc(text), "h1"))

    def h2(self, text: str) -> None:
        self.story.append(CondPageBreak(3 * cm))
        self.story.append(self.p(esc(text), "h2"))

    def h3(self, text: str) -> None:
        self.story.append(CondPageBreak(3 * cm))
        self.story.append(self.p(esc(text), "h3"))

    def cell(self, value: object, style: str = "cell") -> Paragraph:
        return self.p(esc(value).replace("\n", "<br/>"), style)

    def fast_cell(self, value: object, width: float) -> Any:
        """A plain string when it fits on one line of ``width`` points (cheap to lay out), else a
        wrapping Paragraph (long names, evidence)."""
        text = "" if value is None else str(value)
        if "\n" not in text and stringWidth(text, SANS, 7.5) <= width:
            return text
        return self.cell(text)

    def table(self, header: Sequence[str], rows: Iterable[Sequence[object]], widths: Sequence[float],
              *, style_cells: Callable[[int, Sequence[object]], list[tuple[Any, ...]]] | None = None,
              empty: str = "Nothing to show.") -> None:
        rows = list(rows)
        if not rows:
            self.para(esc(empty), "note")
            return
        total = sum(widths)
        col_w = [FRAME_W * w / total for w in widths]
        data: list[list[Any]] = [[self.cell(h, "cellb") for h in header]]
        extra: list[tuple[Any, ...]] = []
        for i, row in enumerate(rows, start=1):
            data.append([c if isinstance(c, Flowable) else self.fast_cell(c, col_w[j] - 6) for j, c in enumerate(row)])
            if style_cells is not None:
                extra.extend(style_cells(i, row))
        t = _Table(data, colWidths=col_w, repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6f0")),
                    ("FONT", (0, 1), (-1, -1), SANS, 7.5, 9.2),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#a0a8b0")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 3),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                    *extra,
                ]
            )
        )
        self.story.append(t)
        self.story.append(Spacer(1, 6))

    def kv(self, rows: Iterable[tuple[str, object]], key_w: float = 0.28, mono_keys: Sequence[str] = ()) -> Table:
        data = []
        for k, v in rows:
            if isinstance(v, Flowable):
                value = v
            elif k in mono_keys:
                value = self.cell(v, "mono")
            else:
                value = self.fast_cell(v, FRAME_W * (1 - key_w) - 6)
            data.append([self.cell(k, "cellb"), value])
        t = _Table(data, colWidths=[FRAME_W * key_w, FRAME_W * (1 - key_w)])
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#c0c8d0")),
                    ("FONT", (1, 0), (1, -1), SANS, 7.5, 9.2),
                    ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f0f3f7")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 3),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        return t

    # domain helpers ---------------------------------------------------------------------
    def classification(self, model: RegisteredModel, version: ModelVersion) -> Classification:
        own = version.classification(model.tags)
        graph = self.d.graph
        if graph is not None:
            from mlops_desktop.core.lineage import version_node_id

            node = version_node_id(model.name, version.version)
            if node in graph:
                eff = graph.effective_classification(node)
                facts = {**eff.facts, **own.facts}
                special = tuple(dict.fromkeys([*own.special_categories, *eff.special_categories]))
                return Classification(pii=eff.pii or own.pii, phi=eff.phi, special_categories=special, facts=facts)
        return own

    def targets(self, model: RegisteredModel, version: ModelVersion) -> list[str]:
        return deployment_targets(model, version, self.settings, self.d.lineage)

    def key_version(self, model: RegisteredModel) -> ModelVersion | None:
        """The version a model card focuses on: a deployed one, else the latest."""
        deployed = [v for v in model.visible_versions() if self.targets(model, v)]
        if deployed:
            return max(deployed, key=lambda v: (int(v.version) if v.version.isdigit() else -1, v.version))
        return model.latest_version()

    def findings_for(self, *ids: str) -> list[Finding]:
        return [f for f in self.d.findings if f.id in ids]

    def findings_note(self, *ids: str) -> None:
        found = self.findings_for(*ids)
        if not found:
            self.para(f"No findings of type {', '.join(ids)} for the models in scope.", "note")
            return
        self.table(
            ["Id", "Severity", "Object", "Evidence"],
            [[f.id, f.severity, f.object, f.evidence] for f in found],
            [0.6, 1.1, 3.0, 6.0],
            style_cells=self._severity_style(1),
        )

    def _severity_style(self, col: int) -> Callable[[int, Sequence[object]], list[tuple[Any, ...]]]:
        def style(i: int, row: Sequence[object]) -> list[tuple[Any, ...]]:
            sev = str(row[col])
            colour = charts.SEVERITY_COLOURS.get(sev)
            if colour is None:
                return []
            return [("BACKGROUND", (col, i), (col, i), colours_light(colour))]

        return style

    def nothing_in_scope(self) -> bool:
        if not self.d.models:
            self.para("Nothing is in scope: the stores hold no registered models"
                      + (" matching the requested names." if self.d.scope_names else "."), "note")
            return True
        return False


def colours_light(colour: colors.Color) -> colors.Color:
    return colors.Color(colour.red * 0.25 + 0.75, colour.green * 0.25 + 0.75, colour.blue * 0.25 + 0.75)


def _fmt_tags(tags: dict[str, str], keys: Sequence[str] | None = None) -> str:
    norm = normalise_tags(tags)
    items = [(k, norm[k]) for k in (keys or sorted(norm)) if k in norm]
    return ", ".join(f"{k}={v}" for k, v in items) or "—"


def _fact(cls: Classification, key: str, default: str = NOT_RECORDED) -> str:
    return cls.facts.get(key) or default


# --------------------------------------------------------------------------------------- common parts


def _cover(b: _Builder) -> None:
    d = b.d
    b.add(Spacer(1, 3 * cm))
    b.para(esc(d.title), "title")
    b.para(esc({"gdpr": "General Data Protection Regulation (EU) 2016/679",
                "hipaa": "HIPAA Privacy and Security Rules (45 CFR Parts 160 and 164)",
                "eu-ai-act": "Regulation (EU) 2024/1689 (Artificial Intelligence Act)"}[d.edition]), "subtitle")
    b.add(Spacer(1, 1.2 * cm))
    scope = ", ".join(m.name for m in d.models) if d.scope_names else f"All registered models ({len(d.models)})"
    gov = d.governance
    rows: list[tuple[str, object]] = [
        ("Report id", d.report_id),
        ("Edition", d.edition),
        ("Snapshot time", iso(d.generated_at)),
        ("Scope", scope if d.models else "Nothing in scope"),
        ("Organisation", d.settings.organisation or NOT_RECORDED),
        ("Prepared by", d.settings.author_name()),
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
        [1.0, 4.0, 2.0, 3.0],
        empty="No store identities were recorded.",
    )
    b.para(
        "This report shows evidence drawn from ML metadata and the signed governance record; it does not state "
        "legal conclusions. Where the metadata only points at a document (a DPIA, a lawful-basis assessment, a "
        f"declaration of conformity) the report says “{NOT_ASSESSED}”.",
        "note",
    )
    b.add(NextPageTemplate("body"), PageBreak())


def _toc(b: _Builder) -> TableOfContents:
    b.para("Contents", "h3")
    toc = TableOfContents()
    toc.levelStyles = [b.s["toc1"], b.s["toc2"]]
    toc.dotsMinLevel = 0
    b.add(toc, PageBreak())
    return toc


def _prefill_toc(toc: TableOfContents, story: Sequence[Flowable]) -> None:
    """Give the contents its final length before the first pass, so two layout passes suffice
    (the first finds the page numbers, the second prints them)."""
    n = 0
    for flowable in story:
        if isinstance(flowable, Paragraph) and flowable.style.name in ("H1", "H2"):
            n += 1
            text = flowable.getPlainText()
            short = text if len(text) <= TOC_CHARS else text[: TOC_CHARS - 1] + "…"
            toc.addEntry(0 if flowable.style.name == "H1" else 1, esc(short), 100, f"h{n}")


def _executive_summary(b: _Builder) -> None:
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
    b.add(_Figure(charts.severity_chart(counts, width=FRAME_W * 0.8)))
    b.add(Spacer(1, 6))
    top = d.findings[:10]
    if top:
        b.h3("Most severe findings")
        b.table(
            ["Id", "Severity", "Object", "Rule"],
            [[f.id, f.severity, f.object, f.rule] for f in top],
            [0.6, 1.1, 3.5, 5.0],
            style_cells=b._severity_style(1),
        )
    else:
        b.para("No findings were raised for the models in scope.", "note")


def _scope_and_method(b: _Builder) -> None:
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
                ("Findings in scope / in all stores", f"{len(d.findings)} / {d.all_findings}"),
            ]
        )
    )
    b.add(Spacer(1, 6))
    b.h3("Findings catalogue applied")
    b.table(["Id", "Severity", "Rule"], [[fid, st.severity_of(fid), rule] for fid, rule in RULES.items()],
            [0.6, 0.9, 8.0])


def _findings_register(b: _Builder, number: int) -> None:
    b.h1(f"{number}. Findings register")
    if not b.d.findings:
        b.para("No findings were raised for the models in scope.", "note")
        return
    b.table(
        ["Id", "Severity", "Object", "Rule and evidence", "Remediation"],
        [
            [f.id, f.severity, f.object, b.p(f"<b>{esc(f.rule)}</b><br/>{esc(f.evidence)}", "cell"), f.remediation]
            for f in b.d.findings
        ],
        [0.55, 1.05, 2.3, 4.3, 2.9],
        style_cells=b._severity_style(1),
    )


def _inventory(b: _Builder, number: int) -> None:
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
            [2.5, 0.9, 1.1, 1.3, 2.0, 1.3, 0.8, 1.4])
    b.h2(f"{number}.2 Datasets feeding the models in scope")
    b.table(
        ["Dataset", "Digest", "Source", "Classification tags", "Used by"],
        [[v.name, v.digest[:12] or "—", v.source, _fmt_tags(v.tags), "\n".join(sorted({mv.uri for _, mv in v.consumers})[:6])]
         for v in sorted(b.views.values(), key=lambda x: (x.name, x.digest))],
        [1.8, 1.0, 2.2, 3.0, 2.4],
        empty="No datasets are recorded for the models in scope.",
    )


def _model_cards(b: _Builder, number: int) -> None:
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
                ("Model tags", _fmt_tags(model.tags)),
                ("Aliases", ", ".join(f"{a} → v{v}" for a, v in sorted(model.aliases.items())) or "—"),
                ("Versions", str(len(model.visible_versions()))),
            ]
        )
        b.add(kv, Spacer(1, 4))
        version = b.key_version(model)
        if version is None:
            b.para("This registered model has no versions.", "note")
            continue
        cls = b.classification(model, version)
        run = d.catalog.runs.get(version.run_id or "")
        b.h3(f"Version {version.version} (" + (", ".join(b.targets(model, version)) or "not deployed") + ")")
        b.add(
            b.kv(
                [
                    ("Source", version.source or "—"),
                    ("Run", f"{version.run_id or '—'}" + (f" ({run.name}, user {run.user})" if run else "")),
                    ("Author", version.author or NOT_RECORDED),
                    ("Created", iso(version.created_at) or NOT_RECORDED),
                    ("Classification", " ".join(cls.badges) or "no PII/PHI recorded"),
                    ("Training data", ", ".join(f"{x.name} ({x.context or 'unspecified'})" for x in version.datasets) or NOT_RECORDED),
                ]
            ),
            Spacer(1, 4),
        )
        if graph is not None:
            from mlops_desktop.core.lineage import version_node_id

            nodes, edges = charts.lineage_nodes_for(graph, version_node_id(model.name, version.version),
                                                    d.settings.max_lineage_nodes)
        else:
            nodes, edges = _catalog_lineage(model, version)
        b.add(KeepTogether([b.p(f"Figure A.{i}: lineage of {esc(model.name)} v{esc(version.version)}", "small"),
                            _Figure(charts.lineage_figure(nodes, edges, width=FRAME_W))]))
        metrics = sorted(run.metrics.values(), key=lambda m: m.key)[: d.settings.max_metrics] if run else []
        if metrics:
            b.add(Spacer(1, 4),
                  _Figure(charts.metric_chart([(m.key, m.value) for m in metrics], width=FRAME_W,
                                              title=f"Latest metrics of run {version.run_id[:12] if version.run_id else ''}")))
        else:
            b.para("No metrics recorded for this version's run.", "note")


def _catalog_lineage(model: RegisteredModel, version: ModelVersion) -> tuple[list[charts.FigureNode], list[tuple[str, str]]]:
    """A lineage figure from the catalog alone (no lineage graph available)."""
    vid = f"version:{model.name}/{version.version}"
    cls = version.classification(model.tags)
    nodes = [charts.FigureNode(vid, "model_version", f"{model.name} v{version.version}", cls.phi, cls.pii, True)]
    edges: list[tuple[str, str]] = []
    rid = f"run:{version.run_id}" if version.run_id else None
    if rid:
        nodes.append(charts.FigureNode(rid, "run", f"run {version.run_id[:8] if version.run_id else ''}"))
        edges.append((rid, vid))
    for x in version.datasets:
        did = f"dataset:{x.dataset_id}"
        dcls = normalise_tags(x.tags)
        nodes.append(charts.FigureNode(did, "dataset", x.name, is_true(dcls.get("phi")), is_true(dcls.get("pii"))))
        edges.append((did, rid or vid))
    return nodes, edges


def _certificates(b: _Builder) -> None:
    d = b.d
    b.h1("Appendix B. Approval certificates")
    approvals = d.approvals()
    if not approvals:
        b.para("No signed approvals or rejections are recorded for the models in scope.", "note")
        return
    b.para(
        "Each decision is a DSSE envelope over an in-toto Statement, signed with ECDSA P-256 by the approver's key. "
        "The key fingerprint is the SHA-256 of the key's DER SubjectPublicKeyInfo. The verification result is the "
        "governance layer's check at report time (signature, trust list, validity window, subject digest)."
    )
    for n, a in enumerate(approvals, start=1):
        result = a.status.upper() + (f" — {a.status_detail}" if a.status_detail else "")
        colour = "#1a7f37" if a.valid else "#b00020"
        b.add(
            KeepTogether(
                [
                    b.p(f"Certificate B.{n}: {esc(a.model_name)} v{esc(a.version)} → {esc(a.target)}", "h3"),
                    b.kv(
                        [
                            ("Decision", a.decision),
                            ("Regimes", ", ".join(a.regimes) or "none"),
                            ("Signer", a.signer_identity or NOT_RECORDED),
                            ("Role", a.role or NOT_RECORDED),
                            ("Key fingerprint", a.key_id),
                            ("Signed at (signer's claim)", iso(a.signed_at) or NOT_RECORDED),
                            ("Audit-log index", "—" if a.log_index is None else str(a.log_index)),
                            ("Envelope id", a.envelope_id),
                            ("Verification result", b.p(f'<font color="{colour}"><b>{esc(result)}</b></font>', "cell")),
                        ],
                        mono_keys=("Key fingerprint", "Envelope id"),
                    ),
                    Spacer(1, 6),
                ]
            )
        )


def _audit_transcript(b: _Builder) -> None:
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
                ("Checkpoint size", "—" if audit.checkpoint_size is None else str(audit.checkpoint_size)),
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


def _bundle_appendix(b: _Builder, bundle_name: str, bundle_sha: str, counts: dict[str, int]) -> None:
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


def _sign_off(b: _Builder) -> None:
    roles = {
        "gdpr": ["Prepared by", "Data protection officer", "Controller representative"],
        "hipaa": ["Prepared by", "Privacy officer", "Security officer"],
        "eu-ai-act": ["Prepared by", "AI compliance lead", "Provider representative"],
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
    t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#808890")),
                           ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6f0")),
                           ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    b.add(t)


# --------------------------------------------------------------------------------------- entry point


def build_story(data: ReportData, bundle_name: str = "", bundle_sha: str = "",
                bundle_counts: dict[str, int] | None = None) -> list[Flowable]:
    """All flowables of the report (edition sections from :mod:`mlops_desktop.reports.editions`)."""
    from mlops_desktop.reports import editions

    register_fonts()
    b = _Builder(data)
    _cover(b)
    toc = _toc(b)
    _executive_summary(b)
    _scope_and_method(b)
    n = editions.render(b)
    _findings_register(b, n)
    _inventory(b, n + 1)
    _model_cards(b, n + 2)
    _certificates(b)
    _audit_transcript(b)
    if bundle_name:
        _bundle_appendix(b, bundle_name, bundle_sha, bundle_counts or {})
    _sign_off(b)
    _prefill_toc(toc, b.story)
    return b.story


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
    subject = f"{data.title}; scope: " + (", ".join(m.name for m in data.models[:20]) or "nothing in scope")
    doc = _ReportDoc(
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
        title=f"{data.title} — {data.report_id}",
        author=data.settings.author_name(),
        subject=subject[:500],
        creator=f"mlops-desktop {__version__}",
        keywords=["mlops-desktop", data.edition, data.report_id],
        invariant=1 if data.settings.generated_at is not None else 0,
        lang="en",
        displayDocTitle=1,
    )
    doc.multiBuild(story, canvasmaker=_NumberedCanvas)
