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
    if not (os.path.isfile(os.path.join(tree, "Makefile")) and
            os.path.isdir(os.path.join(tree, "mm")) and
            os.path.isfile(os.path.join(tree, "include", "linux", "mm.h"))):
        raise InputError("%s: not a kernel source tree (no Makefile, mm/ "
                         "and include/linux/mm.h)" % tree)


def git_tree(tree):
    """Refuse a tree that is not the top of a git work tree: the build and
    boot checks take commits (apply.sh makes them of a plain tree)."""
    if not gitops.is_git_toplevel(tree):
        raise InputError("%s: not a git repository (run apply.sh on it "
                         "first: it makes the series as commits)" % tree)


def commit(tree, ref):
    """The commit id ref names in tree, or InputError."""
    sha = gitops.git(tree, "rev-parse", "--verify", "-q",
                     ref + "^{commit}", check=False).strip()
    if not sha:
        raise InputError("%s: not a commit in %s" % (ref, tree))
    return sha
