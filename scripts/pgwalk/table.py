# SPDX-License-Identifier: GPL-2.0
"""The record of one table in decisions.json, and the file's schema.

decisions.json (OUTDIR/decisions.json, written by apply.sh):

    {"tree": path, "has_core": bool, "per_vma_lock": bool,
     "modes": [the modes the tree's enum has, or the three of convention],
     "walkers": {walker: honours walk_lock}, "contract": {the walker
     contract, contract.py},
     "form": "bool" (only for a tree with the lock_vma argument),
     "tables": [Table records], "review": [lines for the cover letter]}

A Table record is what the series, the cover letter, the audit and the
boot census read of a table; every one is made by new() so that each has
every field.  The analysis adds, for a table the tree already annotated,
"declared" (its mode), "inferred" and "inferred_reason" (what the
analysis would have chosen), and "dropped_paths" where it set paths
aside (see decisions.py).

A stage that reads decisions.json back (the audit, --previous, the claims
check, bare_annotate_cmd()) reads it into Decisions and Table with
from_json(), never as raw dicts: a field it does not know, or one it
needs and does not find, is one line that names the table and the field.
"""

import copy
import dataclasses
import enum
import json

from pgwalk.errors import PgwalkError


class DecisionsError(PgwalkError):
    """A decisions.json (or the dict the analysis hands on) that is not
    what apply.sh writes."""


# Table.review_kind: the closed set of its values.
REVIEW_UNSEEN = "unseen"
REVIEW_LOCK_CHOICE = "lock-choice"


class Action(str, enum.Enum):
    """What the series does to a table.  A str, so that decisions.json and
    every comparison with the word stay as they were."""
    NONE = "none"           # left alone
    ANNOTATE = "annotate"   # walk_lock set
    SPLIT = "split"         # a write twin added for the callers that
    # need the write lock

    # The word, not "Action.NONE", wherever it is printed.
    __str__ = str.__str__
    __format__ = str.__format__


@dataclasses.dataclass
class Table:
    name: str                   # the identifier of the const table
    file: str                   # the file that defines it (tree-relative)
    line: int                   # the line of its definition
    function: str | None = None  # a table local to a function: that one
    walkers: list = dataclasses.field(default_factory=list)
    action: Action = Action.NONE
    mode: str | None = None  # the walk_lock value, or None
    reason: str = ""            # one line: why this mode
    evidence: list = dataclasses.field(default_factory=list)
    # Each lock context that reaches the table: {"lock", "steps" (the
    # calls from where the lock is known down to the walk), "sites"}.
    chains: list = dataclasses.field(default_factory=list)
    notes: list = dataclasses.field(default_factory=list)
    review: list = dataclasses.field(default_factory=list)
    vma_changed_by: list = dataclasses.field(default_factory=list)
    pinned: bool = False        # mode from the pins file, not the analysis
    pin_reason: str | None = None
    # For a split: {"write_name", "write_mode", "callers": [{"function",
    # "table"}]} (the callers that pass the twin).
    split: dict | None = None
    # A table used only with walkers that ignore walk_lock, whose mode
    # states the mmap lock they assert themselves: {"walkers", "asserts"
    # ("read" or "write")}.
    stated_by: dict | None = None

    # Only some tables have these; decisions.json leaves them out where
    # they are None (inferred and inferred_reason go with declared).
    declared: str | None = None      # the walk_lock the tree sets
    inferred: str | None = None      # the mode the analysis infers
    inferred_reason: str | None = None
    declared_shown: str | None = None    # a computed walk_lock: its text
    declared_can_be: list | None = None  # and the modes it can be
    dropped_paths: int | None = None     # paths not counted
    # walk_lock set right before each walk, to one of these.
    walk_lock_at_walk: list | None = None
    # walk_lock set right before each walk to a value chosen at run time:
    # {"expr": its text, "can_be": [the modes the tree's mapping
    # functions give it]}.
    walk_lock_set_to: dict | None = None
    # True for a local table (function) whose file has another table of
    # its name: the edits and the pins name it function:name.
    shared_name: bool | None = None
    # Why a table whose paths differ keeps the tree's mode, for review:
    # REVIEW_UNSEEN (some path cannot be followed to its lock) or
    # REVIEW_LOCK_CHOICE (every path is followed; which lock it holds is
    # chosen by a value the analysis does not fix).
    review_kind: str | None = None
    # A mode computed at run time from what a lock helper recorded
    # (decisions._mode_by_member): {"function": F, "expr": "p->m",
    # "modes": the modes F gives, "by_lock": {lock state: [modes]}};
    # mode is then the C text F(p->m).
    mode_by: dict | None = None

    # The fields a decisions.json table must have: the rest have
    # defaults, and a table written by an older apply.sh may lack them.
    REQUIRED = ("name", "file", "line", "action", "mode")
    _OPTIONAL = ("declared", "declared_shown", "declared_can_be",
                 "dropped_paths", "walk_lock_at_walk", "walk_lock_set_to",
                 "shared_name", "review_kind", "mode_by")
    _WITH_DECLARED = ("inferred", "inferred_reason")

    @classmethod
    def from_json(cls, d, where="a table"):
        """The record of one table of decisions.json (a dict)."""
        if not isinstance(d, dict):
            raise DecisionsError("%s is not an object" % where)
        if isinstance(d.get("name"), str):
            where = "%s (%s)" % (where, d["name"])
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise DecisionsError("%s: unknown field %s" % (
                where, ", ".join('"%s"' % k for k in unknown)))
        missing = [k for k in cls.REQUIRED if k not in d]
        if missing:
            raise DecisionsError("%s: no field %s" % (
                where, ", ".join('"%s"' % k for k in missing)))
        try:
            action = Action(d["action"])
        except ValueError:
            raise DecisionsError("%s: action %r is not one of %s" % (
                where, d["action"], ", ".join(a.value for a in Action))) \
                from None
        return cls(**dict(d, action=action))

    def to_json(self):
        """The dict decisions.json holds (a copy: the record's lists are
        not shared with it)."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None and (f.name in self._OPTIONAL or (
                    f.name in self._WITH_DECLARED and
                    self.declared is None)):
                continue
            out[f.name] = copy.deepcopy(value)
        return out


def new(**fields):
    """A Table record (a dict, as decisions.json holds it)."""
    return Table(**fields).to_json()


@dataclasses.dataclass
class Decisions:
    """decisions.json as a whole (see above)."""
    tables: list                        # of Table
    tree: str | None = None
    has_core: bool = False
    per_vma_lock: bool = False
    modes: list | None = None
    walkers: dict | None = None
    contract: dict | None = None
    form: str | None = None
    review: list = dataclasses.field(default_factory=list)

    # Left out of decisions.json where None: boolform writes no modes,
    # walkers and contract, and the analysis no form.
    _OPTIONAL = ("tree", "modes", "walkers", "contract", "form")

    @classmethod
    def from_json(cls, d):
        """The record of a decisions.json (a dict, as json.load gives it,
        or as the analysis hands it on)."""
        if not isinstance(d, dict):
            raise DecisionsError("not an object")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise DecisionsError("unknown field %s" % ", ".join(
                '"%s"' % k for k in unknown))
        if not isinstance(d.get("tables"), list):
            raise DecisionsError("no list of tables")
        tables = [Table.from_json(t, "table %d" % (i + 1))
                  for i, t in enumerate(d["tables"])]
        return cls(**dict(d, tables=tables))

    def to_json(self):
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None and f.name in self._OPTIONAL:
                continue
            out[f.name] = [t.to_json() for t in value] \
                if f.name == "tables" else copy.deepcopy(value)
        return out


def load(path):
    """The Decisions of a decisions.json file; DecisionsError, naming the
    file, when it cannot be read or is not what apply.sh writes."""
    try:
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
    except (OSError, ValueError) as e:
        raise DecisionsError("%s: cannot be read: %s" % (path, e)) from None
    try:
        return Decisions.from_json(d)
    except DecisionsError as e:
        raise DecisionsError("%s: not the decisions.json apply.sh writes: "
                             "%s" % (path, e)) from None
