# SPDX-License-Identifier: GPL-2.0
"""The analysis' data files: lock primitives and callback contexts.

scripts/locks.conf and scripts/callbacks.conf hold what the kernel's APIs
mean; a new kernel is rows there, not code.  What each page-walk mode
does is not data: the tree's own core says it (contract.py).
"""

import os

from pgwalk import conffile, REPO
from pgwalk.errors import PgwalkError

SCRIPTS = os.path.join(REPO, "scripts")


def data_path(name):
    """A data file: scripts/NAME, or from PGWALK_DATA_DIR when set (the
    tests point it at a copy with a row taken out)."""
    return os.path.join(os.environ.get("PGWALK_DATA_DIR") or SCRIPTS, name)


ACTIONS = ("take", "assert", "release", "downgrade")
CONTEXTS = ("none", "read", "write")


class DataError(PgwalkError):
    """A data file has a malformed row; names the file and line."""


def _rows(path, width):
    out = []
    for num, line in conffile.entries(path):
        cols = line.split()
        if len(cols) != width:
            raise DataError("%s:%d: expected %d columns, found %d" % (
                path, num, width, len(cols)))
        out.append((num, cols))
    return out


def primitives(path=None):
    """{name: (lock, strength, action)} from locks.conf."""
    path = path or data_path("locks.conf")
    out = {}
    for num, (name, lock, strength, action) in _rows(path, 4):
        if lock not in ("mmap", "vma") or strength not in ("read", "write") \
                or action not in ACTIONS:
            raise DataError("%s:%d: bad row for %s" % (path, num, name))
        out[name] = (lock, strength, action)
    return out


def rule_sets(prims, helpers):
    """The PGWALK_SET_* sets of facts.cocci.

    helpers: {name: [(lock, strength)]} of functions of the tree that
    return with that lock held; they act as "take" for their callers.  A
    helper that takes one of two locks (by a switch on what its caller
    asks) is in the sets of both.
    """
    sets = {k: set() for k in ("mmap", "mmap_write", "mmap_read",
                               "mmap_release", "vma_read", "vma_read_take",
                               "take", "release", "vma_write")}
    items = [(n, l, s, a) for n, (l, s, a) in prims.items()] + \
        [(n, l, s, "take") for n, kinds in helpers.items()
         for l, s in sorted(kinds)]
    for name, lock, strength, action in items:
        if lock == "mmap":
            sets["mmap"].add(name)
            if action == "release":
                sets["mmap_release"].add(name)
                sets["release"].add(name)
            elif action == "downgrade" or strength == "read":
                sets["mmap_read"].add(name)
            else:
                sets["mmap_write"].add(name)
            if action == "take":
                sets["take"].add(name)
        elif strength == "read":
            sets["vma_read"].add(name)
            if action == "take":
                sets["vma_read_take"].add(name)
                sets["take"].add(name)
            elif action == "release":
                sets["release"].add(name)
        else:
            sets["vma_write"].add(name)
    return {k: sorted(v) for k, v in sets.items()}


def callbacks(path=None):
    """{(struct, member): context} from callbacks.conf; a row for a
    function that calls what it is handed is keyed ("name()", "index")."""
    path = path or data_path("callbacks.conf")
    out = {}
    for num, (struct, member, context) in _rows(path, 3):
        if context not in CONTEXTS and not context.startswith("start:"):
            raise DataError("%s:%d: unknown context %s" % (path, num,
                                                           context))
        out[(struct, member)] = context
    return out
