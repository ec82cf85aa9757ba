"""Known-answer tests: DSSE PAE, RFC 6962 (transparency-dev / CT vectors), RFC 8785."""

from __future__ import annotations

import hashlib

import pytest

from mlops_desktop.crypto.canonical import CanonicalError, canonical_json, strict_loads
from mlops_desktop.crypto.dsse import pae
from mlops_desktop.crypto.merkle import (
    EMPTY_ROOT,
    Frontier,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

# RFC 6962 reference leaves and roots (transparency-dev/merkle testonly, certificate-transparency).
CT_DATA = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = {
    (0, 8): ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    (5, 8): ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
}
CT_CONSISTENCY = {
    (2, 8): ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    (6, 8): ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
}
LEAVES = [leaf_hash(d) for d in CT_DATA]


def test_pae_known_answer() -> None:
    assert pae("http://example.com/HelloWorld", b"hello world") == b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    # lengths are byte counts, not characters
    assert pae("t", "é".encode()) == b"DSSEv1 1 t 2 " + "é".encode()
    assert pae("", b"") == b"DSSEv1 0  0 "


def test_rfc6962_empty_leaf_and_node_hashes() -> None:
    assert EMPTY_ROOT.hex() == CT_ROOTS[0] == hashlib.sha256(b"").hexdigest()
    assert leaf_hash(b"").hex() == CT_ROOTS[1]
    assert node_hash(LEAVES[0], LEAVES[1]).hex() == CT_ROOTS[2]
    assert node_hash(LEAVES[1], LEAVES[0]) != node_hash(LEAVES[0], LEAVES[1])


@pytest.mark.parametrize("size", range(9))
def test_rfc6962_roots(size: int) -> None:
    assert root_from_leaf_hashes(LEAVES[:size]).hex() == CT_ROOTS[size]
    assert Frontier.from_leaves(LEAVES[:size]).root().hex() == CT_ROOTS[size]


def test_rfc6962_inclusion_vectors() -> None:
    for (index, size), want in CT_INCLUSION.items():
        got = inclusion_proof(LEAVES, index, size)
        assert [p.hex() for p in got] == want
        assert verify_inclusion(LEAVES[index], index, size, got, bytes.fromhex(CT_ROOTS[size]))


def test_rfc6962_consistency_vectors() -> None:
    for (first, second), want in CT_CONSISTENCY.items():
        got = consistency_proof(LEAVES, first, second)
        assert [p.hex() for p in got] == want
        assert verify_consistency(first, second, bytes.fromhex(CT_ROOTS[first]), bytes.fromhex(CT_ROOTS[second]), got)


def test_every_proof_in_small_trees_verifies_and_mangled_ones_fail() -> None:
    leaves = [leaf_hash(bytes([i, i * 7 % 256])) for i in range(33)]
    roots = [root_from_leaf_hashes(leaves[:n]) for n in range(34)]
    for n in range(1, 34):
        for i in range(n):
            proof = inclusion_proof(leaves, i, n)
            assert verify_inclusion(leaves[i], i, n, proof, roots[n])
            if proof:
                bad = [*proof[:-1], bytes([proof[-1][0] ^ 1]) + proof[-1][1:]]
                assert not verify_inclusion(leaves[i], i, n, bad, roots[n])
                assert not verify_inclusion(leaves[i], i, n, proof[:-1], roots[n])
            assert not verify_inclusion(leaves[i], i, n, [*proof, b"\xab" * 32], roots[n])
        for m in range(n + 1):
            proof = consistency_proof(leaves, m, n)
            assert verify_consistency(m, n, roots[m], roots[n], proof)
            if proof:
                assert not verify_consistency(m, n, roots[m], roots[n], proof[:-1])
                flipped = [bytes([proof[0][0] ^ 0x80]) + proof[0][1:], *proof[1:]]
                assert not verify_consistency(m, n, roots[m], roots[n], flipped)
    assert not verify_consistency(6, 8, bytes(31), roots[8], consistency_proof(leaves, 6, 8))
    assert not verify_consistency(8, 6, roots[8], roots[6], [])
    assert verify_consistency(0, 8, EMPTY_ROOT, roots[8], [])
    assert not verify_consistency(4, 4, roots[4], roots[5], [])


def test_frontier_append_matches_full_recomputation() -> None:
    leaves = [leaf_hash(str(i).encode()) for i in range(1000)]
    f = Frontier()
    for i, lf in enumerate(leaves):
        f.append(lf)
        if i in (0, 1, 2, 6, 7, 8, 511, 512, 999):
            assert f.root() == root_from_leaf_hashes(leaves[: i + 1])
    with pytest.raises(ValueError):
        Frontier(3, [leaves[0]])


def test_rfc8785_number_formatting() -> None:
    assert canonical_json([1e21, 1e-7, 0.1, -0.0, 333333333.33333329, 4.5, 2e-3, 100, 1e23]) == (
        b"[1e+21,1e-7,0.1,0,333333333.3333333,4.5,0.002,100,1e+23]")


def test_rfc8785_key_order_is_utf16() -> None:
    # RFC 8785 3.2.3 example: sorting by UTF-16 code units, not code points or UTF-8 bytes.
    obj = {"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
           "1": "One", "\U0001f600": "Emoji: Grinning Face", "\u0080": "Control", "\u00f6": "Latin Small Letter O With Diaeresis"}
    out = canonical_json(obj).decode()
    keys = [k for k in strict_loads(out)]
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


def test_rfc8785_literals_and_strings() -> None:
    assert canonical_json({"b": [True, False, None], "a": "\u2028\"\\/\x1f"}) == (
        b'{"a":"\xe2\x80\xa8\\"\\\\/\\u001f","b":[true,false,null]}')


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), {"k": float("-inf")}, "\ud800", 2**60])
def test_rfc8785_rejects_unrepresentable(bad: object) -> None:
    with pytest.raises(CanonicalError):
        canonical_json(bad)


@pytest.mark.parametrize("text", ['{"a":1,"a":2}', '{"x":{"k":1,"k":1}}', "[NaN]", "[Infinity]", "[1e999]",
                                  '{"a":', b'"\xff"'])
def test_strict_parse_rejects_duplicates_nan_and_garbage(text: str | bytes) -> None:
    with pytest.raises(CanonicalError):
        strict_loads(text)
