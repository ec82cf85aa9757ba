"""``inventory --governance URL``: each version's governance per target it holds, as verify
judges it (DESIGN.md, second wave); without --governance the output is unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_governance_cli import World, approve, run, world, world_template  # noqa: F401 - the governance CLI's fixtures


def inventory(capsys: pytest.CaptureFixture[str], w: World, *extra: str) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    code, out, err = run(capsys, "inventory", "--store", str(w.store), "--format", "json", *extra)
    return code, json.loads(out) if out.strip() else {}, err


def version_of(doc: dict, name: str, version: str) -> dict:  # type: ignore[type-arg]
    model = next(m for m in doc["models"] if m["name"] == name)
    return next(v for v in model["versions"] if v["version"] == version)


def test_governance_per_held_target_matches_verify(world: World, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    code, plain, _ = inventory(capsys, world)
    assert code == 0 and all("governance" not in v for m in plain["models"] for v in m["versions"])
    for who in ("alice", "bob"):
        assert approve(capsys, world, who)[0] == 0
    code, doc, err = inventory(capsys, world, "--governance", str(world.gov))
    assert code == 0, err
    fraud = version_of(doc, "fraud-detector", "3")
    assert set(fraud["governance"]) == {"Production", "champion"}
    prod, champ = fraud["governance"]["Production"], fraud["governance"]["champion"]
    assert (prod["status"], prod["counted"], prod["required"]) == ("approved", 2, 2)
    assert (champ["status"], champ["counted"], champ["required"]) == ("unmet", 0, 2)
    assert any("Only 0 of 2 required approvals count" in r for r in champ["reasons"])
    assert version_of(doc, "ñandú-scorer ✓", "1")["governance"] == {}  # Archived is not a target
    staging = version_of(doc, "ñandú-scorer ✓", "2")["governance"]["Staging"]
    assert staging["status"] == "unmet" and staging["required"] == 1
    # every status agrees with the deployment gate
    for model in doc["models"]:
        for v in model["versions"]:
            for target, g in v["governance"].items():
                code, _, _ = run(capsys, "verify", "--store", str(world.store), "--model", model["name"],
                                 "--version", v["version"], "--target", target)
                assert (code == 0) == (g["status"] in ("approved", "not-required")), (model["name"], v["version"], target)
    # the rest of each version is what inventory prints without --governance
    for model, plain_model in zip(doc["models"], plain["models"], strict=True):
        assert [{k: x for k, x in v.items() if k != "governance"} for v in model["versions"]] == plain_model["versions"]


def test_table_and_policy_file(world: World, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    assert approve(capsys, world, "alice")[0] == 0
    code, out, _ = run(capsys, "inventory", "--store", str(world.store), "--governance", str(world.gov))
    assert code == 0 and "GOVERNANCE" in out
    line = next(x for x in out.splitlines() if x.startswith("fraud-detector") and " 3 " in x)
    assert "⚠ Production 1 of 2" in line and "⚠ champion 0 of 2" in line
    relaxed = world.dir / "relaxed.toml"
    relaxed.write_text('id = "one"\n[targets.Production]\napprovers = 1\nphi_regime = ""\npii_regime = ""\n')
    code, doc, err = inventory(capsys, world, "--governance", str(world.gov), "--policy", str(relaxed))
    assert code == 0, err
    gov = version_of(doc, "fraud-detector", "3")["governance"]
    assert gov["Production"]["status"] == "approved" and gov["champion"]["status"] == "not-required"


def test_unanchored_client_sees_nothing_approved(world: World, capsys: pytest.CaptureFixture[str],  # noqa: F811
                                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for who in ("alice", "bob"):
        assert approve(capsys, world, who)[0] == 0
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "auditor" / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "auditor" / "data"))
    code, doc, err = inventory(capsys, world, "--governance", str(world.gov))
    assert code == 0, err
    prod = version_of(doc, "fraud-detector", "3")["governance"]["Production"]
    assert prod["status"] == "unmet" and prod["counted"] == 0
    assert any("unanchored" in r for r in prod["reasons"])


def test_bad_governance_input_is_one_line(world: World, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    code, _, err = run(capsys, "inventory", "--store", str(world.store), "--governance", str(world.dir / "nope.db"),
                       "--format", "json")
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) <= 2
    code, _, err = run(capsys, "inventory", "--store", str(world.store), "--governance", str(world.gov),
                       "--policy", str(world.dir / "missing.toml"))
    assert code == 2 and "Cannot read policy file" in err
