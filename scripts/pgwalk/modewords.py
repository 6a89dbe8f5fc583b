# SPDX-License-Identifier: GPL-2.0
"""What each locking mode asks of the caller and does to each VMA, in words.

A mode says which lock the caller of the walk holds and what the walker
does with each VMA it walks; it says nothing about what the callbacks do
to the page tables.  Every sentence the series writes about a mode (the
enum's kernel-doc, the core patch, the cover letter) comes from
`contract()`, the one place that knows what the walker core of the tree
does under each mode, and from the phrases below, one per fact.
"""

import os

from pgwalk import conffile, convention, REPO

# What the caller must hold, by the mmap lock the walker asserts.
CALLER = {
    "read": "the caller holds the mmap lock, for read or for write",
    "write": "the caller holds the mmap lock for write",
    "none": "the caller holds a per-VMA read lock on each VMA walked "
            "and need not hold the mmap lock",
}

# What the walker does with each VMA it walks.
WALKER = {
    "none": "the walker does nothing to the VMAs it walks",
    "lock-write": "the walker write-locks each VMA before walking it",
    "verify-write": "the walker asserts that each VMA it walks is "
                    "already write-locked",
    "verify-read": "the walker asserts that each VMA it walks is "
                   "read-locked",
}

# The assertion behind each mmap need (what lockdep checks).
ASSERTS = {
    "read": "mmap_assert_locked()",
    "write": "mmap_assert_write_locked()",
}


def conf_rows():
    """[(mode, mmap need, VMA action)] of scripts/modes.conf (or of
    PGWALK_DATA_DIR's copy, as analysis/lockdata.py reads it): what the
    core the series inserts does under each mode."""
    path = os.path.join(os.environ.get("PGWALK_DATA_DIR") or
                        os.path.join(REPO, "scripts"), "modes.conf")
    return [tuple(line.split()) for _num, line in conffile.entries(path)]


def contract(modes=None, per_vma_lock=True, rows=None):
    """[(mode, mmap need, VMA action)] of the modes the tree has, as its
    walker core applies them, in the enum's order.

    rows: the contract of the tree's walker core as the analysis reads it
    (analysis/contract.py: its own core, or the one the series inserts),
    [(mode, mmap, vma)].  Without rows (the inserted core's own
    kernel-doc, which that contract is read from) the rows of modes.conf
    for `modes` (None: the modes the inserted core declares).  Without
    per-VMA locks the inserted core has no VMA half: every mode leaves
    the VMAs alone.
    """
    if rows is None:
        table = {r[0]: r[1:] for r in conf_rows()}
        rows = [(m,) + tuple(table[m]) for m in modes or convention.MODES
                if m in table]
    if not per_vma_lock:
        rows = [(mode, mmap, "none") for mode, mmap, _vma in rows]
    return list(rows)


def rule(mmap, vma):
    """One clause: what a mode asks of the caller and does to each VMA."""
    return "%s; %s" % (CALLER[mmap], WALKER[vma])


def mode_rules(modes=None, per_vma_lock=True, rows=None):
    """[(mode, clause)] for every mode of the tree."""
    return [(mode, rule(mmap, vma))
            for mode, mmap, vma in contract(modes, per_vma_lock, rows)]


def differences(modes=None, per_vma_lock=True, rows=None):
    """Modes that the walker treats alike on this tree (lists of names
    with the same contract), for a sentence that says so."""
    seen = {}
    for mode, mmap, vma in contract(modes, per_vma_lock, rows):
        seen.setdefault((mmap, vma), []).append(mode)
    return [names for names in seen.values() if len(names) > 1]


def kernel_doc(modes=None, per_vma_lock=True, default=convention.RDLOCK):
    """The kernel-doc comment of enum page_walk_lock for the tree."""
    lines = ["/**",
             " * enum page_walk_lock - what a page table walk requires of "
             "its caller"]
    for mode, clause in mode_rules(modes, per_vma_lock):
        lines += _wrap("@%s: %s." % (mode, clause), " * ", " *\t")
    tail = ("%s is 0, the mode of a table that does not set walk_lock." %
            default)
    for names in differences(modes, per_vma_lock):
        tail += "  Without per-VMA locks, %s ask the same of the caller " \
            "and of the walker." % _and(names)
    lines += [" *"] + _wrap(tail, " * ", " * ") + [" */"]
    return "\n".join(lines)


def _and(items):
    items = list(items)
    return items[0] if len(items) == 1 else "%s and %s" % (
        ", ".join(items[:-1]), items[-1])


def _wrap(text, first, rest, width=80):
    """Comment lines of at most `width` columns (tabs to 8)."""
    out, line = [], first
    for word in text.split():
        if line not in (first, rest) and _width(line + " " + word) > width:
            out.append(line)
            line = rest
        line = line + word if line in (first, rest) else line + " " + word
    return out + [line]


def _width(line):
    col = 0
    for ch in line:
        col = (col // 8 + 1) * 8 if ch == "\t" else col + 1
    return col
