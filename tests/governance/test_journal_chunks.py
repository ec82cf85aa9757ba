"""The journal encodes a registry state in pieces (so a GUI worker observing a large registry
lets the event loop run between them) and stores exactly the bytes of the one-call encoding."""

from __future__ import annotations

import hashlib
import json
import random
import zlib

from mlops_desktop.governance.journal import (
    _pack,
    _unpack,
    state_digest,
    state_json,
    state_json_chunks,
)

ALPHABET = ["a", "Z", "0", " ", '"', "\\", "\n", "\x00", "é", "✓", "€", "\u2028", "\uffff", "😀", "𝄞"]


def _text(rng: random.Random, n: int = 8) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(1, n)))


def _state(rng: random.Random, models: int, versions: int) -> dict[str, object]:
    out: dict[str, object] = {}
    for m in range(models):
        out[f"model-{m}-{_text(rng)}"] = {
            "aliases": {_text(rng): str(rng.randrange(versions + 1)) for _ in range(rng.randrange(3))},
            "versions": {str(v): {"stage": rng.choice(["None", "Production", _text(rng)]), "status": "READY",
                                  "run_id": rng.choice([None, _text(rng, 30)]), "tags": hashlib.sha256(
                                      _text(rng).encode()).hexdigest(), "datasets": sorted({_text(rng) for _ in range(3)}),
                                  "created_at": rng.randrange(10**13), "updated_at": None, **(
                                      {"deleted": True} if rng.random() < 0.1 else {})}
                         for v in range(1, rng.randrange(1, versions + 1) + 1)}}
    return {"models": out}


def _old_json(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def test_chunked_encoding_is_byte_identical_to_one_dumps_call():
    rng = random.Random(13)
    cases = [_state(rng, m, v) for m, v in ((0, 1), (1, 1), (7, 4), (300, 12))]
    cases += [{"models": {"gone": None, "changed": {"aliases": {}, "versions": {"3": None}}}}, {}, {"models": {}},
              [1, "x", None], "text", {"models": {"m": {"aliases": {}, "versions": {}}}}]
    for obj in cases:
        old = _old_json(obj)
        assert state_json(obj) == old
        assert state_digest(obj) == hashlib.sha256(old).hexdigest()  # type: ignore[arg-type]
        assert _pack(obj) == zlib.compress(old, 6)  # the stored body: what earlier releases wrote
        assert _unpack(_pack(obj)) == obj


def test_a_large_state_is_encoded_in_many_small_pieces():
    state = _state(random.Random(5), 400, 10)
    chunks = list(state_json_chunks(state, chunk_bytes=4096))
    whole = _old_json(state)
    assert b"".join(chunks) == whole
    sizes = [len(c.decode("utf-8")) for c in chunks]  # pieces end between records: each decodes alone
    assert len(whole) > 40 * 4096
    assert len(chunks) >= len(whole.decode("utf-8")) // (2 * 4096)
    # no piece much larger than asked for (in characters): at most one version record beyond the size
    assert max(sizes) < 4096 + 2048
