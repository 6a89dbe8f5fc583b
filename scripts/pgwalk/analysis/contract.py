# SPDX-License-Identifier: GPL-2.0
"""The walker contract: what the tree's own page-walk core promises.

    python3 -m pgwalk.analysis.contract TREE      (apply.sh --contract TREE)

semantic-patches/contract.cocci reads the files that declare or define a
function taking a `const struct mm_walk_ops *` (found by what they
define, not by name) and those that declare enum page_walk_lock.  From
its facts this module derives:

- the walkers: every function with such a parameter, where its ops
  argument is, which other walkers it hands the pointer to (public
  wrappers over internal walkers, at any depth), and whether
  ops->walk_lock (or a copy of it) reaches the core's lock helpers on its
  way (it honours the field);
- the modes enum page_walk_lock declares, and for each what the helpers
  do with it: which mmap lock they assert (none, read, write) and what
  they do to each VMA (none, lock-write, verify-write, verify-read), read
  from the helpers' if/switch on their `enum page_walk_lock` parameter
  and the lock primitives they call (scripts/locks.conf rows).

A tree without walk_lock gets the contract of the core the series inserts
into it (reference/ through semantic-patches/core-*.cocci), derived the
same way from the inserted text.
"""

import dataclasses
import enum
import json
import os
import shutil
import sys
import tempfile

from pgwalk import cocci, REPO, runner
from pgwalk.errors import PgwalkError, run_main
from pgwalk.memo import Memo, file_digest, key
from pgwalk.analysis import candidates, lockdata, lockstate

COCCI = os.path.join(REPO, "semantic-patches", "contract.cocci")


def cocci_path():
    """contract.cocci, from PGWALK_SEMANTIC_PATCHES when set (the tests
    point it at a copy with a rule taken out)."""
    other = os.environ.get("PGWALK_SEMANTIC_PATCHES")
    return os.path.join(other, os.path.basename(COCCI)) if other else COCCI


# Files that declare or define a function with an ops pointer parameter,
# or that declare the modes (git grep patterns: they only pick files,
# Coccinelle reads them).
OPS_PARAM = r"mm_walk_ops\s*\*\s*\w*\s*[,)]"
MODE_ENUM = r"enum\s+page_walk_lock\b"


class ContractError(PgwalkError):
    """The tree's walker core cannot be read; says what is missing."""


class NoCore(ContractError):
    """No file of the tree declares a walker."""


class MmapNeed(enum.Enum):
    """The mmap lock the core asserts under a mode (weakest first)."""
    NONE = "none"
    READ = "read"
    WRITE = "write"

    @property
    def rank(self):
        return list(MmapNeed).index(self)


class VmaAction(enum.Enum):
    """What the core does to each VMA it walks under a mode (the weakest
    first: asserting a lock asks less than taking one)."""
    NONE = "none"
    VERIFY_READ = "verify-read"        # asserts it is locked (read or write)
    VERIFY_WRITE = "verify-write"      # asserts it is write-locked
    LOCK_WRITE = "lock-write"          # write-locks it

    @property
    def rank(self):
        return list(VmaAction).index(self)


@dataclasses.dataclass(frozen=True)
class ModeContract:
    """One mode of enum page_walk_lock and what the core does under it.

    name:    the enumerator (PGWALK_...);
    value:   its value as the enum writes it (None: implicit);
    default: the mode of a table that does not set walk_lock (value 0);
    mmap:    the mmap lock the core asserts (MmapNeed);
    vma:     what the core does to each walked VMA (VmaAction);
    calls:   the lock primitives the core calls under it, in order, which
             is where mmap and vma come from."""
    name: str
    value: object
    default: bool
    mmap: MmapNeed
    vma: VmaAction
    calls: tuple = ()

    def holds(self, state):
        """Does this mode state the lock a path holds (a
        lockstate.LockState)?

        Its mmap assertion is the lock the path holds (the mode says what
        the walk runs under: a weaker assertion would lose the check, a
        stronger one would fail), and its VMA action is possible there
        (lockstate.satisfies(): write-locking needs the mmap write lock,
        asserting a write lock needs the VMA write-locked, asserting a
        lock needs either)."""
        return state.mmap == lockstate.MMAP_NEEDS[self.mmap.value] and \
            self.safe(state)

    def safe(self, state):
        """Do the core's checks under this mode pass on a path in this
        state (the mmap lock held at least as strongly as asserted)?"""
        return lockstate.satisfies(state, self.mmap.value, self.vma.value)

    @property
    def strength(self):
        return (self.mmap.rank, self.vma.rank)


@dataclasses.dataclass(frozen=True)
class Walker:
    """A function that takes a `const struct mm_walk_ops *`.

    name:     its name;
    ops_arg:  the index of its ops parameter;
    vma_arg:  the index of its `struct vm_area_struct *` parameter, or
              None (it walks a range of an mm, or no VMA at all);
    honours:  ops->walk_lock reaches the core's lock helpers on its way;
    reaches:  the walkers it hands its ops pointer to, at any depth;
    declared: the files whose prototypes declare it;
    defined:  the file that defines it (None: not seen);
    entry:    callable from outside the core (declared in a header and it
              walks: it stores the pointer for the walk, or hands it to a
              walker);
    asserts:  the mmap lock it asserts itself, whatever walk_lock says
              (MmapNeed; the weakest of its own assertions and those of
              the walkers it reaches, since they may sit on different
              branches)."""
    name: str
    ops_arg: int
    vma_arg: object
    honours: bool
    reaches: tuple
    declared: tuple
    defined: object
    entry: bool
    asserts: MmapNeed = MmapNeed.NONE


@dataclasses.dataclass(frozen=True)
class Contract:
    """The walker contract of one tree.

    source:  "tree" (its own core) or "inserted core" (the tree has no
             walk_lock: the contract of the core the series inserts);
    files:   the files it was read from (relative to the tree, or to the
             inserted core's copy);
    walkers: {name: Walker} of every function taking an ops pointer;
    modes:   the ModeContract of each mode, in the enum's order;
    helpers: the core's lock helpers (functions with an
             enum page_walk_lock parameter);
    core:    the files that define the entry walkers and the helpers
             (their own walk calls are not callers)."""
    source: str
    files: tuple
    walkers: dict
    modes: tuple
    helpers: tuple
    core: tuple = ()

    # -- questions the analysis asks

    def ops_args(self):
        """{walker: index of its ops argument}, entry points only."""
        return {w.name: w.ops_arg for w in self.walkers.values() if w.entry}

    def honouring(self):
        """Names of the entry points that honour ops->walk_lock."""
        return sorted(w.name for w in self.walkers.values()
                      if w.entry and w.honours)

    def ignoring(self):
        """Names of the entry points that ignore ops->walk_lock."""
        return sorted(w.name for w in self.walkers.values()
                      if w.entry and not w.honours)

    def mode_names(self):
        return [m.name for m in self.modes]

    def mode(self, name):
        for m in self.modes:
            if m.name == name:
                return m
        return None

    @property
    def default(self):
        """The mode a table without walk_lock has, or None."""
        for m in self.modes:
            if m.default:
                return m
        return None

    def weakest(self, locks):
        """The weakest mode that holds on every one of these paths' lock
        states (lockstate.LockState), or None when no mode holds on all
        of them."""
        fits = [m for m in self.modes if all(m.holds(l) for l in locks)]
        return min(fits, key=lambda m: m.strength) if fits and locks else None

    def weakest_safe(self, locks):
        """The weakest mode whose assertions pass on every path, or None;
        the fallback when paths differ."""
        fits = [m for m in self.modes if all(m.safe(l) for l in locks)]
        return min(fits, key=lambda m: m.strength) if fits and locks else None

    def asserted_by(self, walkers):
        """The mmap lock every one of these walkers asserts itself
        (MmapNeed; NONE when one of them is not known or asserts none)."""
        got = [self.walkers[w].asserts for w in walkers
               if w in self.walkers]
        if not got or len(got) < len(walkers):
            return MmapNeed.NONE
        return min(got, key=lambda m: m.rank)

    def stated_by(self, walkers):
        """The mode a table used only with these walkers (which ignore
        walk_lock) states: the weakest that asks for the mmap lock, when
        every one of them asserts that lock itself (asserted_by()) and the
        mode asks no more and does nothing to the VMAs; so the table says
        that its walks run under the mmap lock, and no check changes.
        None when one of them asserts no mmap lock, or no mode fits."""
        need = self.asserted_by(walkers)
        if need is MmapNeed.NONE:
            return None
        fits = [m for m in self.modes if m.vma is VmaAction.NONE and
                m.mmap is not MmapNeed.NONE and m.mmap.rank <= need.rank]
        return min(fits, key=lambda m: m.strength) if fits else None

    def matching(self, mmap, vma):
        """The first mode whose contract is (mmap, vma), or None."""
        for m in self.modes:
            if (m.mmap.value, m.vma.value) == (mmap, vma):
                return m
        return None

    def to_json(self):
        return {
            "source": self.source, "files": list(self.files),
            "helpers": list(self.helpers), "core": list(self.core),
            "walkers": [{"name": w.name, "ops_arg": w.ops_arg,
                         "vma_arg": w.vma_arg, "honours": w.honours,
                         "reaches": list(w.reaches),
                         "declared": list(w.declared),
                         "defined": w.defined, "entry": w.entry,
                         "asserts": w.asserts.value}
                        for w in sorted(self.walkers.values(),
                                        key=lambda w: w.name)],
            "modes": [{"name": m.name, "value": m.value,
                       "default": m.default, "mmap": m.mmap.value,
                       "vma": m.vma.value, "calls": list(m.calls)}
                      for m in self.modes]}

    @classmethod
    def from_json(cls, data):
        walkers = {w["name"]: Walker(
            w["name"], w["ops_arg"], w["vma_arg"], w["honours"],
            tuple(w["reaches"]), tuple(w["declared"]), w["defined"],
            w["entry"], MmapNeed(w["asserts"])) for w in data["walkers"]}
        modes = tuple(ModeContract(
            m["name"], m["value"], m["default"], MmapNeed(m["mmap"]),
            VmaAction(m["vma"]), tuple(m["calls"])) for m in data["modes"])
        return cls(data["source"], tuple(data["files"]), walkers, modes,
                   tuple(data["helpers"]), tuple(data["core"]))


# ------------------------------------------------------------ deriving

def core_files(tree):
    """The files of the tree's walker core, found by what they define."""
    return sorted(set(candidates._git_grep(
        tree, ["-l", "-P", "-I"], [OPS_PARAM, MODE_ENUM], ["*.c", "*.h"])))


def run_cocci(root, relpaths):
    """contract.cocci's facts over these files of root."""
    if not relpaths:
        return []
    cmd = cocci.argv(cocci_path(), *relpaths)
    try:
        proc = runner.run(cmd, cwd=root)
    except OSError as e:
        raise ContractError("cannot run spatch: %s" % e)
    if proc.returncode != 0:
        raise ContractError("spatch failed reading the walker core (%s): %s"
                            % (", ".join(relpaths),
                               proc.stderr.strip()[-300:]))
    facts, seen = [], set()
    for line in proc.stdout.splitlines():
        if line.startswith("PGWALK ") and line not in seen:
            seen.add(line)
            fact = json.loads(line[len("PGWALK "):])
            fact["file"] = os.path.normpath(fact["file"])
            facts.append(fact)
    return facts


def _int(text):
    try:
        return int(str(text), 0)
    except ValueError:
        return None


def _within(pos, ext):
    """Is (line, col) inside [line, col, line_end, col_end]?"""
    return (ext[0], ext[1]) <= pos <= (ext[2], ext[3])


def _runs_under(facts, helper, pos, mode):
    """Does a call at pos in the helper run when its enum parameter is
    mode?  Enclosing ifs on the parameter decide, then the case labels of
    a switch on it (a label covers the calls up to the next break or
    return, so labels that fall through cover the next label's calls)."""
    for f in facts:
        if f.get("helper") != helper:
            continue
        if f["kind"] == "if":
            if _within(pos, f["then"]) and mode != f["mode"]:
                return False
            if _within(pos, f["otherwise"]) and mode == f["mode"]:
                return False
        elif f["kind"] == "if1" and _within(pos, f["then"]) and \
                mode != f["mode"]:
            return False
        elif f["kind"] == "ne" and _within(pos, f["then"]) and \
                mode == f["mode"]:
            return False
    marks = sorted(((f["line"], f["col"]), f["kind"], f.get("mode"))
                   for f in facts if f.get("helper") == helper and
                   f["kind"] in ("case", "break") and
                   (f["line"], f["col"]) < pos)
    labels = set()
    for _at, kind, label in reversed(marks):
        if kind == "break":
            break
        labels.add(label)
    return not labels or mode in labels


def _mode_contract(facts, prims, name, value, default):
    calls = []
    for f in sorted(facts, key=lambda f: (f["file"], f["line"], f["col"])):
        if f["kind"] != "call" or f["callee"] not in prims:
            continue
        if _runs_under(facts, f["helper"], (f["line"], f["col"]), name):
            calls.append(f["callee"])
    mmap, vma = MmapNeed.NONE, VmaAction.NONE
    for call in calls:
        lock, strength, action = prims[call]
        if action not in ("take", "assert"):
            continue
        if lock == "mmap":
            need = MmapNeed(strength)
            mmap = max(mmap, need, key=lambda m: m.rank)
            continue
        if strength == "write":
            act = VmaAction.LOCK_WRITE if action == "take" else \
                VmaAction.VERIFY_WRITE
        elif action == "assert":
            act = VmaAction.VERIFY_READ
        else:
            raise ContractError("%s: the core takes a per-VMA read lock "
                                "(%s()), which no VMA action describes" % (
                                    name, call))
        vma = max(vma, act, key=lambda a: a.rank)
    return ModeContract(name, value, default, mmap, vma, tuple(calls))


def derive_from(facts, source, files, prims=None):
    """The Contract of contract.cocci's facts."""
    prims = prims if prims is not None else lockdata.primitives()
    declared, defined, ops_arg, vma_arg = {}, {}, {}, {}
    stores, forwards, fields = set(), {}, {}
    helpers, helper_files = {}, set()
    modes, own = [], {}
    for f in facts:
        kind = f["kind"]
        if kind == "walker":
            ops_arg.setdefault(f["name"], _int(f["ops_arg"]))
            if f["defined"]:
                defined.setdefault(f["name"], f["file"])
            elif f["file"].endswith(".h"):
                declared.setdefault(f["name"], set()).add(f["file"])
        elif kind == "vma":
            vma_arg[f["name"]] = _int(f["vma_arg"])
        elif kind == "store":
            stores.add(f["name"])
        elif kind == "forward":
            forwards.setdefault(f["name"], set()).add(
                (f["callee"], _int(f["arg"])))
        elif kind == "field":
            fields.setdefault(f["name"], set()).add(
                (f["callee"], _int(f["arg"])))
        elif kind == "helper":
            helpers[f["name"]] = _int(f["arg"])
            helper_files.add(f["file"])
        elif kind == "mode":
            modes.append(f)
        elif kind == "wcall":
            prim = prims.get(f["callee"])
            if prim and prim[0] == "mmap" and prim[2] == "assert":
                own.setdefault(f["name"], set()).add(MmapNeed(prim[1]))
    names = set(ops_arg)
    edges = {n: {g for g, k in forwards.get(n, ()) if g in names and
                 ops_arg.get(g) == k} for n in names}
    # A function walks when it stores the pointer for a walk or hands it
    # to one that does (one declared but not seen defined is taken at its
    # word); a function that only reads the table (a check) does not.
    walking = {n for n in names if n in stores or n not in defined}
    grew = True
    while grew:
        grew = False
        for n in names - walking:
            if edges[n] & walking:
                walking.add(n)
                grew = True
    edges = {n: edges[n] & walking for n in names}

    def reach(n):
        seen, todo = set(), [n]
        while todo:
            for g in edges.get(todo.pop(), ()):
                if g not in seen:
                    seen.add(g)
                    todo.append(g)
        return seen

    walkers = {}
    for n in sorted(names):
        reached = reach(n)
        honours = any((g, k) in {(h, i) for h, i in helpers.items()}
                      for m in reached | {n} for g, k in fields.get(m, ()))
        walks = n in walking
        asserted = set().union(*[own.get(m, set()) for m in reached | {n}])
        walkers[n] = Walker(
            n, ops_arg[n], vma_arg.get(n), honours, tuple(sorted(reached)),
            tuple(sorted(declared.get(n, ()))), defined.get(n),
            bool(declared.get(n)) and walks,
            min(asserted, key=lambda m: m.rank) if asserted
            else MmapNeed.NONE)
    # The enum's order; a plain enumerator is one more than the last.
    by_pos, seen = [], set()
    for f in sorted(modes, key=lambda f: (f["file"], f["line"], f["col"])):
        if f["name"] not in seen:
            seen.add(f["name"])
            by_pos.append(f)
    contracts, last = [], -1
    for f in by_pos:
        value = _int(f["value"]) if f["value"] is not None else last + 1
        last = value if value is not None else last
        contracts.append(_mode_contract(
            facts, prims, f["name"], f["value"], value == 0))
    core = {w.defined for w in walkers.values() if w.entry and w.defined}
    return Contract(source, tuple(files), walkers, tuple(contracts),
                    tuple(sorted(helpers)), tuple(sorted(core | helper_files)))


def of(tree):
    """derive(tree), once per candidates.searching() block (the tree
    does not change inside one)."""
    memo = candidates.block_memo(tree)
    if memo is None:
        return derive(tree)
    if "contract" not in memo:
        memo["contract"] = derive(tree)
    return memo["contract"]


def derive(tree):
    """The Contract of a tree: its own core's, or, when it has no
    enum page_walk_lock, the one the series inserts."""
    files = core_files(tree)
    if not files:
        raise NoCore("%s: no file declares a function taking a "
                     "struct mm_walk_ops pointer (not a kernel tree?)" % tree)
    memo = Memo("contract")
    k = key(sorted(files), [file_digest(os.path.join(tree, f))
                            for f in files],
            cocci.digest(cocci_path()), file_digest(__file__),
            file_digest(lockdata.data_path("locks.conf")))
    got = memo.get(k)
    if got is not None:
        return Contract.from_json(got)
    facts = run_cocci(tree, files)
    if any(f["kind"] == "mode" for f in facts):
        out = derive_from(facts, "tree", files)
    else:
        out = _inserted(tree, files)
    memo.put(k, out.to_json())
    return out


def _inserted(tree, files):
    """The contract of the core the series would insert into the tree:
    its walker core files, with the inserted text in place of the
    files the series changes, read the same way."""
    from pgwalk import core
    try:
        edits = core.core_edits(tree, True)
    except core.CoreError as e:
        raise ContractError("no walk_lock in the tree, and the core the "
                            "series inserts cannot be read: %s" % e)
    work = tempfile.mkdtemp(prefix="pgwalk-contract-")
    try:
        rels = sorted(set(files) | set(edits))
        for rel in rels:
            dst = os.path.join(work, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            if rel in edits:
                with open(dst, "w", encoding="utf-8") as f:
                    f.write(edits[rel])
            else:
                shutil.copyfile(os.path.join(tree, rel), dst)
        facts = run_cocci(work, rels)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not any(f["kind"] == "mode" for f in facts):
        raise ContractError("the inserted core declares no mode")
    return derive_from(facts, "inserted core", rels)


# ------------------------------------------------------------ showing

def show(contract):
    """The contract as lines of text (apply.sh --contract)."""
    out = ["walker contract (%s: %s)" % (contract.source,
                                         ", ".join(contract.files))]
    if contract.source == "inserted core":
        # _inserted() reads the core's form for a kernel with per-VMA
        # locks: the modes are chosen for it.  Without per-VMA locks the
        # series inserts the same mmap checks and no VMA action.
        out.append("(the core the series inserts, in its form for a "
                   "kernel with per-VMA locks, for which the modes are "
                   "chosen; on a kernel without them it makes the same "
                   "mmap lock checks and no VMA action)")
    out.append("walkers:")
    for w in sorted(contract.walkers.values(), key=lambda w: w.name):
        if not w.entry and not w.reaches:
            continue
        what = "honours walk_lock" if w.honours else "ignores walk_lock"
        where = "ops argument %d" % w.ops_arg
        if w.vma_arg is not None:
            where += ", VMA argument %d" % w.vma_arg
        line = "  %-28s %-18s %s" % (w.name + "()", what, where)
        if w.asserts is not MmapNeed.NONE:
            line += "; asserts the mmap lock%s itself" % (
                " for write" if w.asserts is MmapNeed.WRITE else "")
        if w.reaches:
            line += "; hands ops to %s" % ", ".join(
                "%s()" % r for r in w.reaches)
        if not w.entry:
            line += " (internal)"
        out.append(line)
    out.append("lock helpers: %s" % (", ".join(
        "%s()" % h for h in contract.helpers) or "none"))
    out.append("modes:")
    out.append("  %-28s %-6s %-13s %s" % ("mode", "mmap", "vma", "calls"))
    for m in contract.modes:
        out.append("  %-28s %-6s %-13s %s%s" % (
            m.name, m.mmap.value, m.vma.value,
            ", ".join("%s()" % c for c in m.calls) or "-",
            " (default)" if m.default else ""))
    return out


def main(argv=None):
    import argparse
    p = argparse.ArgumentParser(prog="apply.sh --contract")
    p.add_argument("tree")
    p.add_argument("--json", action="store_true",
                   help="print the contract as JSON")
    args = p.parse_args(argv)
    if not os.path.isdir(args.tree):
        print("error: %s: not a directory" % args.tree, file=sys.stderr)
        return 1
    try:
        with candidates.searching(args.tree):
            c = derive(args.tree)
    except PgwalkError as e:
        print("error: %s" % e, file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(c.to_json(), indent=1, sort_keys=True))
    else:
        print("\n".join(show(c)))
    return 0


if __name__ == "__main__":
    sys.exit(run_main("pgwalk.analysis.contract", main))
