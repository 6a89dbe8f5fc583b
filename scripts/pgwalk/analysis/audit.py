# SPDX-License-Identifier: GPL-2.0
"""audit: compare the modes a tree declares with the modes the analysis infers.

    apply.sh --audit [--pins FILE] [--jobs N] TREE

For a tree that already carries walk_lock (Linux 6.4 and later), one line
per struct mm_walk_ops table, in Coccinelle's report format (one line,
wrapped here):

    mm/foo.c:371: foo_walk_ops: declared PGWALK_WRLOCK_VERIFY,
        inferred PGWALK_WRLOCK_VERIFY: agree

Verdicts: agree, agree (default) (no walk_lock, and the analysis infers
the mode the tree's walker contract gives a table without one), disagree
(with the analysis' reason), missing (no walk_lock, and the analysis
infers another mode), not a constant (walk_lock is an expression: what it
can be and what it depends on are named), unknown mode (a value the
tree's enum page_walk_lock does not declare), not needed (only walkers
that ignore the field), unverified (a mode is declared, but the analysis
found no walk of the table, or did not settle one mode for its walks: a
lock chosen by a value it does not fix, paths it could not follow; what
it could not follow is named).  The modes and the default come from the
tree's own core (contract.py); the inference is the same analysis the
series uses, with no per-version special case.  Exit status 1 when a
table disagrees or is missing a mode.
"""

import re

from pgwalk.analysis import values


def _inferred_words(table, inferred):
    """The analysis' answer, in words (never "None")."""
    if inferred and table.review:
        # Not an answer: the mode its series would keep, for review.
        return "the analysis does not settle a mode for its walks (its " \
            "series would keep %s, for review): %s" % (
                inferred, "; ".join(str(r) for r in table.review))
    if inferred:
        return "the analysis infers %s" % inferred
    return "the analysis finds no walk that reads it (%s)" % (
        table.inferred_reason or table.reason or
        "no walk of this table was found")


def computed(declared, modes):
    """(modes it can be, what it depends on) of a walk_lock expression,
    as Coccinelle printed it: the modes named in it, and the rest (the
    functions it calls, the conditions it tests, the values it reads)."""
    can, depends = set(), []

    def walk(e):
        kind = e[0]
        if kind == "id":
            if e[1] in modes:
                can.add(e[1])
            else:
                depends.append(e[1])
        elif kind == "call":
            depends.append("%s()" % e[1])
            for a in e[2]:
                walk(a)
        elif kind == "?":
            depends.append(values.show(e[1]))
            walk(e[2])
            walk(e[3])
        elif kind == "bin":
            walk(e[2])
            walk(e[3])
        elif kind == "un":
            walk(e[2])
        elif kind != "num":
            depends.append(values.show(e) if kind != "other" else declared)

    walk(values.parse(declared))
    return sorted(can), [d for i, d in enumerate(depends)
                         if d not in depends[:i]]


def verdict(table, contract=None):
    """(verdict, message) for one table (a table.Table) of decisions.json;
    contract: the tree's walker contract as decisions.json records it."""
    modes = [m["name"] for m in (contract or {}).get("modes", [])]
    default = next((m["name"] for m in (contract or {}).get("modes", [])
                    if m["default"]), None)
    declared = table.declared
    if declared is None:
        if table.mode is None:
            return "not needed", table.reason
        if table.mode == default:
            return "agree (default)", "no walk_lock: the default %s, " \
                "which the analysis infers (%s)" % (default, table.reason)
        return "missing", "no walk_lock; the analysis infers %s (%s)" % (
            table.mode, table.reason)
    inferred = table.inferred
    if not re.match(r"^[A-Za-z_]\w*$", declared):
        shown = values.show(values.parse(declared))
        if inferred and not table.review and \
                values.show(values.parse(inferred)) == shown:
            # The analysis computes the same expression, from what the
            # paths record (decisions._mode_by_member).
            return "agree", "declared %s, inferred %s" % (shown, shown)
        can, depends = computed(declared, modes)
        # The modes the tree's mapping functions give it, when the
        # analysis could evaluate it.
        can = sorted(set(can) | set(table.declared_can_be or ()))
        declared = table.declared_shown or declared
        return "not a constant", "walk_lock = %s is computed at run " \
            "time%s%s; %s" % (
                declared,
                " from %s" % ", ".join(depends) if depends else "",
                " (one of %s)" % ", ".join(can) if can else "",
                _inferred_words(table, inferred))
    if declared not in modes:
        return "unknown mode", "declared %s, which the tree's enum " \
            "page_walk_lock does not declare; %s" % (
                declared, _inferred_words(table, inferred))
    if inferred is None:
        # No VMA walk of it was found: the field is ignored (novma and
        # mapping walkers), or the analysis could not see the walk.
        return ("not needed" if table.walkers else "unverified",
                "declared %s; %s" % (declared,
                                     table.inferred_reason or
                                     "no walk of this table was found"))
    if table.review:
        # The analysis did not settle one mode for the walks (its series
        # would list the table for review): it neither confirms nor
        # refutes the tree's choice, and says what it could not follow.
        return "unverified", "declared %s; the analysis does not settle " \
            "a mode for its walks (its answer, %s, is %s): %s" % (
                declared, inferred,
                "the same" if inferred == declared else "another",
                "; ".join(str(r) for r in table.review))
    if declared == inferred:
        return "agree", "declared %s, inferred %s" % (declared, inferred)
    return "disagree", "declared %s, inferred %s: %s" % (
        declared, inferred, table.inferred_reason or "")


VERDICTS = ("agree", "disagree", "agree (default)", "missing",
            "not a constant", "unknown mode", "not needed", "unverified")


def verdicts(decided):
    """[(table, verdict, message)] of a table.Decisions, in file order:
    a caller picks tables by the verdict, never by the line's words."""
    return [(t,) + verdict(t, decided.contract)
            for t in sorted(decided.tables, key=lambda t: (t.file, t.line))]


def line(table, v, msg):
    """One verdict as the audit prints it (Coccinelle's report format)."""
    return "%s:%d: %s: %s: %s" % (table.file, table.line, table.name, v,
                                  msg)


def report(decided):
    """(lines, {verdict: count}) of a table.Decisions."""
    lines, counts = [], {}
    for t, v, msg in verdicts(decided):
        counts[v] = counts.get(v, 0) + 1
        lines.append(line(t, v, msg))
    return lines, counts


def run(tree, decided, out=print):
    lines, counts = report(decided)
    for line in lines:
        out(line)
    out("audit: %d tables: %s" % (len(lines), ", ".join(
        "%d %s" % (counts.get(v, 0), v) for v in VERDICTS)))
    return 1 if counts.get("disagree") or counts.get("missing") else 0
