"""Regenerate the README's report images, docs/screenshots/report-<edition>.png: one page of each
edition (gdpr, hipaa, eu-ai-act, model-risk) over the merged fixture stores (MLflow + MLMD +
OpenLineage), with the same fixed settings as tests/reports/test_report_pages_png.py (report date
2026-06-01, officer "Test Officer", organisation "Example Health Ltd", no governance store).

Each edition's page is the first one with the heading of a chosen section (PAGES below), so the
image follows the section when the layout moves it. Pages are rendered with
poppler's pdftoppm at 60 dpi and written as 256-colour PNGs. Run from the checkout::

    .venv/bin/python tools/make_report_screenshots.py [--out docs/screenshots] [--pdf-dir DIR]

It prints the page chosen for each edition; ``--pdf-dir`` keeps the four PDFs.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: edition -> start of the heading of the section whose first page is shown
PAGES = {
    "gdpr": "3.2 credit-limit",  # Art. 30 records of processing, one per model
    "hipaa": "3. PHI inventory and de-identification",  # 164.514 table, Expert Determination
    "eu-ai-act": "5.1 credit-limit",  # Annex IV points 1 and 2 per high-risk model
    "model-risk": "6.3 demand-forecast",  # performance against the challenger, limitations
}


def pick_page(pdf: Path, title: str) -> int:
    """1-based number of the first page with a line starting with ``title`` (a heading; the
    contents page's entries are indented, so they do not count)."""
    from pypdf import PdfReader

    for number, page in enumerate(PdfReader(str(pdf)).pages, start=1):
        if any(line.startswith(title) for line in (page.extract_text() or "").splitlines()):
            return number
    raise SystemExit(f"{pdf.name}: no page has a heading starting with {title!r}; update PAGES in {__file__}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--pdf-dir", type=Path, default=None, help="keep the exported PDFs here")
    parser.add_argument("--dpi", type=int, default=60)
    args = parser.parse_args(argv)
    exe = shutil.which("pdftoppm")
    if exe is None:
        sys.stderr.write("pdftoppm not found: install poppler-utils (apt-get install poppler-utils)\n")
        return 2
    from PIL import Image

    from mlops_desktop.reports.export import export_report
    from mlops_desktop.sources.loader import load_catalog
    from tests.reports.govfix import SETTINGS

    fixtures = ROOT / "tests" / "fixtures"
    catalog = load_catalog([str(fixtures / "mlflow-3.17-sqlite.db"), str(fixtures / "mlmd-1.17-tfx.sqlite"),
                            f"openlineage:{fixtures / 'openlineage-1.54-airflow.ndjson'}"])
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        pdf_dir = args.pdf_dir or Path(tmp)
        pdf_dir.mkdir(parents=True, exist_ok=True)
        for edition, marker in PAGES.items():
            result = export_report(catalog, edition, pdf_dir / f"{edition}.pdf", settings=SETTINGS)
            page = pick_page(result.path, marker)
            stem = Path(tmp) / f"page-{edition}"
            subprocess.run([exe, "-r", str(args.dpi), "-f", str(page), "-l", str(page), "-singlefile", "-png",
                            str(result.path), str(stem)], check=True, timeout=120)
            target = args.out / f"report-{edition}.png"
            with Image.open(f"{stem}.png") as im:
                im.convert("RGB").quantize(256).save(target, optimize=True)
            sys.stdout.write(f"{edition}: page {page} of {result.pages} -> {target}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
