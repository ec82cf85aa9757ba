"""Write one section of BENCHMARKS.md, keeping the others, with the machine it ran on."""

from __future__ import annotations

import os
import platform
import re
import time
from pathlib import Path

BENCHMARKS_MD = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"
HEADER = "# Benchmarks\n\nFigures measured on the machine named in each section; run the command given to refresh.\n"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({cpu}){mem}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def write_section(title: str, lines: list[str]) -> None:
    text = BENCHMARKS_MD.read_text(encoding="utf-8") if BENCHMARKS_MD.exists() else HEADER
    stamp = time.strftime("%Y-%m-%d", time.gmtime())
    body = f"## {title}\n\nMeasured {stamp} on {machine()}.\n\n" + "\n".join(lines).rstrip() + "\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _m: body + "\n", text)
    else:
        text = text.rstrip() + "\n\n" + body
    BENCHMARKS_MD.write_text(text.rstrip() + "\n", encoding="utf-8")
