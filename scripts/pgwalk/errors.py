# SPDX-License-Identifier: GPL-2.0
"""What the user is told when a run stops.

Every stage raises its own subclass of PgwalkError (ApplyError,
AnalysisError, BuildError, ...) with a message that names the input and
what to do; each entry point catches PgwalkError once and prints that one
line.  Anything else is a bug in the toolkit: it is shown as one line too,
with the way to see the traceback (PGWALK_DEBUG=1).
"""

import contextlib
import os
import sys

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


def run_main(tool, body, interrupted=None):
    """body()'s exit status, with every error said in one line.

    tool: the name the user typed (apply.sh); interrupted: what Ctrl-C
    leaves behind, said after "interrupted"."""
    try:
        return body()
    except KeyboardInterrupt as e:
        what = interrupted or str(e)
        print("%s: interrupted%s" % (tool, "; " + what if what else ""),
              file=sys.stderr)
        return 130
    except PgwalkError as e:
        print("%s: error: %s" % (tool, e), file=sys.stderr)
        return 1
    except OSError as e:        # the machine: a full disk, a permission
        print("%s: error: %s%s" % (
            tool, e.strerror or e, ": %s" % e.filename if e.filename
            else ""), file=sys.stderr)
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
