# SPDX-License-Identifier: GPL-2.0
"""audit: compare the modes a tree declares with the modes the analysis infers.

    apply.sh --audit [--pins FILE] [--jobs N] TREE

For a tree that already carries walk_lock (Linux 6.4 and later), one line
per struct mm_walk_ops table, in Coccinelle's report format (one line,
wrapped here):

    mm/foo.c:371: foo_walk_ops: declared PGWALK_WRLOCK_VERIFY,
        inferred PGWALK_WRLOCK_VERIFY: agree

Verdicts: agree, disagree (with the analysis' reason), missing (walked by
a VMA walker, no walk_lock), not a constant (walk_lock is an expression),
unknown mode (a PGWALK_* value this toolkit does not know, such as one a
newer kernel added), not needed (only walkers that ignore the field, such
as walk_page_range_novma() and walk_page_mapping()), unverified (a mode
is declared, but the analysis found no walk of the table).  The inference
is the same analysis the series uses, with no per-version special case.
Exit status 1 when a table disagrees or is missing a mode.
"""

import re

from pgwalk.analysis import lockdata


def known_modes():
    """The modes scripts/modes.conf has a row for."""
    return [mode for mode, _m, _v in lockdata.modes()]


def verdict(table):
    """(verdict, message) for one table of decisions.json."""
    declared = table.get("declared")
    inferred = table.get("inferred", table.get("mode"))
    if declared is None:
        if table["mode"] is None:
            return "not needed", table["reason"]
        return "missing", "no walk_lock; the analysis infers %s (%s)" % (
            table["mode"], table["reason"])
    if not re.match(r"^[A-Za-z_]\w*$", declared):
        return "not a constant", "walk_lock = %s is computed; the analysis " \
            "infers %s" % (declared, inferred)
    if declared not in known_modes():
        return "unknown mode", "declared %s, which has no row in " \
            "scripts/modes.conf (add one: the lock it requires and what " \
            "the walker does to the VMA); the analysis infers %s" % (
                declared, inferred)
    if inferred is None:
        # No VMA walk of it was found: the field is ignored (novma and
        # mapping walkers), or the analysis could not see the walk.
        return ("not needed" if table.get("walkers") else "unverified",
                "declared %s; %s" % (declared,
                                     table.get("inferred_reason") or
                                     "no walk of this table was found"))
    if declared == inferred:
        return "agree", "declared %s, inferred %s" % (declared, inferred)
    return "disagree", "declared %s, inferred %s: %s" % (
        declared, inferred, table.get("inferred_reason", ""))


def report(decided):
    """(lines, {verdict: count})."""
    lines, counts = [], {}
    for t in sorted(decided["tables"], key=lambda t: (t["file"], t["line"])):
        v, msg = verdict(t)
        counts[v] = counts.get(v, 0) + 1
        lines.append("%s:%d: %s: %s: %s" % (t["file"], t["line"], t["name"],
                                            v, msg))
    return lines, counts


def run(tree, decided, out=print):
    lines, counts = report(decided)
    for line in lines:
        out(line)
    order = ("agree", "disagree", "missing", "not a constant",
             "unknown mode", "not needed", "unverified")
    out("audit: %d tables: %s" % (len(lines), ", ".join(
        "%d %s" % (counts.get(v, 0), v) for v in order)))
    return 1 if counts.get("disagree") or counts.get("missing") else 0
