# SPDX-License-Identifier: GPL-2.0
"""Progress lines (scripts/pgwalk/progress.py): stamped with the time,
and a ticker that speaks during a long silent step."""

import io
import logging
import time

import pytest

from pgwalk import progress
from pgwalk.progress import Counter, Progress


@pytest.mark.unit
def test_progress_speaks_during_a_silent_step():
    out = io.StringIO()
    ticker = Progress(out, interval=0.4)
    counter = Counter()
    ticker("start")
    with ticker.step("x86_64: full build", counter):
        for _ in range(10):
            time.sleep(0.2)
            counter.add(3)
    ticker("done")
    ticker.close()
    lines = out.getvalue().splitlines()
    ticks = [l for l in lines if "x86_64: full build:" in l]
    assert len(ticks) >= 2, lines
    assert ticks[-1].endswith("objects done")
    assert lines[0].startswith("[ 0:00] start")
    # Outside a step nothing is added.
    time.sleep(0.6)
    assert out.getvalue().splitlines() == lines


@pytest.mark.unit
def test_a_step_ticks_on_the_progress_that_is_shown():
    out = io.StringIO()
    stage = logging.getLogger("pgwalk.proofs.some")
    with progress.step("nobody shows this"):
        time.sleep(0.05)
    with Progress(out, interval=0.2).shown():
        stage.info("start")
        with progress.step("x86_64: make", lambda: 7):
            time.sleep(0.7)
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("] start")
    assert any(line.endswith("x86_64: make: 0 s, 7 objects done")
               for line in lines[1:]), lines
    assert progress._active is None
