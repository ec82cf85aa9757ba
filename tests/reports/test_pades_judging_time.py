"""The time a report's PAdES signer is judged at: CMS signingTime has whole seconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mlops_desktop.reports.report_verify import pades_judging_time


def test_a_whole_second_is_judged_at_its_last_instant() -> None:
    granted = datetime(2026, 12, 2, 15, 15, 30, 400_000, tzinfo=UTC)
    at = pades_judging_time("2026-12-02T15:15:30+00:00")  # signed 0.2 s after the grant, reported as :30
    assert at == datetime(2026, 12, 2, 15, 15, 30, 999_999, tzinfo=UTC)
    assert granted <= at < granted.replace(microsecond=0) + timedelta(seconds=1)


def test_a_time_with_fractions_is_taken_as_it_is() -> None:
    assert pades_judging_time("2026-12-02T15:15:30.250000+00:00") == datetime(2026, 12, 2, 15, 15, 30, 250_000,
                                                                              tzinfo=UTC)


def test_no_signing_time_is_judged_now() -> None:
    before = datetime.now(UTC)
    assert before <= pades_judging_time(None) <= datetime.now(UTC)
