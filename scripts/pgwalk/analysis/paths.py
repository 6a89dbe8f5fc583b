# SPDX-License-Identifier: GPL-2.0
"""Paths: every way a walk is reached, and what holds on each.

A chain is the list of calls from where the lock context is known (a lock
taken or asserted, a callback the kernel calls with a known lock, a system
call entered with none) down to the walk.  chains() finds them all over
the facts; evaluate() then follows the values along one chain (constants
through parameters, flag bits through `|`, case labels, lock helpers, the
branch a lock is taken in) and says whether the chain can happen and which
tables its walk is given.  Pure functions of the facts: no file is read.
"""

import collections

from pgwalk.analysis import factindex, lockdata, values
from pgwalk.analysis.lockstate import ChainState
from pgwalk.analysis.values import Evaluator, parse

MAX_DEPTH = 24
# Call paths into a chain's first function tried for its values.
MAX_PREFIXES = 32

Hop = collections.namedtuple("Hop", "pos caller callee via_param")


def _lock_state(lock, strength):
    """The ChainState a take of (lock, strength) starts: the mmap lock's
    own strength, or the per-VMA read lock."""
    return ChainState(strength) if lock == "mmap" else ChainState.VMA_READ


def _flag_tag(table, alts):
    """The one lock-flag test (member, value) under which every
    alternative naming table chose it, or None.  An alternative without
    a test (a definition of the getter for a configuration without the
    flag) does not undo the test of the others."""
    tags = set()
    for alt in alts:
        if table in alt:
            tags |= values.tags_of(alt)
    return next(iter(tags)) if len(tags) == 1 else None


class Note(str):
    """A note on a chain, in words, with the kind of doubt it records:
    a later stage reads the kind, never the words."""
    CHOICE = "choice"   # several tables reach the walk on this path
    # a helper takes one of several locks, and this path does not fix
    # which
    LOCK_CHOICE = "lock-choice"

    def __new__(cls, text, kind=None):
        note = super().__new__(cls, text)
        note.kind = kind
        return note


class Chain:
    """origin: dict with "kind" (lock, callback, iterator, entry,
    released, unseen), "state" (a ChainState) and what explains it; hops:
    outermost call first, the walk last."""

    def __init__(self, origin, hops):
        self.origin = origin
        self.hops = list(hops)
        # Set by Paths.evaluate(): {(parameter, member): value} of the
        # walking function that a lock helper recorded.
        self.members = {}

    def extend(self, hop):
        return Chain(self.origin, self.hops + [hop])

    @property
    def state(self):
        return self.origin["state"]


class Paths:
    def __init__(self, fx, callbacks=None):
        self.fx = fx
        self.cb_rows = callbacks if callbacks is not None else \
            lockdata.callbacks()
        self._entered = {}
        self._parsed_args = {}      # (file, line, col) -> parsed arguments
        self.maps = fx.mapping_functions()
        self.getters = fx.getters()
        self.helpers = fx.helpers()
        self.flag_members = fx.lock_flag_members()
        # The lock-flag members by file, as each hop's evaluator asks.
        self.flags_of = {}
        for rel, member in self.flag_members:
            self.flags_of.setdefault(rel, set()).add(member)
        self.assigned = fx.assigned_members()
        # Lower-case names that are values: functions and tables.
        self.names = set(fx.defined_in) | set(fx.calls_of) | \
            {t["name"] for t in fx.tables.values()}

    # ------------------------------------------------------------ chains

    def chains(self, pos, depth=0, stack=()):
        """Chains that reach the call at pos."""
        fx = self.fx
        call = fx.calls[pos]
        fn, rel = call["function"], pos[0]
        hop = Hop(pos, fn, call["callee"], None)
        out = []
        if not fx.states_at(pos):
            out.append(Chain({"kind": "unseen", "state": ChainState.UNSEEN,
                              "why": "its control flow to %s() could not "
                              "be followed" % call["callee"],
                              "function": fn, "file": rel}, [hop]))
        for state, by in sorted(fx.states_at(pos),
                                key=lambda s: (s[0], s[1] or ())):
            if state in ("write", "read", "vma_read"):
                out.append(Chain({"kind": "lock",
                                  "state": ChainState(state),
                                  "file": rel, "function": fn,
                                  "at": list(by),
                                  "lock": fx.lock_name(rel, fn, by)}, [hop]))
            elif state == "released":
                out.append(Chain({"kind": "released",
                                  "state": ChainState.NONE,
                                  "file": rel, "function": fn,
                                  "at": list(by),
                                  "lock": fx.lock_name(rel, fn, by)}, [hop]))
            elif state == "inherit":
                for ch in self.entered(rel, fn, depth, stack):
                    out.append(ch.extend(hop))
        return out

    def entered(self, rel, fn, depth=0, stack=()):
        """Chains that end where fn is entered (its last hop calls fn)."""
        key = (rel, fn)
        if key in self._entered:
            return self._entered[key]
        if key in stack:
            return []
        if depth >= MAX_DEPTH:
            return [Chain({"kind": "unseen", "state": ChainState.UNSEEN,
                           "why": "a call chain deeper than %d calls" %
                           MAX_DEPTH, "function": fn, "file": rel}, [])]
        stack = stack + (key,)
        fx = self.fx
        out = []
        if fx.is_entry(rel, fn):
            out.append(Chain({"kind": "entry", "state": ChainState.NONE,
                              "function": fn, "file": rel}, []))
            self._entered[key] = out
            return out
        for cpos in fx.callers(rel, fn):
            out.extend(self.chains(cpos, depth + 1, stack))
        out.extend(self._through_parameters(rel, fn, depth, stack))
        out.extend(self._callbacks(rel, fn))
        if not out:
            why = "no caller in the tree" if not fx.is_static(rel, fn) \
                else "no caller in its file"
            out.append(Chain({"kind": "unseen", "state": ChainState.UNSEEN,
                              "why": why, "function": fn, "file": rel}, []))
        self._entered[key] = out
        return out

    def _through_parameters(self, rel, fn, depth, stack):
        """fn handed to g(), which calls it through its parameter."""
        fx = self.fx
        out = []
        for f in fx.passed.get(fn, ()):
            if f["file"] != rel and fx.is_static(rel, fn):
                continue
            g = f["callee"]
            ctx = self.cb_rows.get((g + "()", str(f["index"])))
            if ctx in ("none", "read", "write"):
                out.append(Chain({"kind": "handed",
                                  "state": ChainState(ctx),
                                  "callee": g, "function": fn,
                                  "file": rel, "where": f["file"],
                                  "at": [f["line"], f["col"]]}, []))
                continue
            home = fx.definition(f["file"], g)
            params = fx.params(home, g) if home else []
            pname = params[f["index"]] if f["index"] < len(params) else None
            sites = [p for p in fx.calls_of.get(pname, ())
                     if p[0] == home and fx.calls[p]["function"] == g] \
                if pname else []
            if not sites:
                out.append(Chain({"kind": "unseen", "state": ChainState.UNSEEN,
                                  "why": "passed to %s(), which does not "
                                  "call it directly" % g,
                                  "function": fn, "file": rel,
                                  "at": [f["line"], f["col"]],
                                  "where": f["file"]}, []))
                continue
            for spos in sites:
                for ch in self.chains(spos, depth + 1, stack):
                    last = ch.hops[-1]
                    ch.hops[-1] = Hop(last.pos, last.caller, fn, pname)
                    out.append(ch)
        return out

    def _callbacks(self, rel, fn):
        fx = self.fx
        out = []
        for (crel, target), facts_ in sorted(fx.callbacks.items()):
            if target != fn or (crel != rel and fx.is_static(rel, fn)):
                continue
            for f in facts_:
                if f["struct"] == "mm_walk_ops":
                    continue
                ctx = self.cb_rows.get((f["struct"], f["member"]))
                base = {"struct": f["struct"], "member": f["member"],
                        "var": f["var"], "function": fn, "file": crel,
                        "line": f["line"]}
                if ctx is None:
                    out.append(Chain(dict(base, kind="unseen",
                                          state=ChainState.UNSEEN,
                                          why="stored in .%s of struct %s" %
                                          (f["member"], f["struct"])), []))
                elif ctx.startswith("start:"):
                    member = ctx.split(":", 1)[1]
                    start = fx.struct_vars.get((crel, f["var"]), {}).get(
                        member)
                    kinds = fx.helper_kinds(crel, start)
                    if not kinds:
                        out.append(Chain(dict(
                            base, kind="unseen", state=ChainState.UNSEEN,
                            why="it is .%s of struct %s, whose .%s, "
                            "%s(), does not return holding a lock (in "
                            "every definition of it)" % (
                                f["member"], f["struct"], member,
                                start)), []))
                    for lock, strength in sorted(kinds):
                        state = _lock_state(lock, strength)
                        out.append(Chain(dict(
                            base, kind="iterator", state=state,
                            start=start, start_member=member,
                            lock=self._helper_lock(
                                fx.definition(crel, start), start, lock,
                                strength)),
                            []))
                else:
                    out.append(Chain(dict(base, kind="callback",
                                          state=ChainState(ctx)), []))
        return out

    def _helper_lock(self, home, helper, lock, strength):
        for (rel, fn), events in sorted(self.fx.locks.items()):
            if (rel, fn) != (home, helper):
                continue
            for _l, _c, name in events:
                prim = self.fx.prims.get(name)
                if prim and prim[:2] == (lock, strength) and \
                        prim[2] == "take":
                    return name
        return None

    # ---------------------------------------------------------- evaluate

    def evaluate(self, chain):
        """(feasible, chosen tables or None, notes) for a chain to a walk.

        chosen is {table name: lock-flag test or None} of the tables the
        walk's ops argument can be on this chain (the test is the
        (member, value) of a lock flag under which it is chosen); None
        when it cannot be named at all.  The values
        at the chain's start come from the calls into its first function
        (a lock taken by a function whose caller passes the flag that
        picks the table): each such call path is tried."""
        if not chain.hops:
            return True, None, []
        first = chain.hops[0]
        prefixes = [([], None)]
        if self.fx.params(first.pos[0], first.caller):
            seen, found = set(), []
            for pre in self.entered(first.pos[0], first.caller):
                # The origin too: a lock helper there may record, in the
                # object passed down, which lock it took.
                key = (tuple(h.pos for h in pre.hops),
                       pre.origin.get("lock"), pre.origin["state"])
                if pre.hops and key not in seen:
                    seen.add(key)
                    found.append((pre.hops, pre.origin))
            prefixes = found[:MAX_PREFIXES] or [([], None)]
        feasible, chosen, notes = False, None, []
        members = None
        for pre, pre_origin in prefixes:
            ok, tables, why, got = self._evaluate(chain, pre, pre_origin)
            if not ok:
                continue
            feasible = True
            notes += why
            # What every call path into the chain gives the walking
            # function's p->m: a member the prefixes do not all give is
            # not known.
            members = got if members is None else {
                k: values.union([members[k], got[k]])
                for k in set(members) & set(got)}
            if tables is not None:
                chosen = chosen or {}
                for name, tag in tables.items():
                    chosen[name] = tag if chosen.get(name, tag) == tag \
                        else None
        if feasible and chosen is None and not notes:
            notes = ["the walk's table cannot be followed"]
        # {(parameter, member): value} of the walking function's p->m
        # that a lock helper recorded, on every call path of the chain.
        chain.members = members or {}
        return feasible, chosen, sorted(set(notes))

    def _evaluate(self, chain, prefix, prefix_origin=None):
        """(feasible, tables, notes, members) of the chain entered by one
        call path (prefix, which started at prefix_origin): evaluate()'s
        answer for that path, and the walking function's recorded p->m
        (_walk_members())."""
        fx = self.fx
        hops = list(prefix) + chain.hops
        constraints = {}
        notes = []
        first = hops[0]
        env = {p: values.Root("%s.%s" % (first.caller, p))
               for p in fx.params(first.pos[0], first.caller)}
        frames = []
        feasible = True
        fields = self._fields_set(chain.origin)
        # {(object, member): value} recorded by the lock helper of the
        # prefix's origin, then by the chain's own (from the hop after
        # its lock on).  Filled in once the case labels of every hop are
        # known: a recorded value may depend on them.
        before, after = {}, {}
        shadowed = self._shadowed_structs(hops)
        for i, hop in enumerate(hops):
            rel = hop.pos[0]
            ev = Evaluator(env, fx.local_values(rel, hop.caller), self.maps,
                           constraints, getters=self.getters,
                           flags=self.flags_of.get(rel, set()),
                           fields=fields,
                           names=self.names, assigned=self.assigned,
                           scope=fx.table_scope(rel, hop.caller),
                           recorded=before if i <= len(prefix) else after)
            frames.append(ev)
            if not self._struct_inits(hop, ev, shadowed):
                feasible = False
            labels = {}
            for expr, label in fx.cases.get(hop.pos, ()):
                labels.setdefault(expr, set()).add(label)
            for expr, allowed in labels.items():
                if not ev.constrain(parse(expr), allowed):
                    feasible = False
            if hop.via_param:
                v = ev.value(("id", hop.via_param))
                alts = ev.alternatives(v)
                if alts is not None and not any(hop.callee in a
                                                for a in alts):
                    feasible = False
            if i + 1 < len(hops):
                env = self._bind(hop, ev)
        if not feasible:
            return False, None, notes, {}
        # Objects are followed by name: two functions of the chain each
        # passing its own &x down make two objects one.
        twice = self._readdressed(hops)
        if prefix and prefix_origin:
            before.update((k, v) for k, v in self._recorded(
                prefix_origin, frames[0]).items() if k[0] not in twice)
        origin = chain.origin
        if origin["kind"] == "lock":
            # The guard of the chain's own lock narrows what the prefix
            # recorded: `r->mode == M && try_lock(r)` took it with M.
            holds, note = self._lock_guard_holds(
                origin, frames[len(prefix)], hops[len(prefix)])
            if not holds:
                return False, None, notes, {}
            if note:
                notes.append(note)
        after.update(before)
        after.update((k, v) for k, v in self._recorded(
            chain.origin, frames[len(prefix)]).items() if k[0] not in twice)
        walk = hops[-1]
        chosen, note = self._ops(walk, frames[-1])
        if note:
            notes.append(note)
        return True, chosen, notes, self._walk_members(walk, frames[-1],
                                                       after)

    def _walk_members(self, walk, ev, recorded):
        """{(parameter, member): value} of the walking function's
        parameters p whose object has a recorded member at the walk
        (recorded: what holds after the chain's lock)."""
        out = {}
        params = self.fx.params(walk.pos[0], walk.caller)
        for (obj, member), v in recorded.items():
            for p in params:
                if values.object_name(ev.env.get(p)) == obj:
                    out[(p, member)] = v
        return out

    def _fields_set(self, origin):
        """{member: True} for the lock-flag members the chain's lock sets:
        the function taking it sets them right after, or the lock is a
        helper that does (in any definition of it)."""
        if origin["kind"] != "lock":
            return {}
        fx, rel, fn, name = self.fx, origin["file"], origin["function"], \
            origin["lock"]
        members = {m for m in fx.members_set_after(rel, fn, name)
                   if (rel, m) in self.flag_members}
        home = fx.definition(rel, name) if name in self.helpers else None
        if home:
            members |= {m for m in fx.members_set_after(home, name)
                        if (home, m) in self.flag_members}
        return {m: True for m in members}

    def _passed_structs(self, hop):
        """The local structs of the hop's function that its call passes
        down (x or &x) and that it initializes: {name}."""
        fx = self.fx
        inits = fx.struct_inits.get((hop.pos[0], hop.caller))
        if not inits:
            return set()
        passed = {a[2][1] if a[0] == "un" and a[1] == "&" and
                  a[2][0] == "id" else a[1] if a[0] == "id" else None
                  for a in self._args(hop.pos)}
        return {var for var, _m, _v in inits if var in passed}

    def _readdressed(self, hops):
        """Names whose address (&x) two functions of the chain pass
        down."""
        seen, twice = {}, set()
        for hop in hops:
            for a in self._args(hop.pos):
                if a[0] == "un" and a[1] == "&" and a[2][0] == "id":
                    name = a[2][1]
                    if seen.setdefault(name, hop.caller) != hop.caller:
                        twice.add(name)
        return twice

    def _shadowed_structs(self, hops):
        """Names of local structs that two functions of the chain
        initialize and pass down: the values follow an object by its
        name, so one name for two objects says nothing of either."""
        seen, twice = set(), set()
        for hop in hops:
            for var in self._passed_structs(hop):
                (twice if var in seen else seen).add(var)
        return twice

    def _struct_inits(self, hop, ev, shadowed=frozenset()):
        """The named constants a local struct of the hop's function is
        initialized with (`struct S x = { .m = C };`), for the members
        nothing assigns, when the hop passes x (or &x) down: x->m is C
        all the way down (unless another function of the chain does the
        same with a struct of that name: shadowed).  False when a case
        label already met says it cannot be."""
        fx = self.fx
        passed = self._passed_structs(hop) - set(shadowed)
        if not passed:
            return True
        for var, member, value in fx.struct_inits[(hop.pos[0], hop.caller)]:
            if var not in passed or member in self.assigned:
                continue
            e = parse(value)
            # A named constant only: a number against `case NAME:` labels
            # could not be compared (an enum's first name is 0).
            if not (e[0] == "id" and e[1] == e[1].upper()):
                continue
            if not ev.constrain(("member", ("id", var), ".", member),
                                {value}):
                return False
        return True

    def _recorded(self, origin, ev):
        """{(object, member): value} that the lock helper an origin calls
        records in the object it is passed (`r->mode = mode;` after its
        take), for the origin's kind of lock: the value its function holds
        in that member from the helper's return on, as far as a value can
        be said.  Kept only when every take of that kind records the
        member on every path that returns holding the lock (no
        record_skipped), and every other assignment of the member in the
        tree is a value too: those may come between, so the member is
        any of them."""
        fx = self.fx
        if origin is None or origin["kind"] != "lock" or \
                origin["lock"] not in self.helpers:
            return {}
        name = origin["lock"]
        bound = self._helper_env(origin, ev)
        if bound is None:
            return {}
        home, henv = bound
        helper = Evaluator(henv, fx.local_values(home, name), self.maps,
                           dict(ev.constraints), getters=self.getters,
                           names=self.names, assigned=self.assigned)
        skipped = {(l2, c2, m) for l2, c2, m in
                   fx.record_skipped.get((home, name), ())}
        takes = {}      # (line, col) of a take of this kind -> {member: [v]}
        for l2, c2, lname in fx.locks.get((home, name), ()):
            prim = fx.prims.get(lname)
            if prim and prim[2] == "take" and \
                    _lock_state(*prim[:2]) == origin["state"]:
                takes[(l2, c2)] = {}
        for l2, c2, _lk, member, value, _at, base in \
                fx.member_flags.get((home, name), ()):
            if (l2, c2) not in takes or (l2, c2, member) in skipped:
                continue
            obj = values.object_name(helper.value(parse(base))) \
                if base else None
            if obj is not None:
                takes[(l2, c2)].setdefault((obj, member), []).append(
                    helper.value(parse(value)))
        if not takes:
            return {}
        keys = set.intersection(*(set(t) for t in takes.values()))
        out = {}
        for key in keys:
            found = [v for t in takes.values() for v in t[key]]
            for srel, sfn, l3, c3, value in fx.member_sets.get(key[1], ()):
                if (srel, sfn) == (home, name) or \
                        self._records_a_take(srel, sfn, l3, c3):
                    continue
                found.append(values.UNKNOWN if value is None else
                             Evaluator({}, names=self.names).value(
                                 parse(value)))
            v = values.union(found)
            # Named constants only: a number could not be told from the
            # name a test compares it with (an enum's first name is 0).
            if isinstance(v, values.Known) and not any(
                    a.lstrip("-")[:1].isdigit()
                    for alt in v.alts for a in alt):
                out[key] = v
        return out

    def _helper_env(self, origin, ev):
        """(the helper's file, {its parameter: value}) for the lock
        helper a lock origin calls, its parameters bound from that call's
        arguments in ev (the origin's function); None when the call or
        the helper's definition is not in the facts."""
        fx = self.fx
        rel, name = origin["file"], origin["lock"]
        line, col = origin["at"]
        home = fx.definition(rel, name)
        pos = (rel, line, col)
        if home is None or pos not in fx.calls or \
                fx.calls[pos]["callee"] != name:
            return None
        params = fx.params(home, name)
        args = self._args(pos)
        return home, {params[j]: ev.value(args[j])
                      for j in range(min(len(params), len(args)))}

    def _args(self, pos):
        """The parsed arguments of the call at pos, once per call: every
        chain through it asks."""
        if pos not in self._parsed_args:
            self._parsed_args[pos] = factindex.parse_args(
                self.fx.calls[pos]["args"])
        return self._parsed_args[pos]

    def _records_a_take(self, rel, fn, line, col):
        """Is the member assignment at (line, col) a lock helper's record
        of a lock it took (member_flags)?  Such a helper, called between
        a chain's lock and its walk, would take a lock there: the chain
        would start at it instead.  So it cannot come between."""
        if (rel, fn) not in self.fx.helper_defs():
            return False
        return any(at == [line, col] for _l, _c, _lk, _f, _v, at, _b in
                   self.fx.member_flags.get((rel, fn), ()))

    def _bind(self, hop, ev):
        """The callee's parameters from the call's arguments."""
        fx = self.fx
        home = fx.definition(hop.pos[0], hop.callee)
        params = fx.params(home, hop.callee) if home else []
        args = self._args(hop.pos)
        env = {}
        for j in range(min(len(params), len(args))):
            v = ev.value(args[j])
            if v is values.UNKNOWN:
                # Not known, but one value all the same: the case labels
                # met further down may still narrow it.
                v = values.Root("%s:%d:%d.%s" % (hop.pos + (params[j],)))
            env[params[j]] = v
        return env

    def _lock_guard_holds(self, origin, ev, hop):
        """(can the lock of this chain's origin be taken on this chain?,
        a Note when the lock is one of several a helper chooses between
        by a value the chain does not fix, else None).  Looked at: the
        branch the lock sits in, and inside a lock helper, the branches
        and switch cases of its takes."""
        fx = self.fx
        rel, fn = origin["file"], origin["function"]
        line, col = origin["at"]
        for cond, then in fx.guards(rel, fn, line, col):
            t = ev.truth(parse(cond))
            if t is not None and t != then:
                return False, None
            if t is None:
                ev.narrow(parse(cond), then)
        name = origin["lock"]
        if name in fx.prims or name not in self.helpers:
            return True, None
        # A helper: bind its parameters from the call and look for a lock
        # of this kind its own branches allow.
        bound = self._helper_env(origin, ev)
        if bound is None:
            return True, None
        home, henv = bound
        possible = set()
        for l2, c2, lname in fx.locks.get((home, name), ()):
            prim = fx.prims.get(lname)
            if not prim or prim[2] != "take":
                continue
            state = _lock_state(*prim[:2])
            if self._take_possible(ev, henv, home, name, l2, c2):
                possible.add(state)
        want = origin["state"]
        if want not in possible:
            return False, None
        if len(possible) > 1:
            return True, Note(
                "%s() takes %s by a value this path does not fix" % (
                    name, " or ".join(
                        {ChainState.READ: "the mmap lock for read",
                         ChainState.WRITE: "the mmap lock for write",
                         ChainState.VMA_READ: "a per-VMA read lock"}[s]
                        for s in sorted(possible))), Note.LOCK_CHOICE)
        return True, None

    def _take_possible(self, ev, henv, home, name, line, col):
        """Can the helper's take at (line, col) happen, by the branches
        and switch cases it sits in?  Tried on a copy of the chain's
        constraints: a try does not narrow them."""
        fx = self.fx
        trial = Evaluator(henv, fx.local_values(home, name), self.maps,
                          dict(ev.constraints), getters=self.getters,
                          flags=ev.flags, fields=ev.fields, names=ev.names,
                          assigned=ev.assigned)
        for cond, then in fx.guards(home, name, line, col):
            t = trial.truth(parse(cond))
            if t is not None and t != then:
                return False
        labels = {}
        for expr, label in fx.cases.get((home, line, col), ()):
            labels.setdefault(expr, set()).add(label)
        return all(trial.constrain(parse(expr), allowed)
                   for expr, allowed in labels.items())

    def _ops(self, walk, ev):
        """(table keys or None, note) for the walk's ops argument: a
        table's key is its name, or the key of a function's local whose
        file has another table of its name (FactIndex.tables), as the
        frame of the function whose local it is gave it."""
        fx = self.fx
        call = fx.calls[walk.pos]
        args = self._args(walk.pos)
        idx = fx.ops_arg.get(call["callee"])
        if idx is None or idx >= len(args):
            return None, None
        expr = args[idx]
        v = ev.value(expr)
        alts = ev.alternatives(v)
        tables = self.table_names()
        if alts is not None:
            names = {a: _flag_tag(a, alts) for alt in alts for a in alt
                     if a in tables}
            if names:
                note = None
                if len({a for a, t in names.items() if t is None}) > 1:
                    note = Note("the table is chosen by %s, which this "
                                "path does not fix" % values.show(expr),
                                Note.CHOICE)
                return names, note
        if expr[0] == "member":
            stored = {t for _f, t in fx.member_stores.get(expr[3], ())}
            if stored:
                return dict.fromkeys(stored), "the table is read from " \
                    "the member .%s, which the analysis does not " \
                    "follow" % expr[3]
        return None, "the ops argument %s of %s() cannot be followed" % (
            values.show(expr), call["callee"])

    def flagged(self, chain, tag):
        """The chain as it holds for a table chosen under a lock flag
        (member, value): set, the flag's lock is held whatever the
        chain's start; clear, a chain whose start holds a known lock
        keeps it, and one that could not be followed knows only that the
        mmap lock is not held."""
        member, value = tag
        lock, strength = self.flag_members[(chain.hops[-1].pos[0], member)] \
            if (chain.hops[-1].pos[0], member) in self.flag_members else \
            next(k for (_r, m), k in sorted(self.flag_members.items())
                 if m == member)
        if value:
            state = _lock_state(lock, strength)
        elif chain.state != ChainState.UNSEEN:
            return chain
        else:
            state = ChainState.UNSEEN
        origin = dict(chain.origin, kind="flag", state=state,
                      member=member, value=value, flag_lock=lock,
                      flag_strength=strength, was=chain.origin)
        out = Chain(origin, chain.hops)
        out.members = chain.members
        return out

    def table_names(self):
        """The keys of the tables (FactIndex.tables): the values a
        walk's ops argument can be."""
        if not hasattr(self, "_tables"):
            self._tables = {name for _f, name in self.fx.tables}
        return self._tables
