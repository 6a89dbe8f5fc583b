# SPDX-License-Identifier: GPL-2.0
"""Gather: the facts of every file the analysis needs, round by round.

Round 0 reads the files that walk or define a struct mm_walk_ops.  Each
later round looks up, through a word index of the tree (git grep), the
files that call or name the functions whose callers the analysis still
needs, and reads their facts (from the cache when the file has not
changed).  No file is read twice: facts.cocci's per-file facts do not
depend on the question, and calls.cocci's are cached per file and name.
"""

import logging
import os

from pgwalk.errors import PgwalkError
from pgwalk.analysis import (candidates, contract as contractmod, factindex,
                             facts as factsmod, values)

MAX_ROUNDS = 16
LOG = logging.getLogger(__name__)


class GatherError(PgwalkError):
    """A file the analysis needs could not be read; says which."""


class Gatherer:
    def __init__(self, tree, jobs=2, cache=None, contract=None):
        self.tree = tree
        self.contract = contract or contractmod.derive(tree)
        self.walkers = self.contract.ops_args()
        # Only walks that read walk_lock need their context.
        self.honouring = set(self.contract.honouring())
        self.fx = factindex.Facts(self.walkers)
        self.ex = factsmod.Extractor(tree, self.walkers, jobs, cache)
        self.names_read = {}    # file -> names whose calls were read
        self.helpers_used = {}  # file -> {helper: kinds} its rule used
        self.looked_up = set()  # (file, name) whose callers were sought

    def run(self):
        # The analysis changes no file: its searches may share the
        # grep cache (see candidates.searching()).
        with candidates.searching(self.tree):
            return self._run()

    def _run(self):
        walk_calls = candidates.walk_calls(self.tree, self.walkers)
        files = sorted({c[0] for c in walk_calls} |
                       set(candidates.table_files(self.tree)))
        LOG.info("facts: %d files with walks or ops tables" % len(files))
        self._base(files)
        self._calls({f: set(self.walkers) for f in files})
        self._check_walks(walk_calls)
        for rnd in range(1, MAX_ROUNDS + 1):
            need = self._needed() - self.looked_up
            if not need:
                break
            self.looked_up |= need
            hits = self._callers_files(need)
            new = sorted(set(hits) - self.fx.files)
            LOG.info("facts: round %d: %d functions, %d files (%d new)" % (
                rnd, len({n for _r, n in need}), len(hits), len(new)))
            if os.environ.get("PGWALK_DEBUG"):
                LOG.info("  " + " ".join(sorted({n for _r, n in need})))
            self._base(new)
            self._calls(hits)
            self._refresh_helpers()
        LOG.info("facts: %d files, %d from the cache, %d read by spatch" % (
            len(self.fx.files), self.ex.cache.hits, self.ex.spatch_files))
        return self.fx

    def _callers_files(self, need):
        """{relpath: {names}}: the files where the callers of the needed
        functions ((file, name) pairs) may be.  A static function is
        called only from its own file (callers() reads no other), so only
        a function with external linkage is looked up in the whole tree:
        a common static name (a seq_file callback, say) would otherwise
        bring in every file that has a function of that name."""
        fx = self.fx
        wide = {n for r, n in need if not fx.is_static(r, n)}
        hits = candidates.word_hits(self.tree, wide)
        for rel, name in need:
            if fx.is_static(rel, name):
                hits.setdefault(rel, set()).add(name)
        return hits

    # ------------------------------------------------------------ reading

    def _base(self, files):
        todo = [f for f in files if f not in self.fx.files]
        if not todo:
            return
        try:
            entries = self.ex.collect_base(todo)
        except factsmod.FactsError as e:
            raise GatherError(str(e))
        for rel in sorted(entries):
            self.fx.add_base(rel, entries[rel])
            self._find_entries(rel)

    def _find_entries(self, rel):
        """System calls among the file's functions: the macro is on the
        line Coccinelle gives for the definition."""
        with open(os.path.join(self.tree, rel), encoding="utf-8",
                  errors="replace") as f:
            lines = f.read().split("\n")
        for (frel, name), rec in self.fx.functions.items():
            if frel != rel:
                continue
            for line in sorted(rec.get("starts", ())):
                if 0 < line <= len(lines):
                    macro = factindex.entry_macro(lines[line - 1], name)
                    if macro:
                        self.fx.entries[(rel, name)] = macro

    def _calls(self, wanted):
        """wanted: {file: names}; reads the calls not read yet."""
        helpers = self.fx.helpers()
        todo = {}
        for rel, names in wanted.items():
            names = set(names) - self.names_read.get(rel, set())
            if names:
                todo[rel] = names
        if not todo:
            return
        used = self._helpers_for(todo, helpers)
        for rel, hel in used.items():
            # The helper's own calls: their arguments choose its branch.
            todo[rel] |= set(hel) - self.names_read.get(rel, set())
        try:
            result = self.ex.collect_calls(todo, used)
        except factsmod.FactsError as e:
            raise GatherError(str(e))
        for rel, facts_ in sorted(result.items()):
            self.fx.add_calls(facts_)
            self.names_read.setdefault(rel, set()).update(todo[rel])

    def _helpers_for(self, files, helpers):
        """{file: {helper: kinds}} of the lock helpers each file names."""
        if not helpers:
            return {}
        hits = candidates.word_hits(self.tree, set(helpers), only=files)
        out = {}
        for rel, names in hits.items():
            out[rel] = self._reached(rel, names)
            self.helpers_used[rel] = out[rel]
        return out

    def _reached(self, rel, names):
        """{helper: kinds} of the helpers among names that rel's calls
        reach (not another file's static function of the same name)."""
        out = {}
        for n in names:
            kinds = self.fx.helper_kinds(rel, n)
            if kinds:
                out[n] = sorted(kinds)
        return out

    def _refresh_helpers(self):
        """A helper found in a later round changes the lock sets of files
        read earlier that call it: read their calls again."""
        helpers = self.fx.helpers()
        if not helpers:
            return
        hits = candidates.word_hits(self.tree, set(helpers),
                                    only=set(self.names_read))
        stale = {}
        for rel, names in hits.items():
            want = self._reached(rel, names)
            if want != self.helpers_used.get(rel, {}):
                stale[rel] = self.names_read[rel]
        if stale:
            for rel in stale:
                self.names_read[rel] = set()
                self.fx.drop_states(rel)
            self._calls(stale)

    # --------------------------------------------------- what to look up

    def _needed(self):
        """(file, name) of functions whose callers (or users) are still
        needed.

        Followed from the walks up, carrying the parameters that matter
        (those the table choice, a case label on the path or the branch of
        a lock depends on): a function is needed when a call it makes on
        the way is reached in its caller's context, or one of its
        parameters matters, or its lock comes from a helper whose branch
        the arguments choose."""
        fx = self.fx
        # The helpers of the facts read so far, once per round: asked of
        # every call on the way up.
        self._helpers_now = fx.helpers()
        need = set()
        relevant = {}           # (file, fn) -> parameters that matter
        todo = []
        for pos, call in fx.calls.items():
            if call["callee"] in self.honouring:
                idx = self.walkers[call["callee"]]
                todo.append((pos, {idx}))
        seen = {}
        while todo:
            pos, arg_idx = todo.pop()
            if arg_idx <= seen.get(pos, set()) and pos in seen:
                continue
            seen[pos] = seen.get(pos, set()) | arg_idx
            call = fx.calls[pos]
            rel, fn = pos[0], call["function"]
            if (rel, fn) not in fx.functions:
                continue        # a call in a macro's body
            if fx.is_entry(rel, fn):
                continue        # entered from user space: no caller
            mine = self._params_used(pos, arg_idx)
            key = (rel, fn)
            grew = not mine <= relevant.get(key, set())
            relevant[key] = relevant.get(key, set()) | mine
            states = fx.states_at(pos)
            if not (any(s == "inherit" for s, _b in states) or
                    relevant[key] or
                    any(self._helper_call(pos, b) for _s, b in states
                        if b)):
                continue
            if key in need and not grew:
                continue
            need.add(key)
            params = fx.params(rel, fn)
            want = {i for i, p in enumerate(params) if p in relevant[key]}
            for cpos in fx.callers(rel, fn):
                todo.append((cpos, set(want)))
            for f in fx.passed.get(fn, ()):
                if f["file"] != rel and fx.is_static(rel, fn):
                    continue
                g = f["callee"]
                home = fx.definition(f["file"], g)
                if not home:
                    continue    # its context is the data's or unseen
                gparams = fx.params(home, g)
                if f["index"] >= len(gparams):
                    continue
                pname = gparams[f["index"]]
                self._calls({home: {pname}})
                for p in fx.calls_of.get(pname, ()):
                    if p[0] == home and fx.calls[p]["function"] == g:
                        todo.append((p, set(want)))
            for (crel, var), members in fx.struct_vars.items():
                if fn in members.values() and "start" in members and \
                        (crel == rel or not fx.is_static(rel, fn)):
                    need.add((crel, members["start"]))
        return {(r, n) for r, n in need if not fx.is_entry(r, n)}

    def _params_used(self, pos, arg_idx):
        """Parameters of the calling function that the arguments at
        arg_idx, the case labels around the call and the branches of the
        function's locks depend on (through its locals)."""
        fx = self.fx
        call = fx.calls[pos]
        rel, fn = pos[0], call["function"]
        args = factindex.parse_args(call["args"])
        exprs = [values.show(args[i]) for i in arg_idx if i < len(args)]
        exprs += [e for e, _l in fx.cases.get(pos, ())]
        for line, col, name in fx.locks.get((rel, fn), ()):
            if fx.prims.get(name, ("", "", ""))[2] != "take":
                continue
            # The branch a lock is taken in (not a trylock's own test).
            exprs += [c for c, _t in fx.guards(rel, fn, line, col)
                      if not any(fx.prims.get(t) for t in c.split())]
        if not fx.prims.get(call["callee"]) and \
                call["callee"] in self._helpers_now:
            exprs.append(call["args"])
        params = set(fx.params(rel, fn))
        local = fx.local_values(rel, fn)
        out, seen = set(), set()
        while exprs:
            e = exprs.pop()
            for tok in e.split():
                if tok in params:
                    out.add(tok)
                elif tok in local and tok not in seen:
                    seen.add(tok)
                    exprs.extend(local[tok])
        return out

    def _helper_call(self, pos, by):
        name = self.fx.lock_name(pos[0], self.fx.calls[pos]["function"], by)
        return name is not None and name not in self.fx.prims

    def _check_walks(self, walk_calls):
        """A walk git grep sees but Coccinelle does not: a parse failure."""
        seen = {(p[0], p[1]) for p, c in self.fx.calls.items()
                if c["callee"] in self.walkers}
        missing = [(p, n, w) for p, n, w in walk_calls if (p, n) not in seen]
        if missing:
            msgs = ["%s:%d: Coccinelle could not parse %s(), which calls "
                    "%s()" % (p, n, candidates.enclosing_function(
                        self.tree, p, n), w) for p, n, w in missing]
            raise GatherError("; ".join(msgs) + " -- refusing to make a "
                              "series that would silently skip it")
