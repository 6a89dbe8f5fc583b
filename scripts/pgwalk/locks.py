# SPDX-License-Identifier: GPL-2.0
"""One run at a time on a tree, and on an output directory.

Two apply.sh runs on one tree would each move its series branch, and the
last to finish would win, so that one OUTDIR no longer matches the
branch; two on one OUTDIR would delete each other's patches.  A run
holds a lock on each: a file under the cache's locks/ (never in the
tree), named by the path it guards, locked with flock(2) and holding the
holder's pid and start time for the message.  The kernel drops a flock
when its holder dies however it dies, so a lock file left by a killed run
is seen to be stale, said, and taken over.
"""

import contextlib
import fcntl
import hashlib
import logging
import os
import tempfile
import time

from pgwalk import memo
from pgwalk.errors import PgwalkError

LOG = logging.getLogger(__name__)


class LockError(PgwalkError):
    """Another run holds the lock."""


def lock_dir():
    """$PGWALK_CACHE/locks, or a directory of this user's in TMPDIR when
    the cache cannot be written (a read-only cache still allows runs)."""
    for path in (os.path.join(memo.cache_root(), "locks"),
                 os.path.join(tempfile.gettempdir(),
                              "pgwalk-locks-%d" % os.getuid())):
        try:
            os.makedirs(path, exist_ok=True)
        except OSError:
            continue
        if os.access(path, os.W_OK | os.X_OK):
            return path
    raise LockError("no place to keep the run's lock: neither %s nor "
                    "TMPDIR can be written" % memo.cache_root())


def _start_time():
    """This process's start, in clock ticks since boot (/proc/self/stat):
    with the pid it names the process, whatever pid reuse happens."""
    try:
        with open("/proc/self/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return "?"


@contextlib.contextmanager
def held(path, what, tool="apply.sh"):
    """Hold the lock of path (a tree or an output directory) while the
    block runs; what: the words for path in a message ("the tree")."""
    real = os.path.realpath(path)
    name = os.path.join(lock_dir(), hashlib.sha1(
        real.encode("utf-8", "surrogateescape")).hexdigest()[:24] + ".lock")
    fd = _take(name, real, what, tool)
    try:
        yield
    finally:
        # Unlinked while held: a run waiting on this file retries on the
        # one it then creates (see _take).
        try:
            os.unlink(name)
        except OSError:
            pass
        os.close(fd)


def _take(name, real, what, tool):
    while True:
        fd = os.open(name, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd)
            os.close(fd)
            raise LockError("%s: another %s run (%s) is using %s; wait for "
                            "it to end (lock %s)" % (
                                real, tool, holder or "just starting",
                                what, name)) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(name).st_ino
        except FileNotFoundError:
            same = False
        if not same:            # its holder removed it as we opened it
            os.close(fd)
            continue
        stale = _read(fd)
        if stale:
            LOG.warning("%s: a stale lock of %s (%s, no longer running) "
                        "was left in %s; taking it over", real, what, stale,
                        name)
        os.ftruncate(fd, 0)
        os.pwrite(fd, ("pid %d, started %s, process start %s\n" % (
            os.getpid(), time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            _start_time())).encode(), 0)
        return fd


def _read(fd):
    """The holder's words (pid, start time) in a lock file, or ""."""
    try:
        return os.pread(fd, 512, 0).decode(errors="replace").strip()
    except OSError:
        return ""
