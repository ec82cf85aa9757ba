"""The policy's witness quorum, enforced by ``verify`` and ``audit verify``.

Rule: the largest checkpoint signed by a certified checkpoint key that carries valid
cosignatures of at least ``required`` distinct policy witnesses must cover every log entry the
verdict relies on (the decisions judged and every trust statement). Each test tries to get a
"verified" it should not.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from mlops_desktop.cli.main import main
from mlops_desktop.governance import audit, keys
from mlops_desktop.governance.db import Governance
from mlops_desktop.governance.models import SqlCheckpoint
from mlops_desktop.governance.policy import Policy, load_policy
from mlops_desktop.governance.trust import add_signer
from mlops_desktop.governance.verify import verify_all, verify_log_anchored
from mlops_desktop.governance.witness import witness_checkpoint
from tests.governance.helpers import PASSPHRASE, Team, build_team, make_key


def _witness(tmp_path: Path, name: str) -> keys.WitnessKey:
    keys.create_witness_key(tmp_path / f"{name}.key", f"witness.example.org/{name}", PASSPHRASE)
    return keys.load_witness_key(tmp_path / f"{name}.key", PASSPHRASE)


@pytest.fixture
def w1(tmp_path: Path) -> keys.WitnessKey:
    return _witness(tmp_path, "w1")


@pytest.fixture
def w2(tmp_path: Path) -> keys.WitnessKey:
    return _witness(tmp_path, "w2")


@pytest.fixture
def policy_file(tmp_path: Path, w1: keys.WitnessKey, w2: keys.WitnessKey) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(f'id = "witnessed"\n[witnesses]\nrequired = 2\nkeys = ["{w1.vkey}", "{w2.vkey}"]\n')
    return path


@pytest.fixture
def policy(policy_file: Path) -> Policy:
    return load_policy(policy_file)


def _certify_log_key(gov: Governance, team: Team) -> None:
    from mlops_desktop.governance.keys import load_public_key

    audit.client_checkpoint_key()
    add_signer(gov, team.admin, load_public_key(audit.client_checkpoint_public_path()), "checkpoints", ["log"])


@pytest.fixture
def store(gov: Governance) -> tuple[Governance, Team]:
    team = build_team(gov)
    _certify_log_key(gov, team)
    return gov, team


def _problems(gov: Governance, policy: Policy) -> list[str]:
    report = verify_all(gov, None, policy=policy, record=False)
    anchored = verify_log_anchored(gov, policy=policy)
    assert report.ok == anchored.ok and report.ok == (not report.witnesses or report.witnesses.ok)
    assert [p for p in report.problems if p.startswith("Witnesses: ")] == anchored.witness_problems
    return anchored.witness_problems


def _edit_newest_note(gov: Governance, change) -> None:  # type: ignore[no-untyped-def]
    with gov.write_session() as s:
        row = s.scalars(sa.select(SqlCheckpoint).order_by(SqlCheckpoint.size.desc(), SqlCheckpoint.id.desc())).first()
        assert row is not None
        row.note = change(row.note)


def test_quorum_met_verifies(store: tuple[Governance, Team], policy: Policy, w1: keys.WitnessKey,
                             w2: keys.WitnessKey) -> None:
    gov, _ = store
    audit.write_checkpoint(gov)
    witness_checkpoint(gov, w1, now=1_700_000_000)
    witness_checkpoint(gov, w2, now=1_700_000_001)
    report = verify_all(gov, None, policy=policy, record=False)
    assert report.ok and report.verdict == "verified"
    assert report.witnesses is not None
    size = report.log.size
    assert report.witnesses.to_dict() == {
        "ok": True, "required": 2, "witnesses": [w1.name, w2.name], "relied_on_size": size,
        "witnessed_size": size, "cosigned_by": [w1.name, w2.name], "problems": []}
    assert verify_log_anchored(gov, policy=policy).ok
    # later entries that are not decisions or trust statements need no cosignature
    audit.log_action(gov, audit.ACTION_MODEL_VIEWED, "models:/m/1")
    assert _problems(gov, policy) == []


def test_no_witnessed_checkpoint_fails_naming_what_to_run(store: tuple[Governance, Team], policy: Policy,
                                                          w1: keys.WitnessKey, w2: keys.WitnessKey) -> None:
    gov, _ = store
    [problem] = _problems(gov, policy)
    assert "requires 2 cosignature(s) from its witnesses (witness.example.org/w1, witness.example.org/w2)" in problem
    assert "No checkpoint of the certified checkpoint key covers them yet" in problem
    assert "'mlops-desktop audit witness --key KEYFILE'" in problem


def test_too_few_witnesses_fail_naming_the_missing_one(store: tuple[Governance, Team], policy: Policy,
                                                       w1: keys.WitnessKey, w2: keys.WitnessKey) -> None:
    gov, _ = store
    audit.write_checkpoint(gov)
    witness_checkpoint(gov, w1, now=1_700_000_000)
    [problem] = _problems(gov, policy)
    assert "no checkpoint of the certified checkpoint key carries that quorum" in problem
    assert f"is cosigned by {w1.name}; missing: {w2.name} (1 more needed)" in problem
    # the same witness cosigning again does not make two
    witness_checkpoint(gov, w1, now=1_700_000_100)
    assert f"missing: {w2.name}" in _problems(gov, policy)[0]


def test_cosignature_by_a_key_the_policy_does_not_list_is_ignored(tmp_path: Path, store: tuple[Governance, Team],
                                                                   policy: Policy, w1: keys.WitnessKey) -> None:
    gov, _ = store
    audit.write_checkpoint(gov)
    witness_checkpoint(gov, w1, now=1_700_000_000)
    stranger = _witness(tmp_path, "stranger")
    witness_checkpoint(gov, stranger, now=1_700_000_001)
    # a stranger's key under the name of a listed witness does not count either
    impostor_file = tmp_path / "impostor.key"
    keys.create_witness_key(impostor_file, "witness.example.org/w2", PASSPHRASE)
    witness_checkpoint(gov, keys.load_witness_key(impostor_file, PASSPHRASE), now=1_700_000_002)
    note = audit.latest_checkpoint(gov)
    assert note is not None and len(note.strip().splitlines()[-1].split(" ")) == 3
    assert note.count("\u2014 ") == 4  # log + w1 + stranger + impostor
    [problem] = _problems(gov, policy)
    assert "missing: witness.example.org/w2 (1 more needed)" in problem


def test_cosignature_copied_from_another_checkpoint_fails(store: tuple[Governance, Team], policy: Policy,
                                                          w1: keys.WitnessKey, w2: keys.WitnessKey) -> None:
    gov, team = store
    audit.write_checkpoint(gov)
    witness_checkpoint(gov, w1, now=1_700_000_000)
    witness_checkpoint(gov, w2, now=1_700_000_001)
    old = audit.latest_checkpoint(gov)
    assert old is not None
    w2_line = next(line for line in old.splitlines() if line.startswith(f"\u2014 {w2.name} "))
    # a new trust statement, a new checkpoint cosigned by w1 only; w2's old line is pasted on it
    add_signer(gov, team.admin, make_key("frank@example.org").public_key, "frank@example.org", ["approver"])
    audit.write_checkpoint(gov)
    witness_checkpoint(gov, w1, now=1_700_000_100)
    assert any("missing: witness.example.org/w2" in p for p in _problems(gov, policy))
    _edit_newest_note(gov, lambda note: note + w2_line + "\n")
    problems = _problems(gov, policy)
    assert any("carries a cosignature line of policy witness witness.example.org/w2 that does not verify" in p
               and "copied from another checkpoint" in p for p in problems)
    assert any("the largest checkpoint with that quorum has size" in p for p in problems)


@pytest.mark.parametrize("where", ["timestamp", "signature", "key id"])
def test_edited_cosignature_byte_fails(store: tuple[Governance, Team], policy: Policy, w1: keys.WitnessKey,
                                       w2: keys.WitnessKey, where: str) -> None:
    gov, _ = store
    audit.write_checkpoint(gov)
    witness_checkpoint(gov, w1, now=1_700_000_000)
    witness_checkpoint(gov, w2, now=1_700_000_001)
    assert _problems(gov, policy) == []
    offset = {"timestamp": 9, "signature": -1, "key id": 0}[where]

    def flip(note: str) -> str:
        lines = note.split("\n")
        i = next(i for i, line in enumerate(lines) if line.startswith(f"\u2014 {w2.name} "))
        dash, name, b64 = lines[i].split(" ")
        blob = bytearray(base64.b64decode(b64))
        blob[offset] ^= 0x01
        lines[i] = f"{dash} {name} {base64.b64encode(bytes(blob)).decode()}"
        return "\n".join(lines)

    _edit_newest_note(gov, flip)
    problems = _problems(gov, policy)
    assert problems, "an edited cosignature must not verify"
    if where == "key id":  # no longer w2's line at all: ignored, so w2 is missing
        assert "missing: witness.example.org/w2" in problems[0]
    else:
        assert "policy witness witness.example.org/w2 that does not verify" in problems[0]


def test_trust_statement_after_the_witnessed_checkpoint_is_not_covered(
        store: tuple[Governance, Team], policy: Policy, w1: keys.WitnessKey, w2: keys.WitnessKey) -> None:
    gov, team = store
    audit.write_checkpoint(gov)
    witness_checkpoint(gov, w1, now=1_700_000_000)
    witness_checkpoint(gov, w2, now=1_700_000_001)
    witnessed = audit.head(gov)[0]
    add_signer(gov, team.admin, make_key("frank@example.org").public_key, "frank@example.org", ["approver"])
    [problem] = _problems(gov, policy)
    assert f"covering the {witnessed + 1} log entries this verdict relies on" in problem
    assert f"the largest checkpoint with that quorum has size {witnessed}" in problem
    assert "No checkpoint of the certified checkpoint key covers them yet" in problem
    audit.write_checkpoint(gov)
    witness_checkpoint(gov, w1, now=1_700_000_100)
    witness_checkpoint(gov, w2, now=1_700_000_101)
    assert _problems(gov, policy) == []


def test_cosignatures_on_an_uncertified_checkpoint_do_not_count(gov: Governance, policy: Policy,
                                                                w1: keys.WitnessKey, w2: keys.WitnessKey) -> None:
    build_team(gov)  # the client's checkpoint key is never certified with role log
    audit.write_checkpoint(gov)
    witness_checkpoint(gov, w1, now=1_700_000_000)
    witness_checkpoint(gov, w2, now=1_700_000_001)
    [problem] = _problems(gov, policy)
    assert "No checkpoint of the certified checkpoint key covers them yet" in problem


def test_no_witness_policy_changes_nothing(store: tuple[Governance, Team]) -> None:
    gov, _ = store
    report = verify_all(gov, None, record=False)
    assert report.ok and report.witnesses is not None and report.witnesses.required == 0
    assert report.witnesses.describe() == "not required by the policy"


def test_cli_verify_and_audit_verify_enforce_the_quorum(store: tuple[Governance, Team], policy_file: Path,
                                                        w1: keys.WitnessKey, w2: keys.WitnessKey,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    gov, _ = store
    audit.write_checkpoint(gov)
    witness_checkpoint(gov, w1, now=1_700_000_000)
    for argv in (["verify"], ["audit", "verify"]):
        assert main([*argv, "--governance", gov.url, "--policy", str(policy_file)]) == 1
        out, err = capsys.readouterr()
        assert f"missing: {w2.name} (1 more needed)" in err
        assert "Witnesses: NOT met:" in out and "Verdict: failed" in out
        assert main([*argv, "--governance", gov.url, "--policy", str(policy_file), "--format", "json"]) == 1
        doc = json.loads(capsys.readouterr().out)
        assert doc["ok"] is False and doc["verdict"] == "failed"
        assert doc["witnesses"]["cosigned_by"] == [] and doc["witnesses"]["required"] == 2
        # without the policy, no quorum is asked for
        assert main([*argv, "--governance", gov.url]) == 0
        capsys.readouterr()
    audit.write_checkpoint(gov)  # covers the verify entries as well; they need no cosignature
    witness_checkpoint(gov, w1, now=1_700_000_100)
    witness_checkpoint(gov, w2, now=1_700_000_101)
    for argv in (["verify"], ["audit", "verify"]):
        assert main([*argv, "--governance", gov.url, "--policy", str(policy_file)]) == 0
        out = capsys.readouterr().out
        assert f"cosigned by {w1.name}, {w2.name} (2 of 2 required)" in out
    assert main(["audit", "verify", "--governance", gov.url, "--policy", str(policy_file) + ".missing"]) == 2


def test_one_key_listed_under_two_names_counts_once(tmp_path: Path, store: tuple[Governance, Team],
                                                    w1: keys.WitnessKey) -> None:
    from mlops_desktop.crypto import checkpoint as cpmod

    gov, _ = store
    alias = cpmod.witness_vkey("witness.example.org/alias", w1.public_key)
    path = tmp_path / "two-names.toml"
    path.write_text(f'id = "p"\n[witnesses]\nrequired = 2\nkeys = ["{w1.vkey}", "{alias}"]\n')
    policy = load_policy(path)
    audit.write_checkpoint(gov)
    witness_checkpoint(gov, w1, now=1_700_000_000)
    # the same key cosigns again under the second name
    alias_key = keys.WitnessKey("witness.example.org/alias", w1.private_key, w1.path)
    witness_checkpoint(gov, alias_key, now=1_700_000_001)
    note = audit.latest_checkpoint(gov)
    assert note is not None and note.count("\u2014 ") == 3
    [problem] = _problems(gov, policy)
    assert "requires 2 cosignature(s) from its witnesses (witness.example.org/w1)" in problem
