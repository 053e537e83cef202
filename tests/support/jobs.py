"""Job kinds used by the tests: one that advances in visible steps, one that fails."""

import time

from common.jobs import register_job


@register_job("tests.steps", label="Test: counting in steps")
def counting_job(params: dict, progress) -> dict:
    steps = int(params.get("steps", 5))
    delay = float(params.get("delay", 0.5))
    progress.stage("Counting", total=steps)
    for i in range(steps):
        time.sleep(delay)
        progress.advance(1, message=f"step {i + 1} of {steps}")
        progress.flush()
    return {"counted": steps}


@register_job("tests.fail", label="Test: fails on purpose")
def failing_job(params: dict, progress) -> dict:
    progress.stage("Reading the ledger file", total=10)
    progress.advance(3)
    raise ValueError("ledger file line 4: amount 'abc' is not a number")
