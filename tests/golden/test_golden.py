"""Every read-only JSON command's output is byte-identical to the committed golden file.

The goldens were written before the services redesign; a change of output must be
intended, reviewed and regenerated with ``python -m tests.golden.cases --write``."""

from __future__ import annotations

import pytest

from tests.golden.cases import OUTPUTS, cases, run

CASES = cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_output_matches_golden(name: str) -> None:
    code, text = run(CASES[name])
    assert code in (0, 1)
    assert text == (OUTPUTS / f"{name}.json").read_text(encoding="utf-8")
