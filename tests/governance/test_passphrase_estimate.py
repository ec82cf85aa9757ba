"""The passphrase estimate behind 'keys create' and the Keys dialog's strength meter."""

from __future__ import annotations

import pytest

from mlops_desktop.core.errors import UsageError
from mlops_desktop.governance.keys import (
    ESTIMATE_MAX_LENGTH,
    MIN_PASSPHRASE_LENGTH,
    check_passphrase_strength,
    estimate_passphrase,
    passphrase_weakness,
)


def test_empty_and_short() -> None:
    empty = estimate_passphrase("")
    assert empty.score == 0 and not empty.acceptable and "too short" in (empty.weakness or "")
    short = estimate_passphrase("x7#Qp")
    assert f"at least {MIN_PASSPHRASE_LENGTH}" in (short.weakness or "")


@pytest.mark.parametrize("weak", ["aaaaaaaaaaaaaaaa", "passwordpassword", "qwertyuiop12", "dana officer 2026"])
def test_long_but_guessable_is_refused(weak: str) -> None:
    estimate = estimate_passphrase(weak, ["Dana Officer", "dana@example.org"])
    assert estimate.score < 3 and estimate.weakness and estimate.weakness.startswith("too weak")
    assert passphrase_weakness(weak, ["Dana Officer", "dana@example.org"]) == estimate.weakness
    with pytest.raises(UsageError, match="too weak"):
        check_passphrase_strength(weak, ["Dana Officer", "dana@example.org"])


def test_strong_is_accepted() -> None:
    estimate = estimate_passphrase("correct staple horse battery 42")
    assert estimate.acceptable and estimate.score >= 3 and estimate.guesses_log10 > 10
    check_passphrase_strength("correct staple horse battery 42")


@pytest.mark.parametrize("length", [ESTIMATE_MAX_LENGTH, ESTIMATE_MAX_LENGTH + 1, 200])
def test_long_passphrases_are_judged_not_crashed(length: int) -> None:
    """zxcvbn refuses input over 72 characters; a long passphrase is judged by its beginning."""
    strong = ("correct staple horse battery 42 " * 8)[:length]
    assert estimate_passphrase(strong).acceptable
    check_passphrase_strength(strong)
    weak = "a" * length
    assert not estimate_passphrase(weak).acceptable
