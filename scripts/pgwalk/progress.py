# SPDX-License-Identifier: GPL-2.0
"""Progress lines for long builds: never a silent terminal.

Every line goes to stderr with the time since the run started.  While a
step is running (a kbuild prepare, a full build, a batch of compiles), a
background thread prints the step's status whenever nothing else has been
said for INTERVAL seconds, so the gap between two lines stays under 30 s
however long the step takes.

The stages do not hold a Progress: they log (logs.py) and wrap their long
steps in step(), which reaches the Progress the entry point made active
with `with Progress().shown():`.  Without one (a test, a library caller)
step() does nothing.
"""

import contextlib
import os
import sys
import threading
import time

from pgwalk import logs

# Seconds of silence before the status of the running step is printed.
INTERVAL = float(os.environ.get("PGWALK_PROGRESS_SECONDS", "25"))

# The Progress of the running entry point (Progress.shown()), or None.
_active = None


def step(label, counter=None):
    """The active Progress's step(label, counter); nothing without one."""
    if _active is None:
        return contextlib.nullcontext()
    return _active.step(label, counter)


class Progress:
    def __init__(self, stream=None, interval=None):
        self.stream = stream or sys.stderr
        self.interval = INTERVAL if interval is None else interval
        self.t0 = time.monotonic()
        self.last = self.t0
        self.lock = threading.Lock()
        self.steps = []          # stack of (label, counter, started)
        self.stop = threading.Event()
        self.ticker = None

    def __call__(self, message):
        with self.lock:
            now = time.monotonic()
            elapsed = int(now - self.t0)
            self.stream.write("[%2d:%02d] %s\n" % (
                elapsed // 60, elapsed % 60, message))
            self.stream.flush()
            self.last = now

    def _tick(self):
        while not self.stop.wait(min(1.0, self.interval / 4)):
            with self.lock:
                if not self.steps:
                    continue
                label, counter, started = self.steps[-1]
                due = time.monotonic() - self.last >= self.interval
            if due:
                done = counter() if counter else None
                self("%s: %d s%s" % (
                    label, time.monotonic() - started,
                    ", %d objects done" % done if done is not None else ""))

    @contextlib.contextmanager
    def step(self, label, counter=None):
        """While the block runs, say `label: N s, M objects done` after
        each INTERVAL of silence (counter() gives M; None: no count)."""
        with self.lock:
            self.steps.append((label, counter, time.monotonic()))
            if self.ticker is None:
                self.ticker = threading.Thread(target=self._tick,
                                               daemon=True)
                self.ticker.start()
        try:
            yield
        finally:
            with self.lock:
                self.steps.pop()

    def close(self):
        self.stop.set()

    @contextlib.contextmanager
    def shown(self):
        """While the block runs, the stages' log lines are printed here
        with their time, and step() ticks here; the ticker stops after."""
        global _active
        previous, _active = _active, self
        try:
            with logs.shown(self):
                yield self
        finally:
            _active = previous
            self.close()


class Counter:
    """A count shared between the thread that counts and the ticker."""

    def __init__(self):
        self.n = 0

    def __call__(self):
        return self.n

    def add(self, k=1):
        self.n += k
