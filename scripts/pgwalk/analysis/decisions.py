# SPDX-License-Identifier: GPL-2.0
"""Decisions: which locking mode each ops table needs, with its evidence.

    python3 -m pgwalk.analysis.decisions TREE [--pins FILE] [--json OUT]

analyze() gathers the facts (gather.py), then decide() -- a pure function
of the facts, the tree's modes and the pins -- gives every table a mode:

- every chain to its walks holds the mmap lock for write
      -> the write mode; its "verify" form when every walk changes or
         write-locks the VMA it walks before walking it;
- some chain holds it for read (or in a mode only known at run time)
      -> the read mode, unless one static function holds all the walks
         and its direct callers differ: then a read and a write twin;
- a chain that holds no lock at all cannot reach a walker (the walker
  asserts the lock): such a chain (an error path) is not counted;
- a chain whose start cannot be seen (no caller in the tree, a callback
  with no known context) or whose table choice cannot be followed keeps
  the mode safe for every chain, with a note that names it.

The modes, and what the walker core does under each, are the tree's walker
contract (contract.py): the mode of a table is the weakest mode whose
contract holds on every path to its walks.
"""

import argparse
import dataclasses
import json
import os
import sys

from pgwalk.errors import PgwalkError, run_main
from pgwalk import convention, table, treefeatures
from pgwalk.analysis import (candidates, contract as contractmod, factindex,
                             gather, lockdata, paths, values)
from pgwalk.analysis.contract import MmapNeed, VmaAction
from pgwalk.analysis.lockstate import (ChainState, LockState, Mmap, Vma,
                                       asserts_held)
from pgwalk import logs
from pgwalk.analysis import pins as pinsmod
from pgwalk.analysis.values import Evaluator


class AnalysisError(PgwalkError):
    """The analysis cannot give a trustworthy answer; says where."""


@dataclasses.dataclass(frozen=True)
class Context:
    """What every table's decision reads, the same for all tables of a
    tree: the facts, the paths over them, the words for chains, the
    tree's walker contract and the walkers that honour walk_lock."""
    fx: object              # factindex.Facts
    paths: paths.Paths
    words: "Words"
    contract: contractmod.Contract
    vma_walkers: frozenset


@dataclasses.dataclass
class Uses:
    """How one table is used: the walkers it is passed to, and each path
    to a walk of it that honours walk_lock, as (Chain, walk position,
    notes on the path)."""
    walkers: set = dataclasses.field(default_factory=set)
    chains: list = dataclasses.field(default_factory=list)


def split_args(args):
    """The arguments of a printed argument list, as C text."""
    return [values.show(a) for a in factindex.parse_args(args)]


# ------------------------------------------------------------------ modes

def path_lock(state, changed):
    """The LockState of a chain's lock state.  changed: every walk of the
    table changes (or write-locks) the VMA it walks under the mmap write
    lock first."""
    return LockState.of_chain(state, vma_changed=changed) or LockState()


def lock_reason(locks, held=False):
    """Why the mode fits, in words: the lock every path holds.  held:
    some of the paths are only known to hold the mmap lock, for read or
    for write (Words.held()), which a read lock stands for."""
    mmaps = {l.mmap for l in locks}
    vmas = {l.vma for l in locks}
    if mmaps == {Mmap.NONE} and vmas == {Vma.READ}:
        return "per-VMA read lock held on every path"
    if held and mmaps == {Mmap.READ}:
        return "mmap lock held on every path (for read, or where it is " \
            "only asserted or a callback's context, for read or for write)"
    if len(mmaps) == 1 and Mmap.NONE not in mmaps:
        out = "mmap lock held for %s on every path" % next(
            iter(mmaps)).name.lower()
        if vmas <= {Vma.WRITE_LOCKED, Vma.CHANGED}:
            out += ", walked VMA already changed under it"
        return out
    return "the lock held differs between paths"


# -------------------------------------------------------------- evidence

class Words:
    """Facts as short phrases: function names and lock names only."""

    def __init__(self, names, prims=None):
        self.names = names      # (file, fn) -> shown name
        self.prims = prims if prims is not None else lockdata.primitives()

    def fn(self, rel, name):
        return self.names.get((rel, name), "%s()" % name)

    def origin(self, o):
        kind = o["kind"]
        f = self.fn(o.get("file"), o.get("function"))
        if kind == "lock":
            action = self.prims.get(o["lock"], ("", "", "take"))[2]
            if action == "downgrade":
                return "%s downgrades the mmap lock to read with %s()" % (
                    f, o["lock"])
            verb = "asserts" if action == "assert" else "takes"
            return "%s %s %s()" % (f, verb, o["lock"])
        if kind == "iterator":
            return "%s() takes %s() and returns holding it; the seq_file " \
                "core calls %s as .%s of struct %s" % (
                    o["start"], o["lock"], f, o["member"], o["struct"])
        if kind == "callback":
            # A callback whose context is the read lock may be called
            # under the write lock too (a fault taken by a caller that
            # holds it for write): held(), and these words, say so.
            held = {"read": "with the mmap lock held, for read or for "
                            "write",
                    "write": "with the mmap lock held for write",
                    "none": "with no mmap lock held"}[o["state"]]
            return "%s is .%s of struct %s, called %s" % (
                f, o["member"], o["struct"], held)
        if kind == "flag":
            if o["value"]:
                return "%s reaches the walk with .%s set, which is set " \
                    "only with the %s lock held for %s" % (
                        f, o["member"], o["flag_lock"], o["flag_strength"])
            return "%s reaches the walk with .%s clear: the %s lock is " \
                "not held there, and which per-VMA lock is was not " \
                "followed" % (f, o["member"], o["flag_lock"])
        if kind == "entry":
            return "%s is entered with no lock held" % f
        if kind == "handed":
            return "%s is run by %s() with no lock held" % (f, o["callee"])
        if kind == "released":
            return "%s releases the mmap lock with %s()" % (f, o["lock"])
        return "%s: %s" % (f, o.get("why", "not followed"))

    def chain(self, ch):
        steps = [self.origin(ch.origin)]
        for hop in ch.hops:
            steps.append("%s()" % hop.callee if hop.via_param is None else
                         "%s() (called through its parameter %s)" % (
                             hop.callee, hop.via_param))
        sites = []
        if ch.origin.get("at") and ch.origin.get("file"):
            sites.append("%s:%d" % (ch.origin["file"], ch.origin["at"][0]))
        sites += ["%s:%d" % (h.pos[0], h.pos[1]) for h in ch.hops]
        return {"lock": self.held(ch), "steps": steps, "sites": sites}

    def held(self, ch):
        """The chain's lock as its words may say it: a path that only
        asserts the mmap lock is held (for read or for write), or a
        callback the kernel calls with it held for read, which a caller
        holding it for write may call as well, is HELD, not READ, though
        the analysis counts it as a read lock."""
        o = ch.origin
        if ch.state != ChainState.READ:
            return ch.state
        if o["kind"] == "callback" or (
                o["kind"] == "lock" and
                asserts_held(self.prims.get(o["lock"], ()))):
            return ChainState.HELD
        return ch.state


# ---------------------------------------------------------------- decide

def decide(tree, fx, names=None, pins=None, has_core=False,
           per_vma_lock=False, contract=None, callbacks=None):
    """The decisions dict (see README) from facts and pins; reads no file.

    names: {(file, fn): shown name}; contract: the tree's walker contract
    (contract.py), which says which walkers honour walk_lock and which
    modes exist and what each does."""
    available = contract.mode_names()
    words = Words(names or {}, fx.prims)
    pa = paths.Paths(fx, callbacks)
    tables = {}         # key -> Uses
    review = []
    vma_walkers = frozenset(contract.honouring())
    ctx = Context(fx, pa, words, contract, vma_walkers)
    for pos in sorted(p for p, c in fx.calls.items()
                      if c["callee"] in fx.ops_arg):
        call = fx.calls[pos]
        # A table whose address is the walk's argument, or flows into it
        # within the function, is passed to that walker whatever the
        # paths to the walk turn out to be.
        for name in _static_tables(pa, pos):
            key = _find_table(fx, pos[0], name)
            if key:
                tables.setdefault(key, Uses()).walkers.add(call["callee"])
        if call["callee"] not in vma_walkers:
            continue
        # File and function name the site (a cover letter carries no
        # line numbers; the line is in the chains of decisions.json).
        where = "%s, %s(): %s()" % (pos[0], call["function"],
                                    call["callee"])
        followed = False
        for ch in pa.chains(pos):
            feasible, chosen, notes = pa.evaluate(ch)
            if not feasible:
                continue
            followed = True
            if chosen is None:
                review.append("%s: %s" % (where, "; ".join(notes)))
                continue
            for name in sorted(chosen):
                key = _find_table(fx, pos[0], name)
                if not key:
                    continue
                use = tables.setdefault(key, Uses())
                use.walkers.add(call["callee"])
                tag = chosen[name]
                use.chains.append((pa.flagged(ch, tag) if tag else ch, pos,
                                   notes))
        if not followed:
            review.append("%s: no path to the walk can happen as the "
                          "analysis follows it" % where)
    decided = []
    for key in sorted(fx.tables, key=lambda k: (k[0], fx.tables[k]["line"])):
        decided.append(_decide_table(ctx, key, tables.get(key, Uses())))
    if pins:
        pinsmod.apply(pins, decided)
    walkers = {w: w in vma_walkers for w in sorted(fx.ops_arg)}
    return {"tree": tree, "has_core": has_core,
            "per_vma_lock": per_vma_lock, "modes": available,
            "walkers": walkers, "contract": contract.to_json(),
            "tables": decided, "review": sorted(set(review))}


def _tables_given(pa, pos, evaluator):
    """Tables the walk at pos is given, as evaluator resolves its ops
    argument."""
    fx = pa.fx
    call = fx.calls[pos]
    args = factindex.parse_args(call["args"])
    idx = fx.ops_arg.get(call["callee"])
    if idx is None or idx >= len(args):
        return set()
    ev = evaluator(fx.local_values(pos[0], call["function"]),
                   fx.table_scope(pos[0], call["function"]))
    alts = ev.alternatives(ev.value(args[idx]))
    tables = pa.table_names()
    return {a for alt in (alts or ()) for a in alt if a in tables}


def _static_tables(pa, pos):
    """Tables a walk can be given, without a path (walkers that ignore
    walk_lock only need to be named)."""
    return _tables_given(pa, pos, lambda local, scope: Evaluator(
        {}, local, pa.maps, {}, getters=pa.getters, scope=scope))


def _local_tables(pa, pos):
    """Tables the walk at pos is given by its own function: `&table` as
    the argument, or a local of the function that picks it.  A split
    gives that function the table as a parameter in their place."""
    return _tables_given(pa, pos, lambda local, scope: Evaluator(
        {}, local, scope=scope))


def _find_table(fx, relpath, name):
    """The key in fx.tables of the table a walk in relpath is given as
    `name` (a table's key, as paths.Paths._ops gives it), or None."""
    if (relpath, name) in fx.tables:
        return (relpath, name)
    found = sorted(k for k in fx.tables if k[1] == name)
    return found[0] if len(found) == 1 else None


def _changes_vma(fx, contract, walk_pos):
    """Does the walk change (or write-lock) the VMA it walks first, on
    every path?  Only said of walks that name their VMA."""
    call = fx.calls[walk_pos]
    if (walk_pos[0], walk_pos[1]) in fx.vma_unchanged:
        return False
    args = factindex.parse_args(call["args"])
    walker = contract.walkers.get(call["callee"])
    if walker is not None and walker.vma_arg is not None:
        return True
    return bool(args) and args[0][0] == "member" and args[0][3] == "vm_mm"


def _vma_changed_by(fx, ch, contract):
    """The function that changes (or write-locks) the walked VMA on every
    path before the walk, or None.  When the walk's VMA (or mm) argument
    is a parameter of its function, it is followed up the chain to the
    call that passes it: a walk in a wrapper, or in a function split out
    of its caller, is over the VMA that caller changed."""
    hops = ch.hops
    i = len(hops) - 1
    pos = hops[i].pos
    if _changes_vma(fx, contract, pos):
        return fx.calls[pos]["function"]
    args = factindex.parse_args(fx.calls[pos]["args"])
    expr = args[0] if args else None
    while i > 0 and expr and expr[0] == "id" and not hops[i].via_param:
        params = fx.params(hops[i].pos[0], hops[i].caller)
        if expr[1] not in params:
            break
        j = params.index(expr[1])
        i -= 1
        pos = hops[i].pos
        args = factindex.parse_args(fx.calls[pos]["args"])
        expr = args[j] if j < len(args) else None
        fn = fx.calls[pos]["function"]
        if (pos[0], fn) in fx.vma_changers and \
                (pos[0], pos[1]) not in fx.vma_unchanged:
            return fn
    return None


def _decide_table(ctx, key, use):
    fx = ctx.fx
    relpath = key[0]
    fact = fx.tables[key]
    name = fact["name"]
    local = fact["function"] if fact["function"] != name else None
    walkers = sorted(use.walkers)
    # A local whose file has another table of its name: the edits and
    # the pins name it by its function too.
    entry = table.new(name=name, file=relpath, line=fact["line"],
                      function=local, walkers=walkers,
                      shared_name=True if key[1] != name else None)
    declared = fx.table_lock.get(key)
    _infer(ctx, entry, use)
    if declared is None:
        runtime = _set_before_each_walk(ctx, use)
        if runtime:
            # The walking function gives the table its mode at each walk:
            # an initializer would be overridden there.
            entry.pop("review_kind", None)
            entry.update(action=table.Action.NONE, mode=None, split=None,
                         notes=[], review=[], walk_lock_at_walk=runtime,
                         reason="walk_lock is set before each walk, to %s, "
                         "as the lock each path holds allows" %
                         " or ".join(runtime))
            return entry
        chosen = _chosen_before_each_walk(ctx, use, fact)
        if chosen:
            # The tree computes the mode at each walk: an initializer
            # would be overridden there, and which value each path gets
            # is not followed.
            can_be = " or ".join(chosen["can_be"]) or "no mode the " \
                "analysis can name"
            note = ("walk_lock is set before each walk to %s (%s), chosen "
                    "at run time; which of them each path gets is not "
                    "followed" % (chosen["expr"], can_be))
            entry.pop("review_kind", None)
            entry.update(action=table.Action.NONE, mode=None, split=None,
                         notes=[note], review=[note],
                         walk_lock_set_to=chosen,
                         reason="walk_lock is set before each walk to %s, "
                         "a value chosen at run time" % chosen["expr"])
        return entry
    # The tree already chose: the series leaves the table alone, and the
    # audit compares the choice with what the analysis infers.
    entry.pop("review_kind", None)
    entry.update(declared=declared, inferred=entry["mode"],
                 inferred_reason=entry["reason"], mode=declared,
                 action=table.Action.NONE, split=None,
                 reason="already sets walk_lock = %s" % declared)
    parsed = values.parse(declared)
    if parsed[0] != "id":
        # Set at run time: the modes it can be, through the tree's
        # mapping functions (a switch from a parameter to constants).
        entry["declared_shown"] = values.show(parsed)
        entry["declared_can_be"] = sorted(
            _computed_modes(ctx, fact, parsed) or ())
    return entry


def _computed_modes(ctx, fact, parsed):
    """The contract's modes a computed walk_lock (parsed) can be, as the
    table's function, the tree's mapping functions and its getters give
    it; for a mapping function of a value the analysis does not fix, any
    of its returns; None when the value is not fixed either way."""
    ev = Evaluator({}, ctx.fx.local_values(fact["file"], fact["function"]),
                   ctx.paths.maps, {}, getters=ctx.paths.getters)
    alts = ev.alternatives(ev.value(parsed))
    names = set(ctx.contract.mode_names())
    if alts is not None:
        return {a for alt in alts for a in alt if a in names}
    if parsed[0] == "call" and parsed[1] in ctx.paths.maps:
        return _map_returns(ctx.paths.maps[parsed[1]]) & names
    return None


def _map_returns(mapping):
    """Every value a mapping function (Paths.maps) may return: its cases'
    and its other returns'."""
    _params, _expr, rows, others = mapping
    return {v for _l, _line, v in rows} | {v for _line, v, _g in others}


def _set_before_each_walk(ctx, use):
    """The modes a table's walks are given at run time (`ops->walk_lock
    = MODE` right before the walk), when every path to a walk of it has
    one such mode and that mode holds for the lock the path holds; else
    None."""
    modes = set()
    for ch, pos, _notes in use.chains:
        given = ctx.fx.walk_lock_at.get(pos) or set()
        mode = ctx.contract.mode(next(iter(given))) \
            if len(given) == 1 else None
        if mode is None or ch.state in ("none", "unseen") or \
                not mode.holds(path_lock(ch.state, False)):
            return None
        modes.add(mode.name)
    return [m for m in ctx.contract.mode_names() if m in modes] or None


def _chosen_before_each_walk(ctx, use, fact):
    """{"expr", "can_be"} when every walk of the table is given the same
    computed walk_lock right before it (`ops->walk_lock = f(x)`, not a
    mode of the contract): its text, and the modes the tree's mapping
    functions can give it.  Else None."""
    given = set()
    for _ch, pos, _notes in use.chains:
        at = ctx.fx.walk_lock_at.get(pos) or set()
        if len(at) != 1:
            return None
        given |= at
    if len(given) != 1:
        return None
    expr = next(iter(given))
    if ctx.contract.mode(expr) is not None:
        return None
    parsed = values.parse(expr)
    names = ctx.contract.mode_names()
    found = _computed_modes(ctx, fact, parsed) or set()
    return {"expr": values.show(parsed),
            "can_be": [m for m in names if m in found]}


def _infer(ctx, entry, use):
    fx, words, contract = ctx.fx, ctx.words, ctx.contract
    chains = use.chains
    honouring = [w for w in entry["walkers"] if w in ctx.vma_walkers]
    if not chains and honouring:
        # Passed to a walker that reads walk_lock, on no path followed:
        # never "left as it is".
        entry["action"] = "annotate"
        entry["mode"] = contract.default.name if contract.default else None
        entry["reason"] = ("passed to %s, but no path to the walk could be "
                           "followed" % ", ".join("%s()" % w
                                                  for w in honouring))
        entry["notes"] = [entry["reason"]]
        entry["review"] = list(entry["notes"])
        entry["review_kind"] = table.REVIEW_UNSEEN
        return
    if not chains:
        walkers = entry["walkers"]
        if walkers:
            entry["reason"] = "used only with %s, which %s walk_lock" % (
                ", ".join("%s()" % w for w in walkers),
                "ignores" if len(walkers) == 1 else "ignore")
            stated = contract.stated_by(walkers)
            if stated is not None:
                # The walker checks a lock itself: the table states it.
                entry["action"] = "annotate"
                entry["mode"] = stated.name
                need = contract.asserted_by(walkers)
                entry["stated_by"] = {"walkers": list(walkers),
                                      "asserts": need.value}
                entry["reason"] += " and %s the mmap lock%s %s; %s, " \
                    "the weakest mode that asks for the mmap lock, asks " \
                    "no more than that" % (
                        "asserts" if len(walkers) == 1 else "assert",
                        " for write" if need is MmapNeed.WRITE else "",
                        "itself" if len(walkers) == 1 else "themselves",
                        stated.name)
        else:
            entry["reason"] = "not passed to a page walker in this tree"
        return
    counted = [(ch, pos, notes) for ch, pos, notes in chains
               if ch.state != "none" and not _error_path(fx, ch)]
    dropped = len(chains) - len(counted)
    states = {ch.state for ch, _p, _n in counted}
    notes = sorted({n for _c, _p, ns in counted for n in ns})
    if len(states) == 1:
        # A choice the path does not fix cannot lower the mode when every
        # path holds the same lock.
        notes = [n for n in notes
                 if getattr(n, "kind", None) != paths.Note.CHOICE]
    unseen = sorted({words.origin(ch.origin) for ch, _p, _n in counted
                     if ch.state == "unseen"})
    entry["action"] = "annotate"
    entry["chains"] = _chain_words(words, [c for c, _p, _n in counted
                                           if c.state != "unseen"])
    entry["evidence"] = _evidence(entry["chains"])
    entry["dropped_paths"] = dropped
    changers = [_vma_changed_by(fx, ch, contract) for ch, _p, _n in counted]
    changed = all(changers)
    default = contract.default.name if contract.default else None
    if not counted:
        entry["mode"] = default
        entry["reason"] = ("every path to its walks holds no mmap lock, "
                           "which the walker would reject")
        entry["notes"] = ["no path to a walk of this table holds the mmap "
                          "lock"]
        entry["review"] = list(entry["notes"])
        return
    clear = [ch for ch, _p, _n in counted
             if ch.origin["kind"] == "flag" and not ch.origin["value"]]
    if clear and len(clear) == len(counted) and _flag_clear(
            contract, entry, {ch.origin["member"] for ch in clear}):
        return
    locks = sorted({path_lock(s, changed) for s in states
                    if s != "unseen"}, key=lambda l: (l.mmap, l.vma.value))
    # The mode: the weakest whose contract holds on every path, when
    # every path is seen and the table each path walks is known.
    fit = contract.weakest(locks) \
        if "unseen" not in states and not notes else None
    if fit is not None:
        entry["mode"] = fit.name
        entry["reason"] = lock_reason(locks, any(
            c["lock"] == ChainState.HELD for c in entry["chains"]))
        if fit.vma is VmaAction.VERIFY_WRITE:
            entry["vma_changed_by"] = sorted(
                {"%s()" % fn for fn in changers})
        return
    split = _try_split(ctx, entry, counted)
    if split:
        return
    # Paths differ (or cannot all be followed): the weakest mode whose
    # checks pass on every path seen, else the default, named for review.
    safe = contract.weakest_safe(locks) if "unseen" not in states else None
    entry["mode"] = safe.name if safe else default
    review = list(notes) + ["%s" % u for u in unseen]
    if "vma_read" in states:
        review.append("some paths hold only a per-VMA read lock")
    entry["notes"] = review
    entry["review"] = list(review)
    if "unseen" in states:
        entry["review_kind"] = table.REVIEW_UNSEEN
    lock_choice = any(getattr(n, "kind", None) == paths.Note.LOCK_CHOICE
                      for n in notes)
    if lock_choice and not safe and "unseen" not in states and \
            _mode_by_member(ctx, entry, counted, changed):
        return
    if lock_choice:
        if not safe and "unseen" not in states:
            entry["review_kind"] = table.REVIEW_LOCK_CHOICE
        entry["reason"] = ("the lock some paths hold is chosen by a value "
                           "the analysis does not fix: %s" % (
                               "the mode safe for every lock they may hold"
                               if safe else "no mode's checks hold for "
                               "every lock they may hold, so it keeps the "
                               "behaviour the tree had"))
    elif states <= {"read"}:
        entry["reason"] = "mmap lock held for read on every path"
    elif "write" in states and "read" in states:
        entry["reason"] = ("some paths hold the mmap lock only for read")
    elif notes and states <= {"read", "write"}:
        entry["reason"] = ("chosen on paths the analysis cannot tell "
                           "apart: the mode safe for all of them")
    else:
        entry["reason"] = ("some paths cannot be followed to their lock; "
                           "keeps the behaviour the tree had")


def _mode_by_member(ctx, entry, counted, changed):
    """A table whose paths hold different locks, chosen by a value: when
    a lock helper records which lock it took in a member the walking
    function can read (p->m, p its parameter), and a mapping function of
    the tree F (a switch whose every return is a mode) gives every path,
    from what it recorded there, a mode that holds for the lock that path
    holds, the table's walk_lock is F(p->m), set in its initializer.
    Only for a table local to the function making every walk (p is in
    scope there).  Fills entry and returns True, else False."""
    contract = ctx.contract
    fn = entry.get("function")
    if not fn or not counted or any(ch.hops[-1].caller != fn
                                    for ch, _p, _n in counted):
        return False
    keys = set.intersection(*(set(ch.members) for ch, _p, _n in counted))
    names = set(contract.mode_names())
    for fname in sorted(ctx.paths.maps):
        returns = _map_returns(ctx.paths.maps[fname])
        if len(ctx.paths.maps[fname][0]) != 1 or not returns or \
                not returns <= names:
            continue
        for param, member in sorted(keys):
            given = {}      # lock state -> modes F gives its paths
            for ch, _pos, _notes in counted:
                ev = Evaluator({"v": ch.members[(param, member)]},
                               maps=ctx.paths.maps)
                alts = ev.alternatives(ev.apply_map(fname, [("id", "v")]))
                modes = {a for alt in alts or () for a in alt}
                if not alts or not modes <= names or not all(
                        contract.mode(m).holds(path_lock(ch.state, changed))
                        for m in modes):
                    break
                given.setdefault(ch.state, set()).update(modes)
            else:
                expr = "%s->%s" % (param, member)
                used = [m for m in contract.mode_names()
                        if any(m in g for g in given.values())]
                entry.pop("review_kind", None)
                entry.update(
                    mode="%s(%s)" % (fname, expr), notes=[], review=[],
                    mode_by={"function": fname, "expr": expr,
                             "modes": used,
                             "by_lock": {str(k): sorted(v) for k, v in
                                         sorted(given.items())}},
                    reason="walk_lock = %s(%s): the lock each path holds "
                    "is recorded in %s, and %s() gives each path a mode "
                    "that holds for it" % (fname, expr, expr, fname))
                return True
    return False


def _flag_clear(contract, entry, members):
    """A table walked only where a lock-flag member is clear: no path
    holds the mmap lock (the flag says so), so the mode is the weakest
    whose mmap need is none; which per-VMA lock the paths hold was not
    followed, and the review says so.  False when the tree has no such
    mode."""
    free = [m for m in contract.modes if m.mmap.value == "none"]
    if not free:
        return False
    mode = min(free, key=lambda m: m.strength)
    shown = ", ".join(".%s" % m for m in sorted(members))
    entry["mode"] = mode.name
    entry["reason"] = "walked only where %s is clear, without the mmap " \
        "lock" % shown
    entry["notes"] = ["walked only where %s is clear, so no path holds the "
                      "mmap lock; %s is the %s mode that does not need it, "
                      "and the per-VMA lock it relies on was not followed "
                      "to where it is taken" % (
                          shown, mode.name,
                          "only" if len(free) == 1 else "weakest")]
    entry["review"] = list(entry["notes"])
    return True


def _error_path(fx, ch):
    """A chain that cannot be followed to its start, and that skipped a
    lock the function on its way takes on its other paths: the kernel's
    error-path shape (the lock is taken at the top, the path that skips
    it returns early), whose start the analysis cannot see either."""
    if ch.state != "unseen":
        return False
    return any({s for s, _b in fx.states_at(h.pos)} - {"inherit"}
               for h in ch.hops)


def _chain_words(words, chains):
    out, seen = [], set()
    for ch in chains:
        w = words.chain(ch)
        key = (w["lock"], tuple(w["steps"]))
        if key in seen:
            continue
        seen.add(key)
        out.append(w)
    return sorted(out, key=lambda w: (w["lock"], w["steps"]))


def _evidence(chain_words, limit=6):
    stories = [" -> ".join(w["steps"]) for w in chain_words]
    if len(stories) > limit:
        stories = stories[:limit] + ["... and %d more paths" %
                                     (len(stories) - limit)]
    return stories


def _try_split(ctx, entry, chains):
    """Split when one static function holds all walks of the table with
    `&table`, and its direct callers each hold the lock in one mode, some
    read, some write.  chains: the counted paths, as in Uses.chains."""
    fx, pa, contract = ctx.fx, ctx.paths, ctx.contract
    if entry.get("shared_name"):
        # The split's rule and its callers name a table by its name.
        return False
    walks = {pos for _c, pos, _n in chains}
    fns = {(p[0], fx.calls[p]["function"]) for p in walks}
    if len(fns) != 1:
        return False
    relpath, fn = next(iter(fns))
    for pos in walks:
        if {s for s, _b in fx.states_at(pos)} != {"inherit"}:
            return False
        if _local_tables(pa, pos) != {entry["name"]}:
            return False
    twin = convention.twin_name(entry["name"])
    if twin in {t["name"] for t in fx.tables.values()}:
        return False
    if not fx.is_static(relpath, fn) or fx.passed.get(fn) or \
            (relpath, fn) in fx.callbacks:
        return False
    by_caller = {}
    for ch, _pos, notes in chains:
        if len(ch.hops) < 2 or notes:
            return False
        by_caller.setdefault(ch.hops[-2].pos, set()).add(ch.state)
    callers = []
    for cpos, states in sorted(by_caller.items()):
        states = states - {"none"}
        if states == {"write"}:
            callers.append((cpos, "write"))
        elif states == {"read"}:
            callers.append((cpos, "read"))
        else:
            return False
    if {m for _p, m in callers} != {"read", "write"}:
        return False
    changed = all(_vma_changed_by(fx, ch, contract) for ch, _p, _n in chains
                  if ch.state == "write")
    write_fit = contract.weakest([path_lock("write", changed)])
    read_fit = contract.weakest([path_lock("read", changed)])
    if write_fit is None or read_fit is None:
        return False
    write_mode = write_fit.name
    entry["mode"] = read_fit.name
    entry["action"] = "split"
    entry["split"] = {
        "write_name": twin, "write_mode": write_mode,
        "function": fn, "param": convention.TWIN_FLAG,
        "callers": [{"function": fx.calls[p]["function"], "line": p[1],
                     "table": twin if mode == "write" else entry["name"]}
                    for p, mode in callers]}
    entry["reason"] = ("%s() is called with the mmap lock held for write by "
                       "some callers and for read by others: split" % fn)
    return True


# ---------------------------------------------------------------- analyze

def shown_names(fx):
    """{(file, fn): how a reader knows it}: system calls by their macro
    and name (SYSCALL_DEFINE3(name), SYSCALL_DEFINE0(name))."""
    return dict(fx.entries)


def analyze(tree, pins_path=None, jobs=2, cache=None):
    """Facts, then decisions, for a kernel tree."""
    found = treefeatures.detect(tree)
    pins = pinsmod.load(pins_path) if pins_path else []
    try:
        with candidates.searching(tree):
            contract = contractmod.of(tree)
            fx = gather.Gatherer(tree, jobs, cache, contract).run()
    except (gather.GatherError, RuntimeError) as e:
        raise AnalysisError(str(e))
    return decide(tree, fx, shown_names(fx), pins, found["has_core"],
                  found["per_vma_lock"], contract)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m pgwalk.analysis.decisions")
    p.add_argument("tree")
    p.add_argument("--pins")
    p.add_argument("--json")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = p.parse_args(argv)
    try:
        with logs.shown(lambda m: print(m, file=sys.stderr)):
            decided = analyze(args.tree, args.pins, args.jobs)
    except PgwalkError as e:
        print("error: %s" % e, file=sys.stderr)
        return 1
    for t in decided["tables"]:
        mode = t["mode"] or "-"
        if t["split"]:
            mode += " + %s %s" % (t["split"]["write_name"],
                                  t["split"]["write_mode"])
        print("%-24s %-28s %-22s %s" % (t["file"], t["name"], mode,
                                        t["reason"]))
    for line in decided["review"]:
        print("review: %s" % line)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(table.Decisions.from_json(decided).to_json(), f,
                      indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(run_main("pgwalk.analysis.decisions", main))
