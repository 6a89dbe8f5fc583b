# SPDX-License-Identifier: GPL-2.0
"""Pinned modes: a maintainer's word overrides the analysis, visibly.

File format, one entry a line ('#' starts a comment):

    <file>:<table> <MODE> <reason...>

A pinned entry wins, is marked pinned, and its reason is shown in the
patch and the cover letter.  An entry naming a table or a mode that does
not exist is an error: a typo must not silently leave a mode unpinned.
"""

import re

from pgwalk import conffile
from pgwalk.convention import MODES
from pgwalk.errors import PgwalkError
from pgwalk.table import Action


class PinError(PgwalkError):
    """A decisions file entry is malformed or names nothing."""


def load(path):
    """[(lineno, file, table, mode, reason)] from a decisions file."""
    pins = []
    for num, line in conffile.entries(path):
        m = re.match(r"^(\S+):(\w+)\s+(\w+)\s+(\S.*)$", line)
        if not m:
            raise PinError("%s:%d: expected '<file>:<table> <MODE> "
                           "<reason>'" % (path, num))
        relpath, table, mode, reason = m.groups()
        if mode not in MODES:
            raise PinError("%s:%d: unknown mode %s (one of %s)" % (
                path, num, mode, ", ".join(MODES)))
        pins.append((path, num, relpath, table, mode, reason.strip()))
    return pins


def apply(pins, tables):
    """Set the pinned modes on the decided tables, in place."""
    by_key = {(t["file"], t["name"]): t for t in tables}
    for path, num, relpath, name, mode, reason in pins:
        t = by_key.get((relpath, name))
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
