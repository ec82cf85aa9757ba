"""Trust anchors held by the verifier: the anchors file, the environment, --trust-anchor, own keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops_desktop.crypto.ecdsa import generate_private_key, key_id, public_pem
from mlops_desktop.governance import anchors as am
from mlops_desktop.governance.keys import create_key
from tests.governance.helpers import PASSPHRASE


def _pubfile(tmp_path: Path, name: str, identity: str | None = None) -> tuple[Path, str]:
    pub = generate_private_key().public_key()
    path = tmp_path / f"{name}.pub"
    text = (f"# identity: {identity}\n" if identity else "") + public_pem(pub).decode()
    path.write_text(text)
    return path, key_id(pub)


def test_unanchored_message_is_exact() -> None:
    kid = "ab" * 32
    assert am.unanchored_message(kid, "ada <ada@example.org>") == (
        f"unanchored: signed by key {kid} claiming ada <ada@example.org>; compare the fingerprint with the "
        "signer's, then run 'trust anchor add'")


def test_no_anchors_on_a_fresh_client() -> None:
    anchors = am.load_anchors()
    assert not anchors
    assert anchors.key_ids == ()
    assert anchors.contains("ab" * 32) is False
    assert anchors.describe().startswith("This client holds no trust anchors")


def test_add_list_remove_the_anchors_file(tmp_path: Path) -> None:
    path, kid = _pubfile(tmp_path, "ada", "ada <ada@example.org>")
    added = am.add_anchor(str(path), "fingerprint read out by ada on the phone")
    assert (added.key_id, added.identity, added.source) == (kid, "ada <ada@example.org>", am.SOURCE_FILE)
    data = json.loads(am.anchors_path().read_text())
    assert data["format"] == "mlops-desktop-trust-anchors/v1"
    assert [a["key_id"] for a in data["anchors"]] == [kid]
    loaded = am.load_anchors()
    assert loaded.key_ids == (kid,)
    assert loaded.contains(kid)
    assert loaded.describe() == f"1 trust anchor: ada <ada@example.org> key {kid} (anchors file)."
    other = "cd" * 32
    am.add_anchor(other)
    assert am.load_anchors().key_ids == tuple(sorted([kid, other]))
    assert am.remove_anchor(kid).key_id == kid
    assert am.load_anchors().key_ids == (other,)
    with pytest.raises(am.AnchorError, match="not in the trust anchors file"):
        am.remove_anchor(kid)


def test_env_option_and_own_keys_are_unioned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_path, env_kid = _pubfile(tmp_path, "env")
    opt_kid = "ef" * 32
    monkeypatch.setenv(am.ANCHORS_ENV, f"{env_path};  ;{'12' * 32}")
    info = create_key(tmp_path / "me.key", "Me", "me@example.org", PASSPHRASE)
    anchors = am.load_anchors([opt_kid])
    assert anchors.key_ids == tuple(sorted([env_kid, "12" * 32, opt_kid, info.key_id]))
    sources = {a.key_id: a.source for a in anchors.anchors}
    assert sources == {env_kid: am.ANCHORS_ENV, "12" * 32: am.ANCHORS_ENV, opt_kid: "--trust-anchor",
                       info.key_id: "own key"}
    assert anchors.identity(info.key_id) == "Me <me@example.org>"


def test_bad_references_are_refused_with_one_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(am.AnchorError, match="shortened key id"):
        am.load_anchors(["abcdef0123456789"])
    with pytest.raises(am.AnchorError, match="neither a key id"):
        am.load_anchors([str(tmp_path / "missing.pub")])
    not_pem = tmp_path / "x.pub"
    not_pem.write_text("hello")
    with pytest.raises(am.AnchorError, match="not a readable PEM public key"):
        am.load_anchors([str(not_pem)])
    monkeypatch.setenv(am.ANCHORS_ENV, "nothex")
    with pytest.raises(am.AnchorError, match=r"from MLOPS_DESKTOP_TRUST_ANCHORS"):
        am.load_anchors()


def test_damaged_anchors_file_is_an_error_not_an_empty_set() -> None:
    am.anchors_path().parent.mkdir(parents=True, exist_ok=True)
    am.anchors_path().write_text("{not json")
    with pytest.raises(am.AnchorError, match="unreadable"):
        am.load_anchors()
    am.anchors_path().write_text(json.dumps({"anchors": [{"key_id": "short"}]}))
    with pytest.raises(am.AnchorError, match="bad key id"):
        am.load_anchors()


def test_record_pinned_keeps_them_as_anchors() -> None:
    kid = "34" * 32
    am.record_pinned([(kid, "admin@example.org", None)], "/tmp/gov.db")
    am.record_pinned([(kid, "admin@example.org", None)], "/tmp/gov.db")
    anchors = am.load_anchors()
    assert anchors.key_ids == (kid,)
    assert anchors.anchors[0].source == am.SOURCE_PINNED
    assert am.remove_anchor(kid).key_id == kid
