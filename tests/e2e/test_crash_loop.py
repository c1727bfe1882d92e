"""A small crash loop: the real bot process, SIGKILLed 5 times at random moments, loses
nothing and does nothing twice (the full run with 20+ kills is bench/crash_loop.py)."""

from __future__ import annotations

from pathlib import Path

from bench.crash_loop import crash_loop


async def test_kill_9_five_times_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    seen: list[str] = []
    fig = await crash_loop(
        tmp_path, kills=5, complaints=6, users=6, min_up_s=0.3, max_up_s=2.5, say=seen.append
    )
    report = "\n".join(seen + fig.lines())
    print(report)  # the figures, with the seed to replay a failure
    assert fig.kills == 5
    assert fig.complaint_updates == 6 and fig.complaints == 6, report
    assert fig.missing_complaints == 0 and fig.duplicate_complaints == 0, report
    assert fig.acks_missing == 0 and fig.diagnoses_missing == 0, report
    # The six complaints make one or more incidents (storms join an undecided one); each
    # incident is pressed once and decided once.
    assert 1 <= fig.incidents <= 6 and fig.presses == fig.decisions == fig.incidents, report
    assert fig.reports_missing == 0 and fig.outcomes_missing == 0, report
    assert fig.updates_not_stored == 0 and fig.inbox_unhandled == 0, report
    assert fig.integrity_failures == 0, report
    assert fig.final_exit_code == 0 and fig.final_stop_s < 10, report
    assert fig.token_in_logs == 0, report
    assert fig.failures() == [], report
