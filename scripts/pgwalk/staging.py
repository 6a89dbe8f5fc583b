# SPDX-License-Identifier: GPL-2.0
"""An output directory replaced whole, or not at all.

apply.sh writes a new OUTDIR into a hidden sibling directory (same file
system) and, once the series is complete and checked, swaps it with the
old OUTDIR in one rename(2) (RENAME_EXCHANGE), then removes the old one.
A run that fails, is stopped or fills the disk leaves the previous OUTDIR
as it was and says so.  Files in the old OUTDIR that apply.sh does not
write itself (verify-build's build/, boot-test's boot/, a note of the
user's) are copied into the new one first.
"""

import ctypes
import errno
import glob
import os
import shutil
import tempfile

from pgwalk.errors import PgwalkError

# What apply.sh writes in OUTDIR: everything else is carried over.
OWN = ("[0-9][0-9][0-9][0-9]-*.patch", "series.mbox", "decisions.json",
       "series.json", "range-diff.txt")
NEW = ".pgwalk-new-"
OLD = ".pgwalk-old-"


class StagingError(PgwalkError):
    pass


def _prefix(outdir, kind):
    return ".%s%s" % (os.path.basename(outdir), kind)


class Staging:
    """The directory a run writes instead of outdir (self.path)."""

    def __init__(self, outdir, error=StagingError):
        self.outdir = outdir
        self.error = error
        self.made = []      # parent directories this run created
        parent = os.path.dirname(outdir)
        try:
            self._parents(parent)
            self._sweep(parent)
            self.path = tempfile.mkdtemp(prefix=_prefix(outdir, NEW),
                                         dir=parent)
        except OSError as e:
            self._remove_parents()
            raise error("%s: OUTDIR cannot be written: %s" % (
                outdir, e.strerror or e)) from None
        try:
            self._carry()
        except OSError as e:
            self.discard()
            raise error("%s: cannot copy what OUTDIR holds besides the "
                        "series: %s" % (outdir, e.strerror or e)) from None

    def _parents(self, parent):
        missing = []
        while parent and not os.path.isdir(parent):
            if os.path.lexists(parent):
                raise NotADirectoryError(errno.ENOTDIR, "Not a directory",
                                         parent)
            missing.append(parent)
            parent = os.path.dirname(parent)
        for d in reversed(missing):
            os.mkdir(d)
            self.made.append(d)

    def _sweep(self, parent):
        """Remove what a killed run (SIGKILL, a power cut) left beside
        OUTDIR: the caller holds OUTDIR's lock, so no run owns them."""
        for kind in (NEW, OLD):
            for left in glob.glob(os.path.join(
                    glob.escape(parent), glob.escape(
                        _prefix(self.outdir, kind)) + "*")):
                shutil.rmtree(left, ignore_errors=True)

    def _carry(self):
        if not os.path.isdir(self.outdir):
            return
        own = set()
        for pattern in OWN:
            own.update(glob.glob(os.path.join(glob.escape(self.outdir),
                                              pattern)))
        for name in os.listdir(self.outdir):
            src = os.path.join(self.outdir, name)
            if src in own:
                continue
            dst = os.path.join(self.path, name)
            if os.path.isdir(src) and not os.path.islink(src):
                shutil.copytree(src, dst, symlinks=True)
            else:
                shutil.copy2(src, dst, follow_symlinks=False)

    def publish(self):
        """Put the new OUTDIR in place of the old one (call it with
        signals held off: errors.uninterrupted())."""
        if not os.path.lexists(self.outdir):
            os.rename(self.path, self.outdir)
            self.made = []
            return
        try:
            _exchange(self.path, self.outdir)
            old = self.path
        except OSError as e:
            if e.errno not in (errno.EINVAL, errno.ENOSYS):
                raise
            # A file system without RENAME_EXCHANGE: two renames.
            old = tempfile.mkdtemp(prefix=_prefix(self.outdir, OLD),
                                   dir=os.path.dirname(self.outdir))
            os.rename(self.outdir, os.path.join(old, "outdir"))
            os.rename(self.path, self.outdir)
        shutil.rmtree(old, ignore_errors=True)
        self.made = []

    def discard(self):
        """Remove the new directory: OUTDIR is as it was."""
        shutil.rmtree(self.path, ignore_errors=True)
        self._remove_parents()

    def _remove_parents(self):
        for d in reversed(self.made):
            try:
                os.rmdir(d)
            except OSError:
                break
        self.made = []

    def outside(self, e):
        """An OSError while writing the new directory, said about OUTDIR
        (the hidden directory's name would mean nothing to the user)."""
        return self.error("%s: cannot write there: %s; OUTDIR is as it "
                          "was" % (self.outdir, e.strerror or e))

    def owns(self, e):
        """True when OSError e is about the new directory, or names no
        file (a failed write() or close())."""
        name = e.filename if isinstance(e.filename, str) else None
        return name is None or name == self.path or \
            name.startswith(self.path + os.sep)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a, b):
    """Swap two paths atomically (renameat2(2), Linux 3.15)."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except AttributeError:
        raise OSError(errno.ENOSYS, "no renameat2") from None
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b),
                 _RENAME_EXCHANGE) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), b)
