# SPDX-License-Identifier: GPL-2.0
"""Progress messages: every module logs them, each script shows them.

A stage says what it is doing with `logging.getLogger(__name__).info()`;
it is not handed a callable through every signature on the way.  The
entry point (apply.sh, verify-build.sh, boot-test.sh) decides where the
lines go, with shown(): its own stage printer, a Progress that stamps the
time, or nowhere (a test).  The runner's command lines are DEBUG records
of the same tree of loggers, shown only with -v (runner.verbose()).
"""

import contextlib
import logging

LOG = logging.getLogger("pgwalk")


class Lines(logging.Handler):
    """INFO records and above of the pgwalk loggers, as plain messages."""

    def __init__(self, sink):
        super().__init__(logging.INFO)
        self.sink = sink

    def emit(self, record):
        self.sink(record.getMessage())


@contextlib.contextmanager
def shown(sink):
    """While the block runs, progress messages go to sink(message)."""
    handler = Lines(sink)
    LOG.addHandler(handler)
    level = LOG.level
    if level == logging.NOTSET or level > logging.INFO:
        LOG.setLevel(logging.INFO)
    try:
        yield
    finally:
        LOG.removeHandler(handler)
        LOG.setLevel(level)
