# SPDX-License-Identifier: GPL-2.0
"""What the user is told when a run stops.

Every stage raises its own subclass of PgwalkError (ApplyError,
AnalysisError, BuildError, ...) with a message that names the input and
what to do; each entry point catches PgwalkError once and prints that one
line.  Anything else is a bug in the toolkit: it is shown as one line too,
with the way to see the traceback (PGWALK_DEBUG=1).
"""

import contextlib
import errno
import os
import signal
import sys
import threading

# Exit status of a bug in the toolkit (sysexits' EX_SOFTWARE), apart from
# 1 (bad input, failed stage) and 130 (interrupted).
EX_SOFTWARE = 70


class PgwalkError(Exception):
    """Bad input or a failed stage; the message is shown as is."""


@contextlib.contextmanager
def writing(path, error=PgwalkError):
    """Writes into path (an output directory) whose failure names it: a
    failed write() or close() (a full disk) is an OSError naming no file.
    error: the stage's error class."""
    try:
        yield
    except OSError as e:
        if e.filename:
            raise
        raise error("%s: cannot write there: %s" % (
            path, e.strerror or e)) from None


# The signals this run got (SIGINT, SIGTERM): a child that the same Ctrl-C
# stopped fails too, and its failure is not the thing to report.
_GOT = []


def _stop(signum, frame):
    _GOT.append(signum)
    raise KeyboardInterrupt


def catch_interrupts():
    """Ctrl-C and SIGTERM (`timeout`, a CI job's time limit, kill) raise
    KeyboardInterrupt and are remembered, even in a run started with
    SIGINT ignored (in the background of a script), where Python would
    leave it ignored while git's own handler, reached by the same signal,
    removes its lock and then fails on the closed file.  Without a
    handler, SIGTERM would end Python at once, leaving its temporary
    files and saying nothing."""
    if threading.current_thread() is not threading.main_thread():
        return      # run_main() called by a test runner's worker thread
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)


def interrupted_run():
    """True once this run got SIGINT or SIGTERM."""
    return bool(_GOT)


@contextlib.contextmanager
def uninterrupted(late=False):
    """A step that must not stop half-way (moving a branch and OUTDIR
    into place): a signal during it is acted on when it is done.  The
    handler is swapped, not the signal mask: any thread may take the
    signal, and Python runs its handler in the main thread whenever it
    next can.  late: the step is the run's last; a signal during it came
    too late to stop anything, and is only said."""
    got = []
    old = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        old[signum] = signal.signal(signum,
                                    lambda n, frame: got.append(n))
    try:
        yield
    finally:
        for signum, handler in old.items():
            signal.signal(signum, handler)
    if got and late:
        print("interrupted too late to stop: the run was done",
              file=sys.stderr)
    elif got:
        _GOT.extend(got)
        raise KeyboardInterrupt


def run_main(tool, body, interrupted=None):
    """body()'s exit status, with every error said in one line.

    tool: the name the user typed (apply.sh); interrupted: what Ctrl-C
    leaves behind, said after "interrupted".  An error raised after a
    Ctrl-C (a child git that the signal stopped) is the interrupt;
    SIGTERM is one too (catch_interrupts())."""
    catch_interrupts()
    try:
        try:
            return body()
        except Exception as e:
            if not _GOT:
                raise
            raise KeyboardInterrupt from e
    except KeyboardInterrupt as e:
        what = interrupted or str(e)
        print("%s: interrupted%s" % (tool, "; " + what if what else ""),
              file=sys.stderr)
        return 130
    except PgwalkError as e:
        print("%s: error: %s" % (tool, e), file=sys.stderr)
        return 1
    except OSError as e:        # the machine: a full disk, a permission
        # A copy that fills the disk names its source first (shutil):
        # the place without room is the destination.
        where = e.filename2 if e.filename2 and e.errno in (
            errno.ENOSPC, errno.EDQUOT) else e.filename
        print("%s: error: %s%s" % (
            tool, e.strerror or e, ": %s" % where if where else ""),
            file=sys.stderr)
        return 1
    except Exception as e:      # a bug: one line, unless asked for more
        if os.environ.get("PGWALK_DEBUG"):
            raise
        where = e.__traceback__
        while where.tb_next:
            where = where.tb_next
        print("%s: internal error: %s: %s (at %s:%d; PGWALK_DEBUG=1 "
              "shows the traceback)" % (
                  tool, type(e).__name__, e,
                  os.path.basename(where.tb_frame.f_code.co_filename),
                  where.tb_lineno), file=sys.stderr)
        return EX_SOFTWARE
