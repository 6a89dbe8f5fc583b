# SPDX-License-Identifier: GPL-2.0
"""What the user names on the command line, checked before any work.

apply.sh, verify-build.sh and boot-test.sh all take a kernel tree, and the
last two a commit or a range in it: they refuse bad ones with the same
words, before anything is built or written.
"""

import os

from pgwalk.errors import PgwalkError
from pgwalk import gitops


class InputError(PgwalkError):
    """A command-line argument is not what the tool takes."""


def kernel_tree(tree):
    """Refuse what is not a directory or not a kernel source tree."""
    if not os.path.isdir(tree):
        raise InputError("%s: not a directory" % tree)
    if not all(os.path.exists(os.path.join(tree, p)) for p in KERNEL_FILES):
        raise InputError("%s: not a kernel source tree (%s)" % (tree, NO))


# What every kernel tree has, at the top of its work tree or its commits.
KERNEL_FILES = ("Makefile", "mm/", "include/linux/mm.h")
NO = "no Makefile, mm/ and include/linux/mm.h"


def git_kernel_tree(tree):
    """Refuse what is not a kernel tree in git: the top of a git work tree
    of a kernel, or a bare repository (the build and boot checks take
    commits; apply.sh makes them of a plain tree)."""
    if not os.path.isdir(tree):
        raise InputError("%s: not a directory" % tree)
    # One process: in a bare repository the second question fails, after
    # the first is answered.
    said = gitops.git(tree, "rev-parse", "--is-bare-repository",
                      "--show-toplevel", check=False).splitlines()
    if said[:1] == ["true"]:
        return
    kernel_tree(tree)
    if not gitops.is_toplevel(tree, said[1] if len(said) > 1 else None):
        raise InputError("%s: not a git repository (run apply.sh on it "
                         "first: it makes the series as commits)" % tree)


def commit(tree, ref):
    """The commit id ref names in tree, or InputError."""
    sha = gitops.git(tree, "rev-parse", "--verify", "-q",
                     ref + "^{commit}", check=False).strip()
    if not sha:
        raise InputError("%s: not a commit in %s" % (ref, tree))
    return sha


def kernel_commit(tree, sha, ref):
    """Refuse a commit that holds no kernel tree."""
    asked = "".join("%s:%s\n" % (sha, p.rstrip("/")) for p in KERNEL_FILES)
    out = gitops.git(tree, "cat-file", "--batch-check", input=asked,
                     check=False)
    if "missing" in out or len(out.splitlines()) != len(KERNEL_FILES):
        raise InputError("%s: not a kernel source tree at %s (%s)" % (
            tree, ref, NO))


def text_lines(path):
    """The lines of a text file the user gives (pins, trailers), decoded
    as UTF-8 now: a byte that is not is said with its file and line."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise InputError("%s: cannot read it: %s" % (path, e.strerror))
    lines = raw.split(b"\n")
    for n, line in enumerate(lines, 1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InputError("%s:%d: not UTF-8 text (byte 0x%02x at column "
                             "%d); save the file as UTF-8" % (
                                 path, n, line[e.start], e.start + 1))
    text = raw.decode("utf-8")
    return text.splitlines(keepends=True)


# Room TMPDIR needs: the edited files and spatch's copies of the files it
# reads (a few MB for Linux 6.1), with a margin.
TMP_NEEDED = 64 << 20


def tmpdir():
    """Refuse a TMPDIR that cannot be written or is (nearly) full, now,
    rather than as a failed write named after the tree file copied."""
    import tempfile
    named = os.environ.get("TMPDIR")
    if named and not (os.path.isdir(named) and
                      os.access(named, os.W_OK | os.X_OK)):
        raise InputError("TMPDIR=%s: not a directory this user can write; "
                         "point TMPDIR at one" % named)
    where = tempfile.gettempdir()
    try:
        st = os.statvfs(where)
    except OSError as e:
        raise InputError("%s (TMPDIR): %s" % (where, e.strerror))
    free = st.f_bavail * st.f_frsize
    if free < TMP_NEEDED:
        raise InputError("%s (TMPDIR): only %d MiB free, %d MiB needed; "
                         "free some or point TMPDIR elsewhere" % (
                             where, free >> 20, TMP_NEEDED >> 20))
    return where
