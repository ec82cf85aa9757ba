"""services.timeline: who held each stage and alias, from a first state and the journal's change
events (made by the journal's own diff of three successive states)."""

from __future__ import annotations

from datetime import UTC, datetime

from mlops_desktop.core.entities import RegistryRef
from mlops_desktop.governance.journal import Observation, diff_states, parse_time
from mlops_desktop.services.timeline import ALIAS, STAGE, ModelHistory, history_from, segments_from

REG = RegistryRef("mlflow", "sha256:" + "ab" * 32)
CREATED = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp() * 1000)


def obs(i: int, when: str) -> Observation:
    return Observation(i, REG, when, "full", None, "0" * 64, 2, "test", i)


def version(stage: str | None) -> dict:
    return {"stage": stage, "status": "READY", "run_id": "r", "tags": "t", "datasets": [], "created_at": CREATED,
            "updated_at": None}


def state(versions: dict, aliases: dict) -> dict:
    return {"models": {"m": {"versions": versions, "aliases": aliases}}}


S1 = state({"1": version("Production"), "2": version(None)}, {"champion": "1"})
S2 = state({"1": version("Archived"), "2": version("Production")}, {"champion": "2", "challenger": "1"})
S3 = state({"2": version("Production")}, {"champion": "2"})
O1, O2, O3 = obs(1, "2026-03-01T10:00:00.000000Z"), obs(2, "2026-03-02T10:00:00.000000Z"), \
    obs(3, "2026-03-03T10:00:00.000000Z")


def events() -> list:
    return [*diff_states(S1, S2, O1, O2, REG), *diff_states(S2, S3, O2, O3, REG)]


def test_segments_follow_the_changes_with_their_windows() -> None:
    segs = segments_from(REG.label, "m", O1, S1, O3, events())
    got = {(s.kind, s.target, s.version): s for s in segs}
    assert set(got) == {(STAGE, "Production", "1"), (STAGE, "Production", "2"), (STAGE, "Archived", "1"),
                        (ALIAS, "champion", "1"), (ALIAS, "champion", "2"), (ALIAS, "challenger", "1")}
    t1, t2, t3 = O1.time, O2.time, O3.time
    created = datetime.fromtimestamp(CREATED / 1000, tz=UTC)
    # held when the journal began: entered after the version's creation, by the first observation
    p1 = got[(STAGE, "Production", "1")]
    assert (p1.start_after, p1.start_by, p1.end_after, p1.end_by) == (created, t1, t1, t2)
    assert "entered between 2026-01-01 00:00:00 UTC and 2026-03-01 10:00:00 UTC" in p1.describe()
    # entered between the first two observations, still held at the last one
    p2 = got[(STAGE, "Production", "2")]
    assert (p2.start_after, p2.start_by, p2.end_after, p2.end_by) == (t1, t2, t3, None) and p2.still_held
    assert "still held at the last observation (2026-03-03 10:00:00 UTC)" in p2.describe()
    # a version gone from the registry leaves everything it held
    a1 = got[(STAGE, "Archived", "1")]
    assert (a1.start_by, a1.end_after, a1.end_by) == (t2, t2, t3)
    c1, c2 = got[(ALIAS, "champion", "1")], got[(ALIAS, "champion", "2")]
    assert (c1.end_after, c1.end_by) == (t1, t2) and (c2.start_after, c2.start_by) == (t1, t2) and c2.still_held
    ch = got[(ALIAS, "challenger", "1")]
    assert (ch.start_after, ch.start_by, ch.end_after, ch.end_by) == (t1, t2, t2, t3)
    # every boundary is an event's window: nothing is more precise than the journal
    windows = {(parse_time(e.after_time), parse_time(e.before_time)) for e in events()}
    for s in segs:
        if s.start_by != t1:
            assert (s.start_after, s.start_by) in windows
        if s.end_by is not None:
            assert (s.end_after, s.end_by) in windows


def test_history_for_a_version_and_the_lanes() -> None:
    h = history_from({REG: [O1, O2, O3]}, {REG: (O1, S1)}, {REG: events()}, "m")
    assert not h.empty_reason and h.first_observed == O1.time and h.last_observed == O3.time
    assert h.lanes() == [(REG.label, STAGE, "Archived"), (REG.label, STAGE, "Production"),
                         (REG.label, ALIAS, "challenger"), (REG.label, ALIAS, "champion")]
    v1 = h.for_version("1")
    assert {(s.target, s.version) for s in v1.segments} == {("Production", "1"), ("Archived", "1"),
                                                            ("champion", "1"), ("challenger", "1")}
    # the champion moving away from v1 is a change of v1 too; v2's own stage change is not
    kinds = {(e.kind, e.alias, e.before, e.after) for e in v1.events}
    assert ("alias", "champion", "1", "2") in kinds
    assert any(e.kind == "stage" and e.version == "2" for e in h.events)
    assert not any(e.kind == "stage" and e.version == "2" for e in v1.events)
    assert all(e.version == "1" or e.before == "1" for e in v1.events)


def test_empty_reasons() -> None:
    assert "no observation" in history_from({REG: []}, {}, {}, "m").empty_reason
    quiet = history_from({REG: [O1]}, {}, {REG: []}, "m")
    assert quiet.empty_reason == "The journal records no stage, alias or other change of this model."
    assert isinstance(quiet, ModelHistory)
