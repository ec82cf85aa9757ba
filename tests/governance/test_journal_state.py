"""The journal's state encoding: the fast tag digest writes RFC 8785's bytes (an upgrade must
not make every version's tags look changed), and state deltas rebuild the state."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest

from mlops_desktop.core.entities import RegistryRef
from mlops_desktop.crypto.canonical import canonical_json
from mlops_desktop.governance.journal import (
    _observe_one,
    apply_delta,
    observations,
    state_delta,
    state_of,
    tags_digest,
)
from mlops_desktop.governance.store import open_governance

ALPHABET = ["a", "Z", "0", " ", '"', "\\", "/", "\n", "\r", "\t", "\b", "\f", "\x00", "\x1f", "\x7f", "é", "ñ",
            "✓", "€", "\u2028", "\ud7ff", "\ue000", "\uffff", "😀", "𝄞", "\U0010ffff"]


def _text(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(n)))


@pytest.mark.parametrize("seed", range(8))
def test_tag_digest_is_the_rfc8785_digest(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(300):
        tags = {(_text(rng, 6) if rng.random() < 0.3 else f"k{rng.randrange(50)}"): _text(rng, 12)
                for _ in range(rng.randrange(6))}
        assert tags_digest(tags) == hashlib.sha256(canonical_json(tags)).hexdigest(), tags


def test_tag_digest_of_keys_that_sort_differently_in_utf16() -> None:
    tags = {"\U0001f600": "a", "\uff61": "b", "z": "c"}  # code point order differs from UTF-16 unit order
    assert tags_digest(tags) == hashlib.sha256(canonical_json(tags)).hexdigest()


def test_delta_rebuilds_the_state() -> None:
    old = {"models": {"a": {"aliases": {"champion": "1"}, "versions": {"1": {"stage": "None"}, "2": {"stage": "x"}}},
                      "gone": {"aliases": {}, "versions": {}}}}
    new = {"models": {"a": {"aliases": {"champion": "2"}, "versions": {"2": {"stage": "Production"}}},
                      "new": {"aliases": {}, "versions": {"1": {"stage": "None"}}}}}
    assert apply_delta(old, state_delta(old, new)) == new
    assert apply_delta(new, state_delta(new, old)) == old
    assert state_delta(new, new) == {"models": {}}


def test_observations_by_two_clients_rebuild_each_state(tmp_path: Path) -> None:
    """A client's memory of its own last state is used only while that is still the last
    observation: another client's observation in between is rebuilt from the journal."""
    reg = RegistryRef("mlflow", "sha256:" + "ab" * 32)
    states = [{"models": {"m": {"aliases": {"champion": str(i % 3)},
                                "versions": {str(v): {"stage": "Production" if v == i % 4 else "None"}
                                             for v in range(4)}}}} for i in range(6)]
    a, b = open_governance(str(tmp_path / "g.db")), open_governance(str(tmp_path / "g.db"))
    try:
        for i, state in enumerate(states):
            result = _observe_one(a if i % 3 else b, reg, "x", state, None)
            assert result.changed and (i == 0 or result.changes > 0)
        obs = observations(a, reg)
        assert len(obs) == len(states)
        assert [state_of(b, o) for o in obs] == states
    finally:
        a.close()
        b.close()
