# SPDX-License-Identifier: GPL-2.0
"""The record of one table in decisions.json, and the file's schema.

decisions.json (OUTDIR/decisions.json, written by apply.sh):

    {"tree": path, "has_core": bool, "per_vma_lock": bool,
     "modes": [the modes the tree's enum has, or the three of convention],
     "form": "bool" (only for a tree with the lock_vma argument),
     "tables": [Table records], "review": [lines for the cover letter]}

A Table record is what the series, the cover letter, the audit and the
boot census read of a table; every one is made by new() so that each has
every field.  The analysis adds, for a table the tree already annotated,
"declared" (its mode), "inferred" and "inferred_reason" (what the
analysis would have chosen), and "dropped_paths" where it set paths
aside (see decisions.py).
"""

import dataclasses
from typing import Optional


@dataclasses.dataclass
class Table:
    name: str                   # the identifier of the const table
    file: str                   # the file that defines it (tree-relative)
    line: int                   # the line of its definition
    function: Optional[str] = None  # a table local to a function: that one
    walkers: list = dataclasses.field(default_factory=list)
    # "none" (left alone), "annotate" (walk_lock set) or "split" (a write
    # twin added for the callers that need the write lock).
    action: str = "none"
    mode: Optional[str] = None  # the walk_lock value, or None
    reason: str = ""            # one line: why this mode
    evidence: list = dataclasses.field(default_factory=list)
    # Each lock context that reaches the table: {"lock", "steps" (the
    # calls from where the lock is known down to the walk), "sites"}.
    chains: list = dataclasses.field(default_factory=list)
    notes: list = dataclasses.field(default_factory=list)
    review: list = dataclasses.field(default_factory=list)
    vma_changed_by: list = dataclasses.field(default_factory=list)
    pinned: bool = False        # mode from the pins file, not the analysis
    pin_reason: Optional[str] = None
    # For a split: {"write_name", "write_mode", "callers": [{"function",
    # "table"}]} (the callers that pass the twin).
    split: Optional[dict] = None


def new(**fields):
    """A Table record (a dict, as decisions.json holds it)."""
    return dataclasses.asdict(Table(**fields))
