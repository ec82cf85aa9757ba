"""The report document machinery: page layout, paragraph styles, the two-pass document
template with its numbered canvas, flowables drawn only in the final pass, and the
builder the report sections append to (:mod:`mlops_desktop.reports.pdf` for the common
sections, :mod:`mlops_desktop.reports.editions` for each edition's own).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing
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
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.paragraph import cleanBlockQuotedText
from reportlab.platypus.paraparser import ParaFrag, ParaParser
from reportlab.platypus.tableofcontents import TableOfContents

from mlops_desktop import __version__
from mlops_desktop.core.classification import Classification, normalise_tags
from mlops_desktop.core.entities import ModelVersion, RegisteredModel, Run, iso
from mlops_desktop.core.errors import CancelledError
from mlops_desktop.core.findings import (
    RULES,
    DatasetView,
    Finding,
    dataset_views,
    deployment_targets,
)
from mlops_desktop.core.lineage import version_node_id
from mlops_desktop.core.progress import CancelledFn, ProgressFn
from mlops_desktop.reports import charts
from mlops_desktop.reports.fonts import MONO, SANS, SANS_BOLD, SANS_ITALIC
from mlops_desktop.reports.gaps import GAP, rule_gaps
from mlops_desktop.reports.model import ReportData

PAGE_W, PAGE_H = A4
MARGIN = 2.0 * cm
FRAME_W = PAGE_W - 2 * MARGIN
NOT_ASSESSED = "referenced, not assessed"
NOT_RECORDED = "not recorded"
TOC_CHARS = 90  # longer headings (a 500-character model name) are shortened in contents and bookmarks

# --------------------------------------------------------------------------------------- styles


def paragraph_styles() -> dict[str, ParagraphStyle]:
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


def short_heading(text: str) -> str:
    """``text`` as the contents and the bookmarks show it (at most TOC_CHARS characters)."""
    return text if len(text) <= TOC_CHARS else text[: TOC_CHARS - 1] + "…"


def esc(value: object) -> str:
    return escape("" if value is None else str(value))


# --------------------------------------------------------------------------------------- document


class NumberedCanvas(Canvas):
    """Draws "Page X of Y" once the page count is known."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if not kwargs.get("initialFontName"):  # never the unembedded Helvetica default
            kwargs["initialFontName"] = SANS
            kwargs["initialFontSize"] = 9
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []
        self._saving = False
        #: bookmarks of the page being laid out, made when the page is written (the file's page
        #: object exists only then; made earlier, every bookmark would open the first page)
        self._page_marks: list[tuple[str, dict[str, Any]]] = []

    def showPage(self) -> None:  # noqa: N802 (ReportLab API)
        self._pages.append(dict(self.__dict__))
        self._page_marks = []
        self._startPage()

    def bookmarkPage(self, key: str, **kwargs: Any) -> Any:  # noqa: N802 (ReportLab API)
        if self._saving:
            return super().bookmarkPage(key, **kwargs)
        self._page_marks.append((key, kwargs))
        return None

    def save(self) -> None:
        total = len(self._pages)
        doc = getattr(self, "report_doc", None)  # ReportLab drops _doctemplate before saving
        slots: list[Any] = getattr(doc, "toc_slots", [])
        pages: dict[str, int] = getattr(doc, "heading_pages", {})
        for state in self._pages:
            self.__dict__.update(state)
            self._saving = True  # (the page's state was taken while laying out)
            for key, kwargs in state["_page_marks"]:
                self.bookmarkPage(key, **kwargs)
            for slot in slots:
                if slot[0] == self._pageNumber:
                    self._draw_toc_number(slot, pages.get(slot[6]))
            if self._pageNumber > 1:
                self.setFont(SANS, 7.5)
                self.setFillColor(colors.HexColor("#555555"))
                self.drawRightString(PAGE_W - MARGIN, MARGIN - 0.9 * cm, f"Page {self._pageNumber} of {total}")
            super().showPage()
        super().save()

    def _draw_toc_number(self, slot: tuple[Any, ...], page: int | None) -> None:
        """Dots and the page number of one contents entry, where its line ended (found in the
        same single layout pass, so no second pass is needed)."""
        _, matrix, x, y, width, style, _key = slot
        text = str(page) if page is not None else "?"
        size = style.fontSize
        w = stringWidth(text, style.fontName, size)
        dot = " . "
        dot_w = stringWidth(dot, style.fontName, size)
        n = max(0, int((width - x - w) / dot_w))
        self.saveState()
        self.transform(*matrix)
        self.setFont(style.fontName, size)
        self.setFillColor(style.textColor)
        self.drawString(width - n * dot_w - w, y, n * dot + text)
        self.restoreState()


class ReportDoc(BaseDocTemplate):
    def __init__(self, target: Any, data: ReportData, is_cancelled: CancelledFn, progress: ProgressFn,
                 total_flowables: int, **kwargs: Any) -> None:
        super().__init__(target, **kwargs)
        self.data = data
        self.single_pass = True
        self.section = ""
        #: The running header: the first section heading laid out on the page, else the section the
        #: page continues (the last heading of an earlier page).
        self._page_section = ""
        self._page_heading: str | None = None
        self._is_cancelled = is_cancelled
        self._progress = progress
        self._total = max(1, total_flowables)
        self._seen = 0
        self._pass = 0
        self._bookmark = 0
        #: contents entries waiting for their page number: (page, matrix, x, y, width, style, key)
        self.toc_slots: list[tuple[Any, ...]] = []
        #: bookmark key -> page of each heading
        self.heading_pages: dict[str, int] = {}
        frame = Frame(MARGIN, MARGIN, FRAME_W, PAGE_H - 2 * MARGIN, id="body", leftPadding=0, rightPadding=0,
                      topPadding=0, bottomPadding=0)
        self.addPageTemplates(
            [
                PageTemplate(id="cover", frames=[frame], onPageEnd=self._cover_page),
                PageTemplate(id="body", frames=[frame], onPageEnd=self._body_page),
            ]
        )

    @property
    def layout_pass(self) -> int:
        """1 while the first layout pass runs, 2 in the final one."""
        return self._pass

    def handle_documentBegin(self) -> None:  # noqa: N802 (ReportLab API)
        self._pass += 1
        self._seen = 0
        self._bookmark = 0
        self.section = ""
        super().handle_documentBegin()

    def handle_pageBegin(self) -> None:  # noqa: N802 (ReportLab API)
        self._page_section = self.section
        self._page_heading = None
        super().handle_pageBegin()

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
        header = self._page_heading if self._page_heading is not None else self._page_section
        canvas.drawRightString(PAGE_W - MARGIN, top, charts.fit_text(header, SANS, 7.5, FRAME_W * 0.42))
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
            short = short_heading(text)
            if level == 0:
                self.section = text
                if self._page_heading is None:
                    self._page_heading = text
            self._bookmark += 1
            key = f"h{self._bookmark}"
            self.heading_pages[key] = self.page
            self.canv.report_doc = self
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(short, key, level=level, closed=level > 0)
            self.notify("TOCEntry", (level, esc(short), self.page, key))


# --------------------------------------------------------------------------------------- helpers


def first_pass(canv: Canvas) -> bool:
    """True while laying out a pass whose pages are thrown away (none: the report is laid out
    once, the contents' page numbers are drawn when the file is saved)."""
    doc = getattr(canv, "_doctemplate", None)
    return isinstance(doc, ReportDoc) and doc.layout_pass == 1 and not doc.single_pass


class DeferredTable(Table):
    """A table that skips drawing during the first layout pass (sizes are all that pass needs).

    Its string cells (left-aligned, top or bottom aligned: what the builder makes) are written into
    one text object per run of string cells instead of one per line; a flowable cell first writes
    out the text gathered so far, so the page's text keeps the cells' order."""

    _text: Any = None
    _text_style: tuple[Any, ...] = ()
    _text_colour: Any = None

    def draw(self) -> None:
        if first_pass(self.canv):
            return
        try:
            super().draw()
        finally:
            self._flush_text()

    def _flush_text(self) -> None:
        if self._text is not None:
            self.canv.drawText(self._text)
            self._text = None

    def _drawCell(self, cellval: Any, cellstyle: Any, pos: tuple[float, float],  # noqa: N802 (ReportLab API)
                  size: tuple[float, float]) -> None:
        plain = not isinstance(cellval, (tuple, list, Flowable)) and cellstyle.alignment == "LEFT" \
            and cellstyle.valign in ("TOP", "BOTTOM") and not (cellstyle.href or cellstyle.destination
                                                              or cellstyle.direction or cellstyle.shaping)
        if not plain:
            self._flush_text()
            self._text_style = ()
            super()._drawCell(cellval, cellstyle, pos, size)
            return
        vals = str(cellval).split("\n") if cellval is not None else [""]
        if not any(vals):
            return
        colpos, rowpos = pos
        leading, fontsize = cellstyle.leading, cellstyle.fontsize
        if cellstyle.valign == "TOP":
            y = rowpos + size[1] - cellstyle.topPadding - fontsize
        else:
            y = rowpos + cellstyle.bottomPadding + len(vals) * leading - fontsize
        if self._text is None:
            self._text = self.canv.beginText()
            self._text_style = ()
            self._text_colour = None
        tx = self._text
        font = (cellstyle.fontname, fontsize, leading)
        if font != self._text_style:
            tx.setFont(cellstyle.fontname, fontsize, leading)
            self._text_style = font
        if cellstyle.color is not self._text_colour:  # one colour object per table style
            tx.setFillColor(cellstyle.color)
            self._text_colour = cellstyle.color
        x = colpos + cellstyle.leftPadding
        for line in vals:
            if line:
                tx.setTextOrigin(x, y)
                tx.textOut(line)
            y -= leading


class LinesCell(Flowable):
    """A table cell of text in one or more fonts (a bold rule title over its plain evidence),
    broken into lines when the table gives it its width (``wrap_lines`` of the builder)."""

    def __init__(self, parts: Sequence[tuple[str, str, float, float]],
                 wrap_lines: Callable[[str, float, str, float], list[str]]) -> None:
        super().__init__()
        self.parts = parts  # (text, font, size, leading)
        self.colour = colors.black
        self._wrap_lines = wrap_lines
        self._at: float | None = None
        self._lines: list[tuple[str, float, float, list[str]]] = []

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803 (ReportLab API)
        if self._at != availWidth:
            self._lines = [(font, size, leading, self._wrap_lines(text, availWidth, font, size))
                           for text, font, size, leading in self.parts]
            self.height = sum(len(lines) * leading for _, _, leading, lines in self._lines)
            self._at = availWidth
        self.width = availWidth
        return self.width, self.height

    def draw(self) -> None:
        tx = self.canv.beginText()
        tx.setFillColor(self.colour)
        y = self.height
        for font, size, leading, lines in self._lines:
            tx.setFont(font, size, leading)
            for line in lines:
                tx.setTextOrigin(0, y - size)
                tx.textOut(line)
                y -= leading
        self.canv.drawText(tx)


class Figure(Flowable):
    """A reportlab.graphics Drawing as a flowable that is drawn only in the final pass."""

    def __init__(self, drawing: Drawing) -> None:
        super().__init__()
        self.drawing = drawing
        self.width, self.height = drawing.width, drawing.height

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803 (ReportLab API)
        return self.width, self.height

    def draw(self) -> None:
        if first_pass(self.canv):
            return
        self.drawing.drawOn(self.canv, 0, 0)



class ReportParagraph(Paragraph):
    """A Paragraph that keeps its line breaking for the width it was last wrapped at.

    A table wraps each cell to size its rows, again when it splits at a page end and again to
    draw it; the lines for one width are always the same, so they are computed once."""

    _wrapped: tuple[float, float, float, Any, list[float]] | None = None

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803 (ReportLab API)
        done = self._wrapped
        if done is not None and done[0] == availWidth:
            _, self.width, self.height, self.blPara, self._wrapWidths = done
            return self.width, self.height
        width, height = super().wrap(availWidth, availHeight)
        if hasattr(self, "blPara"):
            self._wrapped = (availWidth, width, height, self.blPara, self._wrapWidths)
        return width, height


_MARKUP = frozenset("<>&\n")
#: Where a word too long for its cell may break (the character ends the line).
WORD_BREAKS = frozenset("/-_:.@")


class ReportBuilder:
    """Collects the flowables of one report."""

    def __init__(self, data: ReportData) -> None:
        self.d = data
        self.s = paragraph_styles()
        self.story: list[Flowable] = []
        self.views: dict[str, DatasetView] = {}
        names = {m.name for m in data.models}
        views = data.dataset_views if data.dataset_views is not None else dataset_views(data.catalog, data.lineage)
        for key, view in views.items():
            if any(m.name in names for m, _ in view.consumers):
                self.views[key] = view
        self.settings = data.settings.findings
        self._frag: dict[str, ParaFrag] = {}  # style name -> what the parser makes of plain text
        self._classes: dict[tuple[int, int], Classification] = {}
        self._widths: dict[tuple[str, float], dict[str, float]] = {}  # (font, size) -> text -> width
        self._runs: dict[str, Run] | None = None  # runs read whole for this report (see run)

    # basic flowables ---------------------------------------------------------------------
    def p(self, text: str, style: str = "body") -> Paragraph:
        return ReportParagraph(text, self.s[style])

    def plain(self, text: str, style: str = "body") -> Paragraph:
        """A paragraph of plain ``text`` (no markup): the fragment ReportLab's parser would make of
        it, without running the parser (its whitespace folded by ReportLab's own cleaner)."""
        if _MARKUP.isdisjoint(text):
            clean = cleanBlockQuotedText(text)
            if clean:
                st = self.s[style]
                frag = self._frag.get(style)
                if frag is None:
                    _, frags, _ = ParaParser().parse("x", st)
                    frag = self._frag[style] = frags[0]
                return ReportParagraph(clean, st, frags=[frag.clone(text=clean)])
        return self.p(esc(text).replace("\n", "<br/>"), style)

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

    def lines_cell(self, *parts: tuple[str, str]) -> LinesCell:
        """A cell of (text, font) parts at the cell size (7.5 pt), each starting a new line."""
        return LinesCell([(text, font, 7.5, 9.2) for text, font in parts], self.wrap_lines)

    def cell(self, value: object, style: str = "cell") -> Paragraph:
        return self.plain("" if value is None else str(value), style)

    def fast_cell(self, value: object, width: float, font: str = SANS, size: float = 7.5) -> str:
        """``value`` as a table cell string in lines of at most ``width`` points (the table draws
        each line and sizes the row by their count): cheaper to lay out than a Paragraph."""
        text = "" if value is None else str(value)
        if "\n" not in text and self.text_width(text, font, size) <= width:
            return text
        return "\n".join(self.wrap_lines(text, width, font, size))

    def text_width(self, text: str, font: str = SANS, size: float = 7.5) -> float:
        """``stringWidth`` remembered for this report (cell texts repeat: names, "not recorded")."""
        cache = self._widths.get((font, size))
        if cache is None:
            cache = self._widths[(font, size)] = {}
        w = cache.get(text)
        if w is None:
            w = cache[text] = stringWidth(text, font, size)
        return w

    def wrap_lines(self, text: str, width: float, font: str = SANS, size: float = 7.5) -> list[str]:
        """``text`` broken into lines of at most ``width`` points as a Paragraph breaks plain text:
        at whitespace (runs of it count as one space), each line break kept, a word wider than a
        line split between characters, its first piece filling the current line."""
        space = self.text_width(" ", font, size)
        lines: list[str] = []
        for part in text.split("\n"):
            words = part.split()
            if not words:
                lines.append("")
                continue
            line: list[str] = []
            used = 0.0
            for word in words:
                ww = self.text_width(word, font, size)
                if line and used + space + ww <= width:
                    line.append(word)
                    used += space + ww
                elif ww <= width:
                    if line:
                        lines.append(" ".join(line))
                    line, used = [word], ww
                else:  # a long word (a path, an address, a hash)
                    for k, piece in enumerate(self._split_word(word, width, used + space if line else 0.0,
                                                               font, size)):
                        if (k or not piece) and line:
                            lines.append(" ".join(line))
                            line = []
                        if piece:
                            line.append(piece)
                    used = self.text_width(line[-1], font, size)  # the last piece starts a line
            lines.append(" ".join(line))
        return lines

    def _split_word(self, word: str, width: float, start: float, font: str, size: float) -> list[str]:
        """``word`` in pieces of at most ``width`` points, the first one at most ``width - start``
        (an empty first piece: it starts on the next line, unless it can end at a separator). Each
        other piece ends after its last separator (``/ - _ : . @``) when it has one ("models:/churn-"
        "predictor/3", "dataset:" "readmission-risk-train@"), else (a hash, a word longer than the
        line) at the last character that fits."""
        pieces: list[str] = []
        at, begin, i = start, 0, 0
        last_sep = -1
        while i < len(word):
            cw = self.text_width(word[i], font, size)
            if at + cw > width and (i > begin or (not pieces and start > 0)):
                if not pieces and start > 0:  # on a line already begun: only at a separator, else the next line
                    cut = last_sep + 1 if last_sep >= 0 else begin
                else:
                    cut = last_sep + 1 if last_sep >= begin else i
                pieces.append(word[begin:cut])
                begin, i, at, last_sep = cut, cut, 0.0, -1
                continue
            if word[i] in WORD_BREAKS:
                last_sep = i
            at += cw
            i += 1
        pieces.append(word[begin:])
        return pieces

    def table(self, header: Sequence[str], rows: Iterable[Sequence[object]], widths: Sequence[float],
              *, style_cells: Callable[[int, Sequence[object]], list[tuple[Any, ...]]] | None = None,
              empty: str = "Nothing to show.") -> None:
        rows = list(rows)
        if not rows:
            self.para(esc(empty), "note")
            return
        col_w = self.column_widths(header, widths)
        data: list[list[Any]] = [[self.fast_cell(h, col_w[j] - 6, SANS_BOLD) for j, h in enumerate(header)]]
        extra: list[tuple[Any, ...]] = []
        for i, row in enumerate(rows, start=1):
            data.append([c if isinstance(c, Flowable) else self.fast_cell(c, col_w[j] - 6) for j, c in enumerate(row)])
            if style_cells is not None:
                extra.extend(style_cells(i, row))
        t = DeferredTable(data, colWidths=col_w, repeatRows=1)
        extra = merge_cell_commands(extra)
        t.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), SANS, 7.5, 9.2),
                    ("FONT", (0, 0), (-1, 0), SANS_BOLD, 7.5, 9.2),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6f0")),
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

    def column_widths(self, header: Sequence[str], widths: Sequence[float]) -> list[float]:
        """Column widths in points from relative ``widths``, each column widened (at the expense of
        the others, in proportion to their room) to hold the longest word of its header whole."""
        total = sum(widths)
        col_w = [FRAME_W * w / total for w in widths]
        need = [max((self.text_width(word, SANS_BOLD) for word in h.split()), default=0.0) + 6.5 for h in header]
        short = sum(max(0.0, n - w) for n, w in zip(need, col_w, strict=True))
        room = [max(0.0, w - n) for n, w in zip(need, col_w, strict=True)]
        if short <= 0 or sum(room) < short:
            return col_w
        give = short / sum(room)
        return [max(n, w - r * give) for n, w, r in zip(need, col_w, room, strict=True)]

    def kv(self, rows: Iterable[tuple[str, object]], key_w: float = 0.28, mono_keys: Sequence[str] = ()) -> Table:
        data: list[list[Any]] = []
        mono: list[tuple[Any, ...]] = []
        value_w = FRAME_W * (1 - key_w) - 6
        for i, (k, v) in enumerate(rows):
            if isinstance(v, Flowable):
                value: Any = v
            elif k in mono_keys:
                value = self.fast_cell(v, value_w, MONO, 7)
                mono.append(("FONT", (1, i), (1, i), MONO, 7, 8.6))
            else:
                value = self.fast_cell(v, value_w)
            data.append([self.fast_cell(k, FRAME_W * key_w - 6, SANS_BOLD), value])
        t = DeferredTable(data, colWidths=[FRAME_W * key_w, FRAME_W * (1 - key_w)])
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#c0c8d0")),
                    ("FONT", (0, 0), (-1, -1), SANS, 7.5, 9.2),
                    ("FONT", (0, 0), (0, -1), SANS_BOLD, 7.5, 9.2),
                    *mono,
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
        key = (id(model), id(version))
        cls = self._classes.get(key)
        if cls is None:
            cls = self._classes[key] = self._classification(model, version)
        return cls

    def _classification(self, model: RegisteredModel, version: ModelVersion) -> Classification:
        own = version.classification(model.tags)
        graph = self.d.graph
        node = version_node_id(model.name, version.version)
        if node in graph:
            eff = graph.effective_classification(node)
            facts = {**eff.facts, **own.facts}
            special = tuple(dict.fromkeys([*own.special_categories, *eff.special_categories]))
            return Classification(pii=eff.pii or own.pii, phi=eff.phi, special_categories=special, facts=facts)
        return own

    def targets(self, model: RegisteredModel, version: ModelVersion) -> list[str]:
        return deployment_targets(model, version, self.settings, self.d.lineage)

    def run(self, version: ModelVersion | None) -> Run | None:
        """The run ``version`` was made from, with its params and metrics. The runs of the models'
        key versions are read together when the first is asked for (a catalog may hold them
        lean: :meth:`Catalog.full_run`); any run is read once per report."""
        if version is None or not version.run_id:
            return None
        if self._runs is None:
            self._runs = self.d.catalog.whole_runs(
                v.run_id for m in self.d.models if (v := self.key_version(m)) is not None)
        run = self._runs.get(version.run_id)
        if run is None:
            run = self.d.catalog.full_run(version.run_id)  # None, without reading, for a run not held
            if run is not None:
                self._runs[version.run_id] = run
        return run

    def key_version(self, model: RegisteredModel) -> ModelVersion | None:
        """The version a model card focuses on: a deployed one, else the latest."""
        deployed = [v for v in model.visible_versions() if self.targets(model, v)]
        if deployed:
            return max(deployed, key=lambda v: (int(v.version) if v.version.isdigit() else -1, v.version))
        return model.latest_version()

    def findings_for(self, *ids: str) -> list[Finding]:
        return [f for f in self.d.findings if f.id in ids]

    def findings_note(self, *ids: str) -> None:
        """The findings of ``ids`` by key; for a rule without findings, either the gap that kept it
        from being judged ("not recorded — gap") or that the data was there and the rule held."""
        found = self.findings_for(*ids)
        for fid in ids:
            if any(f.id == fid for f in found):
                gaps = rule_gaps(self, fid)
                if gaps:
                    self.para(f"{fid}, beyond the findings below: {GAP}: " + esc("; ".join(gaps)) + ".", "note")
                continue
            gaps = rule_gaps(self, fid)
            if gaps:
                self.para(f"{fid} ({esc(RULES.get(fid, ''))}): {GAP}: " + esc("; ".join(gaps)) + ".", "note")
            else:
                self.para(f"{fid}: no findings for the models in scope (the data the rule reads is recorded and "
                          "the rule held).", "note")
        if found:
            self.table(
                ["Key", "Severity", "Object", "Evidence"],
                [[f.key, f.severity, f.object, f.evidence] for f in found],
                [1.6, 0.95, 2.6, 5.45],
                style_cells=self.severity_style(1),
            )

    def severity_style(self, col: int) -> Callable[[int, Sequence[object]], list[tuple[Any, ...]]]:
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


def merge_cell_commands(commands: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """``commands`` with runs of one-cell commands on consecutive rows of one column (same command,
    same arguments) joined into one command over the range: a table re-reads every command each
    time it splits at a page end, so 800 one-cell backgrounds cost 800 per page."""
    out: list[tuple[Any, ...]] = []
    for cmd in commands:
        single = len(cmd) >= 3 and cmd[1] == cmd[2] and isinstance(cmd[1], tuple) and len(cmd[1]) == 2
        last = out[-1] if out else None
        if single and last is not None and isinstance(last[1], tuple) and isinstance(last[2], tuple) \
                and len(last[1]) == len(last[2]) == 2:
            (col, row), (lcol, lrow) = cmd[1], last[2]
            if (last[0] == cmd[0] and last[1][0] == lcol == col and isinstance(row, int) and isinstance(lrow, int)
                    and lrow + 1 == row and last[3:] == cmd[3:]):
                out[-1] = (last[0], last[1], (col, row), *last[3:])
                continue
        out.append(tuple(cmd))
    return out


_light: dict[tuple[float, float, float], colors.Color] = {}


def colours_light(colour: colors.Color) -> colors.Color:
    key = (colour.red, colour.green, colour.blue)
    light = _light.get(key)
    if light is None:  # one object per colour: cell commands of one colour join (merge_cell_commands)
        light = _light[key] = colors.Color(colour.red * 0.25 + 0.75, colour.green * 0.25 + 0.75,
                                           colour.blue * 0.25 + 0.75)
    return light


def fmt_tags(tags: dict[str, str], keys: Sequence[str] | None = None) -> str:
    norm = normalise_tags(tags)
    items = [(k, norm[k]) for k in (keys or sorted(norm)) if k in norm]
    return ", ".join(f"{k}={v}" for k, v in items) or "—"


def fact(cls: Classification, key: str, default: str = NOT_RECORDED) -> str:
    return cls.facts.get(key) or default

class DeferredContents(TableOfContents):
    """Contents whose dots and page numbers are drawn by :class:`NumberedCanvas` when the file is
    saved, from the pages the headings were laid out on: one layout pass instead of two."""

    _compact = False

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803 (ReportLab API)
        size = super().wrap(availWidth, availHeight)
        if size[1] > availHeight and not self._compact:
            # a few lines over the page: tighter rows rather than a page holding only those lines
            self._compact = True
            style: Any = getattr(self, "tableStyle")  # noqa: B009 (untyped in ReportLab)
            self.tableStyle = TableStyle([*style.getCommands(), ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                                          ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)])
            size = super().wrap(availWidth, availHeight)

        def record(canvas: Canvas, kind: str, label: str) -> None:  # noqa: ARG001 (ReportLab callback)
            _, level_text, key_text = label.split(",", 2)  # ReportLab's "page,level,repr(key)"
            doc = getattr(canvas, "_doctemplate", None)
            if not isinstance(doc, ReportDoc):
                return
            x, y = canvas._curr_tx_info["cur_x"], canvas._curr_tx_info["cur_y"]  # noqa: SLF001
            doc.toc_slots.append((canvas.getPageNumber(), tuple(canvas._currentMatrix), x, y, availWidth,  # noqa: SLF001
                                  self.getLevelStyle(int(level_text)), key_text.strip("'")))

        self.canv.setNamedCB("drawTOCEntryEnd", record)
        return size


def prefill_contents(toc: TableOfContents, story: Sequence[Flowable]) -> None:
    """Give the contents its final length before the first pass, so two layout passes suffice
    (the first finds the page numbers, the second prints them)."""
    n = 0
    for flowable in story:
        if isinstance(flowable, Paragraph) and flowable.style.name in ("H1", "H2"):
            n += 1
            short = short_heading(flowable.getPlainText())
            toc.addEntry(0 if flowable.style.name == "H1" else 1, esc(short), 100, f"h{n}")
    toc._lastEntries = list(toc._entries)  # noqa: SLF001 (what wrap lays out: one pass, no beforeBuild)
