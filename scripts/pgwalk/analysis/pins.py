# SPDX-License-Identifier: GPL-2.0
"""Pinned modes: a maintainer's word overrides the analysis, visibly.

File format, one entry a line ('#' starts a comment):

    <file>:<table> <MODE> <reason...>
    <file>:<function>:<table> <MODE> <reason...>

The second form names a function's local table; it is the only way to
name one whose file has another table of its name (a local of another
function, or a file-scope one).  A pinned entry wins, is marked pinned,
and its reason is shown in the patch and the cover letter.  An entry
naming a table or a mode that does not exist is an error: a typo must not
silently leave a mode unpinned.
"""

import re

from pgwalk import conffile
from pgwalk.convention import MODES, local_key, table_key
from pgwalk.errors import PgwalkError
from pgwalk.table import Action


class PinError(PgwalkError):
    """A decisions file entry is malformed or names nothing."""


def load(path):
    """[(path, lineno, file, table, mode, reason)] from a decisions
    file; table is "function:name" for the second form."""
    pins = []
    for num, line in conffile.entries(path):
        m = re.match(r"^(\S+?)(?::(\w+))?:(\w+)\s+(\w+)\s+(\S.*)$", line)
        if not m:
            raise PinError("%s:%d: expected '<file>:<table> <MODE> "
                           "<reason>' or '<file>:<function>:<table> <MODE> "
                           "<reason>'" % (path, num))
        relpath, function, table, mode, reason = m.groups()
        if function:
            table = local_key(function, table)
        if mode not in MODES:
            raise PinError("%s:%d: unknown mode %s (one of %s)" % (
                path, num, mode, ", ".join(MODES)))
        pins.append((path, num, relpath, table, mode, reason.strip()))
    return pins


def apply(pins, tables):
    """Set the pinned modes on the decided tables, in place."""
    by_key = {(t["file"], table_key(t)): t for t in tables}
    # A local table by its function too, whether or not it needs it.
    by_key.update(((t["file"], local_key(t["function"], t["name"])), t)
                  for t in tables if t.get("function"))
    shared = {(t["file"], t["name"]): t for t in tables
              if t.get("shared_name")}
    for path, num, relpath, name, mode, reason in pins:
        t = by_key.get((relpath, name))
        if t is None and (relpath, name) in shared:
            raise PinError("%s:%d: %s has more than one struct "
                           "mm_walk_ops %s: name it as %s:<function>:%s" %
                           (path, num, relpath, name, relpath, name))
        if t is None:
            raise PinError("%s:%d: no struct mm_walk_ops %s in %s" % (
                path, num, name, relpath))
        t["mode"] = mode
        t["pinned"] = True
        t["pin_reason"] = reason
        if t["action"] == Action.NONE:
            t["action"] = Action.ANNOTATE
        if t["split"]:
            # A pin names one mode for the table: no twin.
            t["split"] = None
            t["action"] = Action.ANNOTATE
