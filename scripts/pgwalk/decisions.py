"""Decisions: which locking mode each ops table needs, with its evidence.

    python3 -m pgwalk.decisions TREE [--pins FILE] [--json OUT]

analyze() gathers facts (facts.py) round by round, following every path
that reaches a walk back to where the mmap lock is taken or asserted:
first inside the walk's function, then through its callers, across files.
decide() is then a pure function of those facts and the pins:

- write lock on every path                   -> PGWALK_WRLOCK, or
  PGWALK_WRLOCK_VERIFY when every walk of the table changes the VMA it
  walks (flags written, vma_start_write()) before walking it;
- read lock on every path, or a path whose context cannot be seen
  (function pointers, no caller in the tree) -> PGWALK_RDLOCK, and the
  unseen paths are listed for review;
- callers of the walk's function differ      -> split into a read and a
  write twin, each caller passing the one it needs;
- a lock taken for read on one branch and for write on another only
  guarantees that it is held: that counts as read.
"""

import argparse
import json
import os
import re
import sys

from pgwalk import candidates, facts, pins as pinsmod

MODES = ("PGWALK_RDLOCK", "PGWALK_WRLOCK", "PGWALK_WRLOCK_VERIFY")
MAX_ROUNDS = 10
MAX_DEPTH = 12


class AnalysisError(Exception):
    """The analysis cannot give a trustworthy answer; says where."""


def split_args(args):
    """Top-level comma split of spatch's printed argument list."""
    text = args.replace(" ", "")
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return out


def twin_name(name):
    """Name of the write twin of a split table."""
    if name.endswith("_walk_ops"):
        return name[:-len("_walk_ops")] + "_lock_vma_walk_ops"
    return name + "_lock_vma"


class Facts:
    """Indexes over the raw facts of all rounds."""

    def __init__(self, tree, raw, ops_arg):
        self.tree = tree
        self.ops_arg = ops_arg  # walker -> index of its ops argument
        self._lines = {}        # file -> its lines, read once
        self.sites = {}         # (file, line, callee) -> {(state, lock_line)}
        self.site_fn = {}       # (file, line, callee) -> function
        self.locks = {}         # (file, line) -> lock function name
        self.walks = []
        self.vma_unchanged = set()
        self.tables = {}        # (file, name) -> fact
        self.table_lock = {}    # name -> mode expression
        self.assigns = {}       # (file, function, var) -> {table}
        self.functions = {}     # (file, name) -> line
        self.cond_unlocks = set()   # (file, line) of `if (E) unlock;`
        self.add(raw)

    def add(self, raw):
        for f in raw:
            kind = f["kind"]
            if kind == "call":
                key = (f["file"], f["line"], f["callee"])
                self.sites.setdefault(key, set()).add(
                    (f["state"], f.get("lock_line")))
                self.site_fn[key] = f["function"]
            elif kind == "lock":
                self.locks[(f["file"], f["line"])] = f["name"]
            elif kind == "walk":
                if f not in self.walks:
                    self.walks.append(f)
            elif kind == "vma_unchanged":
                self.vma_unchanged.add((f["file"], f["line"]))
            elif kind == "table":
                self.tables[(f["file"], f["name"])] = f
            elif kind == "table_lock":
                self.table_lock[f["name"]] = f["mode"]
            elif kind == "assign":
                self.assigns.setdefault(
                    (f["file"], f["function"], f["var"]), set()).add(
                        f["table"])
            elif kind == "cond_unlock":
                self.cond_unlocks.add((f["file"], f["line"]))
            elif kind == "function":
                self.functions[(f["file"], f["name"])] = f["line"]

    def lines(self, relpath):
        """The lines of a tree file; each file is read once."""
        if relpath not in self._lines:
            with open(os.path.join(self.tree, relpath), encoding="utf-8",
                      errors="replace") as fh:
                self._lines[relpath] = fh.read().split("\n")
        return self._lines[relpath]

    def is_static(self, relpath, name):
        line = self.functions.get((relpath, name))
        if line is None:
            return False
        lines = self.lines(relpath)
        head = " ".join(lines[max(0, line - 3):line])
        head = head[:head.rfind(name)] if name in head else head
        # Only the declaration that ends right before the name counts.
        head = re.split(r"[;}]", head)[-1]
        return re.search(r"\bstatic\b", head) is not None

    def shown(self, relpath, fn, line):
        """fn() as a reader knows it: SYSCALL_DEFINE3(mbind), not
        SYSCALL_DEFINE3(), for the syscall macros Coccinelle names by the
        macro.  The definition is the nearest one above `line`."""
        if not re.match(r"^(COMPAT_)?SYSCALL_DEFINE\d$", fn):
            return "%s()" % fn
        for text in reversed(self.lines(relpath)[:line]):
            m = re.match(r"^%s\((\w+)" % fn, text)
            if m:
                return "%s(%s)" % (fn, m.group(1))
        return "%s()" % fn

    def callers(self, relpath, name):
        """Call sites of function `name` defined in relpath."""
        static = self.is_static(relpath, name)
        out = []
        for key in sorted(self.sites):
            cfile, _line, callee = key
            if callee != name:
                continue
            if static and cfile != relpath:
                continue
            if not static and cfile != relpath and \
                    (cfile, name) in self.functions:
                continue    # that file has a function of its own by the name
            out.append(key)
        return out


def _loc(relpath, line):
    return "%s:%d" % (relpath, line)


class Analysis:
    """Path contexts of walk sites, built on Facts."""

    def __init__(self, fx, address_taken):
        self.fx = fx
        self.address_taken = address_taken   # {(file, fn)} -> where
        self.pruned = set()     # error paths dropped by feasible()

    def lock_words(self, relpath, fn, state, lock_line):
        name = self.fx.locks.get((relpath, lock_line), "the mmap lock")
        verb = "asserts" if name.startswith("mmap_assert") else "takes"
        return "%s %s %s() (%s)" % (self.fx.shown(relpath, fn, lock_line),
                                    verb, name, _loc(relpath, lock_line))

    def feasible(self, key):
        """The path states of a site, less the error paths.

        Coccinelle does not track values, so in
            mmap_write_lock(mm); err = f(); if (err) mmap_write_unlock(mm);
            ...; if (err) goto out; walk(...);
        it also sees a path that reaches the walk after the unlock.  When
        the function itself holds the lock on some path to the site, paths
        through an `if (E) unlock;` and paths that skip its lock (an error
        branch before it) are such paths: they are dropped, and said so in
        the evidence.  An unconditional unlock before the site still
        counts: that path really does not hold the lock.
        """
        states = self.fx.sites[key]
        if not any(s in ("read", "write") for s, _l in states):
            return states
        kept = set()
        for state, lock_line in states:
            if state == "inherit" or (
                    state == "released" and
                    (key[0], lock_line) in self.fx.cond_unlocks):
                self.pruned.add("%s(): a path to %s() (%s) that skips the "
                                "lock or passes a conditional unlock is an "
                                "error path, not counted" % (
                                    self.fx.site_fn[key], key[2],
                                    _loc(key[0], key[1])))
                continue
            kept.add((state, lock_line))
        return kept

    def contexts(self, key, depth=0, stack=()):
        """[(kind, [evidence steps, outermost first])] for a call site.

        kind is read, write, released or unseen: one entry per way a path
        can reach the site.
        """
        relpath, line, callee = key
        if key not in self.fx.sites:
            # The walk was seen, but no path to it could be followed
            # (a function cut in pieces by #ifdef, for one).
            return [("unseen", [
                "Coccinelle could not follow the control flow to %s() at "
                "%s" % (callee, _loc(relpath, line))])]
        fn = self.fx.site_fn[key]
        here = "%s calls %s() (%s)" % (self.fx.shown(relpath, fn, line),
                                       callee, _loc(relpath, line))
        out = []
        for state, lock_line in sorted(self.feasible(key),
                                       key=lambda s: (s[0], s[1] or 0)):
            if state in ("read", "write", "released"):
                if state == "released":
                    step = "%s releases the mmap lock with %s() (%s) " \
                           "before calling %s()" % (
                               self.fx.shown(relpath, fn, line),
                               self.fx.locks.get((relpath, lock_line),
                                                     "an unlock"),
                               _loc(relpath, lock_line), callee)
                    out.append((state, [step]))
                else:
                    out.append((state, [self.lock_words(relpath, fn, state,
                                                        lock_line), here]))
                continue
            # inherit: the context is the caller's.
            if (relpath, fn) in stack or depth >= MAX_DEPTH:
                continue
            where = self.address_taken.get((relpath, fn))
            if where:
                out.append(("unseen", [
                    "%s() is also reached through a function pointer (%s)"
                    % (fn, where), here]))
            callers = self.fx.callers(relpath, fn)
            if not callers and not where:
                out.append(("unseen", [
                    "%s() has no caller in the tree that holds or asserts "
                    "the mmap lock (exported or called from outside)" % fn,
                    here]))
            for ckey in callers:
                for kind, chain in self.contexts(
                        ckey, depth + 1, stack + ((relpath, fn),)):
                    out.append((kind, chain + [here]))
        # One entry per distinct path story, in a stable order.
        uniq = sorted({(k, tuple(c)) for k, c in out})
        return [(k, list(c)) for k, c in uniq]


def _needs_callers(fx, tracked):
    """(file, fn) whose tracked calls are reached with no lock event."""
    need = set()
    for key, states in fx.sites.items():
        if key[2] in tracked and any(s == "inherit" for s, _ in states):
            need.add((key[0], fx.site_fn[key]))
    return need


def _address_taken(tree, fx, names):
    """{(file, fn): "file:line"} where fn is used other than by a call."""
    out = {}
    hits = candidates.grep(tree, "|".join(sorted(names)), words=True) \
        if names else {}
    for relpath, lines in hits.items():
        for num, text in lines:
            for name in names:
                for m in re.finditer(r"\b%s\b" % re.escape(name), text):
                    rest = text[m.end():].lstrip()
                    if rest.startswith("("):
                        continue
                    if candidates.in_comment(text, m.start()):
                        continue
                    # A prototype or definition spanning lines is no use.
                    if re.match(r"^\s*(static\s+)?[\w\s\*]+\b%s\s*$" %
                                re.escape(name), text):
                        continue
                    for (drel, dname) in fx.functions:
                        if dname == name and (drel == relpath or not
                                              fx.is_static(drel, dname)):
                            out.setdefault((drel, dname),
                                           _loc(relpath, num))
    return out


def gather(tree, jobs=2, progress=None):
    """Facts of every file that matters, round by round."""
    say = progress or (lambda msg: None)
    walkers = candidates.walkers(tree)
    walk_calls = candidates.walk_calls(tree, walkers)
    files = sorted({c[0] for c in walk_calls} |
                   set(candidates.table_files(tree)))
    tracked = set(candidates.VMA_WALKERS)
    say("facts: %d files with walks or ops tables" % len(files))
    fx = Facts(tree, facts.collect(tree, files, tracked, jobs,
                                   walkers=walkers), walkers)
    _check_every_walk_seen(tree, walk_calls, fx)
    looked_up = set()
    for rnd in range(1, MAX_ROUNDS + 1):
        need = _needs_callers(fx, tracked) - looked_up
        if not need:
            break
        looked_up |= need
        names = {fn for _f, fn in need}
        new = names - tracked
        tracked |= names
        if not new:
            continue
        # A static function is called only from its own file.
        static = {fn for f, fn in need if fn in new and fx.is_static(f, fn)}
        caller_files = sorted(
            set(candidates.callers_files(tree, new - static)) |
            {f for f, fn in need if fn in static})
        say("facts: round %d: callers of %d functions in %d files" %
            (rnd, len(new), len(caller_files)))
        raw = facts.collect(tree, caller_files, new, jobs, calls_only=True)
        # Tables and walks were all read in round 0; keep calls and the
        # function list (callers' static-ness) from the new files.
        fx.add([f for f in raw if f["kind"] in ("call", "lock", "function")
                and (f["kind"] != "call" or f["callee"] in new)])
    all_fns = {fn for (_f, fn) in looked_up}
    return fx, _address_taken(tree, fx, all_fns)


def _check_every_walk_seen(tree, walk_calls, fx):
    """A walk git grep sees but Coccinelle does not: a parse failure."""
    seen = {(w["file"], w["line"]) for w in fx.walks}
    # A call split over lines is reported by spatch at its first line.
    missing = [(p, n, w) for p, n, w in walk_calls if (p, n) not in seen]
    if missing:
        msgs = ["%s:%d: Coccinelle could not parse %s(), which calls %s()"
                % (p, n, candidates.enclosing_function(tree, p, n), w)
                for p, n, w in missing]
        raise AnalysisError("; ".join(msgs) + " -- refusing to make a series "
                            "that would silently skip it")


def resolve_ops(fx, walk):
    """Table names a walk's ops argument can be, or None if unknown."""
    args = split_args(walk["args"])
    idx = fx.ops_arg[walk["walker"]]
    if idx >= len(args):
        return None
    arg = args[idx]
    if arg.startswith("&") and re.match(r"^&\w+$", arg):
        return [arg[1:]]
    if re.match(r"^\w+$", arg):
        tables = fx.assigns.get((walk["file"], walk["function"], arg))
        return sorted(tables) if tables else None
    return None


def _find_table(fx, relpath, name):
    if (relpath, name) in fx.tables:
        return (relpath, name)
    found = [k for k in fx.tables if k[1] == name]
    return found[0] if len(found) == 1 else None


def decide(tree, fx, address_taken, pins=None, has_core=False,
           per_vma_lock=False):
    """The decisions dict (see README) from facts and pins."""
    an = Analysis(fx, address_taken)
    uses = {}           # table key -> [walk facts]
    review = []
    for w in sorted(fx.walks, key=lambda w: (w["file"], w["line"])):
        names = resolve_ops(fx, w)
        if names is None:
            if w["walker"] in candidates.VMA_WALKERS:
                review.append("%s: the ops argument of %s() in %s() is not "
                              "a table this analysis can name" % (
                                  _loc(w["file"], w["line"]), w["walker"],
                                  w["function"]))
            continue
        for name in names:
            key = _find_table(fx, w["file"], name)
            if key:
                uses.setdefault(key, []).append(w)
    tables = []
    for key in sorted(fx.tables, key=lambda k: (k[0], fx.tables[k]["line"])):
        tables.append(_decide_table(an, key, uses.get(key, [])))
    if pins:
        pinsmod.apply(pins, tables)
    return {"tree": tree, "has_core": has_core, "per_vma_lock": per_vma_lock,
            "tables": tables, "review": review}


def _with_pruned(an, entry):
    """Say which error paths were not counted, in the table's evidence."""
    entry["evidence"] = entry["evidence"] + sorted(an.pruned)
    return entry


def _walk_site(w):
    return (w["file"], w["line"], w["walker"])


def _decide_table(an, key, walks):
    fx = an.fx
    relpath, name = key
    fact = fx.tables[key]
    local = fact["function"] if fact["function"] != name else None
    vma_walks = [w for w in walks if w["walker"] in candidates.VMA_WALKERS]
    walkers = sorted({w["walker"] for w in walks})
    entry = {"name": name, "file": relpath, "line": fact["line"],
             "function": local, "walkers": walkers, "action": "none",
             "mode": None, "reason": "", "evidence": [], "review": [],
             "pinned": False, "pin_reason": None, "split": None}
    declared = fx.table_lock.get(name)
    entry = _infer_table(an, entry, vma_walks, walkers)
    if declared is None:
        return entry
    # The tree already chose: the series leaves the table alone, and the
    # audit compares the choice with what the analysis infers.
    entry.update(declared=declared, inferred=entry["mode"],
                 inferred_reason=entry["reason"], mode=declared,
                 action="none", split=None,
                 reason="already sets walk_lock = %s" % declared)
    return entry


def _infer_table(an, entry, vma_walks, walkers):
    fx = an.fx
    if not vma_walks:
        entry["reason"] = ("used only with %s, which ignore walk_lock: left "
                           "as it is" % ", ".join("%s()" % w for w in walkers)
                           if walkers else
                           "not passed to a walker in this tree: left as it is")
        return entry
    an.pruned = set()
    per_site = [(w, an.contexts(_walk_site(w))) for w in vma_walks]
    kinds = {k for _w, ctx in per_site for k, _c in ctx}
    entry["action"] = "annotate"
    if kinds == {"write"}:
        changed = all((w["file"], w["line"]) not in fx.vma_unchanged and
                      _walked_vma(w) for w in vma_walks)
        entry["mode"] = "PGWALK_WRLOCK_VERIFY" if changed else "PGWALK_WRLOCK"
        entry["evidence"] = _evidence(per_site)
        if changed:
            fns = sorted({w["function"] for w in vma_walks})
            entry["evidence"].append(
                "%s changes the VMA it walks (vm_flags written or "
                "vma_start_write()) on every path before the walk" %
                ", ".join("%s()" % f for f in fns))
            entry["reason"] = ("mmap lock held for write on every path, "
                               "walked VMA already changed under it")
        else:
            entry["reason"] = "mmap lock held for write on every path"
        return _with_pruned(an, entry)
    split = _try_split(an, entry, vma_walks, per_site)
    if split:
        return _with_pruned(an, split)
    entry["mode"] = "PGWALK_RDLOCK"
    entry["evidence"] = _evidence([(w, [(k, c) for k, c in ctx
                                        if k in ("read", "write")])
                                   for w, ctx in per_site])
    if kinds <= {"read"}:
        entry["reason"] = "mmap lock held for read on every path"
    elif "write" in kinds and "read" in kinds:
        entry["reason"] = ("some paths hold the mmap lock only for read "
                           "(or in a mode known only at run time)")
    else:
        entry["reason"] = ("some paths cannot be followed to their lock; "
                           "keeps the behaviour the tree had")
    entry["review"] = sorted({" <- ".join(reversed(c)) for _w, ctx in per_site
                              for k, c in ctx if k in ("unseen",
                                                       "released")})
    return _with_pruned(an, entry)


def _walked_vma(w):
    args = split_args(w["args"])
    if w["walker"] in ("walk_page_vma", "walk_page_range_vma"):
        return True
    return bool(args) and args[0].endswith("->vm_mm")


def _evidence(per_site, limit=6):
    """Readable path stories, outermost lock first, at most `limit`."""
    stories = sorted({" -> ".join(c) for _w, ctx in per_site
                      for _k, c in ctx})
    if len(stories) > limit:
        stories = stories[:limit] + ["... and %d more paths" %
                                     (len(stories) - limit)]
    return stories


def _try_split(an, entry, vma_walks, per_site):
    """Split when one static function holds all walks of the table and its
    direct callers each hold the lock in one mode, some read, some write."""
    fx = an.fx
    fns = {(w["file"], w["function"]) for w in vma_walks}
    if len(fns) != 1:
        return None
    relpath, fn = fns.pop()
    for w in vma_walks:
        if {s for s, _l in fx.sites.get(_walk_site(w), ())} != {"inherit"}:
            return None
        # The twin is threaded in place of `&table` at the walk: a walk
        # through a pointer (one the tree already chooses at run time)
        # is not this shape.
        args = split_args(w["args"])
        if args[fx.ops_arg[w["walker"]]] != "&" + entry["name"]:
            return None
    if twin_name(entry["name"]) in {t for _f, t in fx.tables}:
        return None
    if not fx.is_static(relpath, fn) or (relpath, fn) in an.address_taken:
        return None
    callers = []
    for ckey in fx.callers(relpath, fn):
        kinds = {k for k, _c in an.contexts(ckey)}
        if kinds == {"write"}:
            callers.append((ckey, "write"))
        elif kinds == {"read"}:
            callers.append((ckey, "read"))
        else:
            return None
    if {m for _k, m in callers} != {"read", "write"}:
        return None
    twin = twin_name(entry["name"])
    changed = all((w["file"], w["line"]) not in fx.vma_unchanged and
                  _walked_vma(w) for w in vma_walks)
    entry["mode"] = "PGWALK_RDLOCK"
    entry["action"] = "split"
    entry["split"] = {
        "write_name": twin,
        "write_mode": "PGWALK_WRLOCK_VERIFY" if changed else "PGWALK_WRLOCK",
        "function": fn, "param": "ops",
        "callers": [{"function": fx.site_fn[k], "line": k[1],
                     "table": twin if mode == "write" else entry["name"]}
                    for k, mode in callers]}
    entry["reason"] = ("%s() is called with the mmap lock held for write by "
                       "some callers and for read by others: split" % fn)
    entry["evidence"] = _evidence([(None, an.contexts(k)) for k, _m in callers])
    return entry


def analyze(tree, pins_path=None, jobs=2, progress=None):
    """Facts, then decisions, for a git kernel tree."""
    from pgwalk import core
    found = core.detect(tree)
    pins = pinsmod.load(pins_path) if pins_path else []
    try:
        fx, address_taken = gather(tree, jobs, progress)
    except facts.FactsError as e:
        raise AnalysisError(str(e))
    return decide(tree, fx, address_taken, pins, found["has_core"],
                  found["per_vma_lock"])


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m pgwalk.decisions")
    p.add_argument("tree")
    p.add_argument("--pins")
    p.add_argument("--json")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = p.parse_args(argv)
    try:
        decided = analyze(args.tree, args.pins, args.jobs,
                          lambda m: print(m, file=sys.stderr))
    except (AnalysisError, pinsmod.PinError) as e:
        print("error: %s" % e, file=sys.stderr)
        return 1
    for t in decided["tables"]:
        mode = t["mode"] or "-"
        if t["split"]:
            mode += " + %s %s" % (t["split"]["write_name"],
                                  t["split"]["write_mode"])
        print("%-24s %-28s %-22s %s" % (t["file"], t["name"], mode,
                                        t["reason"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(decided, f, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
