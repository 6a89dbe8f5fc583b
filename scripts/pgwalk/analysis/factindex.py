# SPDX-License-Identifier: GPL-2.0
"""Indexes over the facts of many files (see semantic-patches/facts.cocci
and calls.cocci): what the path analysis asks, answered without reading
any file."""

from pgwalk import convention
from pgwalk.analysis import lockdata, values

# Functions the kernel defines with a macro that names the entry point:
# Coccinelle reports the macro's name as the function's.
ENTRY_MACROS = ("SYSCALL_DEFINE", "COMPAT_SYSCALL_DEFINE")


def entry_macro(text, name):
    """The system call a definition line starts with
    ("SYSCALL_DEFINE3(name, ..." -> "SYSCALL_DEFINE3(name)"), or None.
    Coccinelle names such a function after the macro's first argument."""
    head = text.lstrip().split("(", 1)
    if len(head) != 2:
        return None
    macro, rest = head[0].strip(), head[1].lstrip()
    for m in ENTRY_MACROS:
        if macro.startswith(m) and macro[len(m):].isdigit() and \
                (rest.startswith(name + ",") or rest.startswith(name + ")")
                 or macro == name):
            called = rest.split(",")[0].split(")")[0].strip()
            return "%s(%s)" % (macro, called)
    return None


class Facts:
    """Every fact gathered so far, indexed."""

    def __init__(self, walkers, prims=None):
        self.ops_arg = walkers          # walker -> index of its ops argument
        self.prims = prims if prims is not None else lockdata.primitives()
        self.functions = {}     # (file, name) -> {"line", "static", "params"}
        self._helper_defs = None    # helper_defs(), until add_base()
        self.defined_in = {}    # name -> {file}
        self.locks = {}         # (file, fn) -> [(line, col, name)]
        self.held_returns = {}  # (file, fn) -> [(line, col, name)]
        # (file, line, col) of a walk -> {modes its table's walk_lock is
        # given right before it, at run time}
        self.walk_lock_at = {}
        self.branches = {}      # (file, fn) -> [(cond, then span, else span)]
        self.cases = {}         # (file, line, col) -> [(expr, label)]
        # (file, fn) -> [(expr, label, value, line, col)]
        self.maps = {}
        self.returns = {}       # (file, fn) -> [value]
        self.assigns = {}       # (file, fn) -> {var: [value]}
        self.assign_at = {}     # (file, fn) -> {var: [(line, col, value)]}
        self.lock_flags = {}    # (file, fn) -> [(line, col, lock, var, value)]
        # (file, fn) -> [(line, col, lock, member, value, [line, col] of
        # the member's assignment)]: a member set after a lock is taken
        self.member_flags = {}
        # (file, fn) -> [(line, col, member)]: a take (of member_flags)
        # after which some path returns holding the lock without setting
        # the member
        self.record_skipped = {}
        # (file, fn) -> [(var, member, value)]: the designated initializers
        # of fn's local structs
        self.struct_inits = {}
        # member -> [(file, fn, line, col, value)]: every assignment to
        # it (value None for `+=`, `++` and the like)
        self.member_sets = {}
        # (file, key) -> table fact; the key is the table's name, or, for
        # a function's local table whose file has another table of its
        # name, convention.local_key(function, name): each is its own.
        self.tables = {}
        # (file, function) -> {name: key} of those locals: the key a
        # name means in that function (C scoping).
        self.scoped = {}
        self.table_lock = {}    # (file, key) -> mode expression
        self.table_lock_set = {}    # (file, key) -> [fact]
        self.member_stores = {}     # member -> [(file, table)]
        self.callbacks = {}     # (file, target) -> [fact]
        self.struct_vars = {}   # (file, var) -> {member: target}
        self.vma_unchanged = set()  # (file, line) of calls
        self.vma_changers = set()   # (file, fn) that change a VMA
        self.unparsed = {}      # file -> set of line numbers
        self.calls = {}         # (file, line, col) -> call fact
        self.calls_of = {}      # callee name -> [(file, line, col)]
        self.states = {}        # (file, line, col) -> {(state, by)}
        self.passed = {}        # target name -> [fact]
        self.files = set()
        self.entries = {}       # (file, fn) -> "SYSCALL_DEFINE3(name)"

    # ------------------------------------------------------------ loading

    # Facts kept as lists of tuples: kind -> (index, fields of its key,
    # fields of each tuple).  A one-field key is the field itself.
    LISTED = {
        "lock": ("locks", ("file", "function"), ("line", "col", "name")),
        # A take some path from which reaches the function's end with no
        # release: the function may return holding that lock.
        "held_return": ("held_returns", ("file", "function"),
                        ("line", "col", "name")),
        "branch": ("branches", ("file", "function"),
                   ("cond", "then", "other")),
        "case": ("cases", ("file", "line", "col"), ("expr", "label")),
        "case_return": ("maps", ("file", "function"),
                        ("expr", "label", "value", "line", "col")),
        "return": ("returns", ("file", "function"),
                   ("line", "col", "value")),
        "member_store": ("member_stores", ("member",), ("file", "table")),
        "lock_flag": ("lock_flags", ("file", "function"),
                      ("line", "col", "name", "var", "value")),
        "member_flag": ("member_flags", ("file", "function"),
                        ("line", "col", "name", "field", "value",
                         "set_at", "base")),
        "struct_init": ("struct_inits", ("file", "function"),
                        ("var", "member", "value")),
        "record_skipped": ("record_skipped", ("file", "function"),
                           ("line", "col", "field")),
        "member_set": ("member_sets", ("field",),
                       ("file", "function", "line", "col", "value")),
    }

    def _function(self, f, name):
        return self.functions.setdefault(
            (f["file"], name),
            {"line": f["line"], "static": False, "params": {}})

    def add_base(self, relpath, entry):
        self.files.add(relpath)
        self._helper_defs = None    # new functions: helpers again
        self.unparsed[relpath] = set(entry.get("unparsed", ()))
        self._scope_tables(relpath, entry["facts"])
        for f in entry["facts"]:
            kind = f["kind"]
            if kind in self.LISTED:
                index, keys, fields = self.LISTED[kind]
                key = tuple(f[k] for k in keys)
                getattr(self, index).setdefault(
                    key if len(key) > 1 else key[0], []).append(
                    tuple(f[k] for k in fields))
            elif kind == "function":
                rec = self._function(f, f["name"])
                rec["static"] = rec["static"] or f["static"]
                # Two definitions under #ifdef/#else: both are kept.
                rec.setdefault("starts", set()).add(f["line"])
                self.defined_in.setdefault(f["name"], set()).add(f["file"])
            elif kind == "param":
                self._function(f, f["name"])["params"][f["index"]] = \
                    f["param"]
            elif kind == "assign":
                self.assigns.setdefault((f["file"], f["function"]),
                                        {}).setdefault(
                    f["var"], []).append(f["value"])
                self.assign_at.setdefault((f["file"], f["function"]),
                                          {}).setdefault(
                    f["var"], []).append((f["line"], f["col"], f["value"]))
            elif kind == "table":
                self.tables[self.table_key(f)] = f
            elif kind == "table_lock":
                self.table_lock[self.table_key(f)] = f["mode"]
            elif kind == "table_lock_set":
                self.table_lock_set.setdefault(
                    self.table_key(f), []).append(f)
            elif kind == "callback":
                self.callbacks.setdefault((f["file"], f["target"]),
                                          []).append(f)
                self.struct_vars.setdefault((f["file"], f["var"]), {})[
                    f["member"]] = f["target"]
            elif kind == "vma_unchanged":
                self.vma_unchanged.add((f["file"], f["line"]))
            elif kind == "vma_changer":
                self.vma_changers.add((f["file"], f["name"]))

    def _scope_tables(self, relpath, facts_):
        """Note the local tables of relpath whose name another table of
        the file has (a local of another function, or a file-scope
        table): each is keyed by its function too.  A table fact's
        function is the table's own name at file scope."""
        scopes = {}
        for f in facts_:
            if f["kind"] == "table":
                scopes.setdefault(f["name"], set()).add(f["function"])
        for key in [k for k in self.scoped if k[0] == relpath]:
            del self.scoped[key]
        for name, fns in scopes.items():
            if len(fns) < 2:
                continue
            for fn in fns - {name}:
                self.scoped.setdefault((relpath, fn), {})[name] = \
                    convention.local_key(fn, name)

    def table_key(self, f):
        """The key of the table a fact about table f["name"] in function
        f["function"] names: that function's local of the name when it
        has one that needs its own key, else the name."""
        name = f["name"]
        return (f["file"], self.table_scope(f["file"], f["function"]).get(
            name, name))

    def table_scope(self, relpath, fn):
        """{name: key} of fn's local tables that have their own key."""
        return self.scoped.get((relpath, fn), {})

    def add_calls(self, facts_):
        for f in facts_:
            pos = (f["file"], f["line"], f["col"])
            if f["kind"] == "call":
                if pos not in self.calls:
                    self.calls[pos] = f
                    self.calls_of.setdefault(f["callee"], []).append(pos)
            elif f["kind"] == "state":
                by = tuple(f["by"]) if f["by"] else None
                self.states.setdefault(pos, set()).add((f["state"], by))
            elif f["kind"] == "vma_unchanged":
                self.vma_unchanged.add((f["file"], f["line"]))
            elif f["kind"] == "walk_lock_at":
                # Several assignments reach the walk: each is a mode it
                # may run under.
                self.walk_lock_at.setdefault(pos, set()).add(f["mode"])
            elif f["kind"] == "passed":
                lst = self.passed.setdefault(f["target"], [])
                if f not in lst:
                    lst.append(f)

    def drop_states(self, relpath):
        """Forget a file's call facts (its lock sets changed)."""
        for pos in [p for p in self.calls if p[0] == relpath]:
            callee = self.calls.pop(pos)["callee"]
            self.calls_of[callee].remove(pos)
            self.states.pop(pos, None)
            self.walk_lock_at.pop(pos, None)
        for target in list(self.passed):
            self.passed[target] = [f for f in self.passed[target]
                                   if f["file"] != relpath]

    # ------------------------------------------------------------ queries

    def is_entry(self, relpath, name):
        """A system call: entered from user space with no lock held."""
        return (relpath, name) in self.entries

    def is_static(self, relpath, name):
        rec = self.functions.get((relpath, name))
        return bool(rec and rec["static"])

    def params(self, relpath, name):
        rec = self.functions.get((relpath, name))
        if not rec:
            return []
        return [rec["params"][i] for i in sorted(rec["params"])]

    def has_locks(self, relpath, fn):
        return bool(self.locks.get((relpath, fn)))

    def states_at(self, pos):
        """Lock states of the paths to a call; a function with no lock
        event reaches all its calls in its caller's context."""
        fn = self.calls[pos]["function"]
        states = self.states.get(pos, set())
        if not self.has_locks(pos[0], fn) and \
                all(s == "inherit" for s, _by in states):
            # No lock event, and no lock helper called before the call.
            return {("inherit", None)}
        if not states and all((line, col) > pos[1:] for line, col, _n in
                              self.locks[(pos[0], fn)]):
            # Coccinelle gave up on the function's control flow (an
            # #ifdef cutting an if in two): a call above every lock event
            # is reached in the caller's context.
            return {("inherit", None)}
        if ("inherit", None) in states and self._under_trylock(pos, fn):
            # `if (mmap_read_trylock(mm)) walk(...);` holds the lock on
            # every path; Coccinelle's loop paths can say otherwise.
            states = states - {("inherit", None)}
        return {(s, by) for s, by in states
                if not (s == "write" and by and
                        self.downgraded_after(pos, by))}

    def downgraded_after(self, pos, by):
        """Is the write lock taken at `by` downgraded on every path from
        it to the call at pos?  The lock is recorded in a local flag
        (`mmap_write_lock(mm); locked = true;`), the downgrade sits in a
        branch on that flag (`if (locked) mmap_write_downgrade(mm);`)
        that the call is reached from, and the flag gets no other value
        after the lock: the paths Coccinelle gives from the lock that
        skip the downgrade's branch cannot happen."""
        rel, fn = pos[0], self.calls[pos]["function"]
        states = self.states.get(pos, set())
        flags = self.lock_flags.get((rel, fn), ())
        for line, col, _lk, var, value in flags:
            if (line, col) != tuple(by):
                continue
            later = [v for l2, c2, v in self.assign_at.get(
                (rel, fn), {}).get(var, ()) if (l2, c2) > (line, col)]
            if any(v != value for v in later):
                continue
            flag = values.Evaluator({}).value(values.parse(value))
            ev = values.Evaluator({var: flag})
            for l2, c2, name in self.locks.get((rel, fn), ()):
                if self.prims.get(name, ("", "", ""))[2] != "downgrade" or \
                        ("read", (l2, c2)) not in states:
                    continue
                guards = self.guards(rel, fn, l2, c2)
                if guards and all(ev.truth(values.parse(c)) == then
                                  for c, then in guards):
                    return True
        return False

    def _under_trylock(self, pos, fn):
        for cond, then in self.guards(pos[0], fn, pos[1], pos[2]):
            toks = cond.split()
            takes = [t for t in toks if self.prims.get(t, ("", "", ""))[2]
                     == "take"]
            if not takes:
                continue
            negated = toks[0] == "!"
            if then != negated:
                return True
        return False

    def definition(self, caller_file, name):
        """The file that defines the function a call in caller_file
        reaches: its own file's static one first, then a global one."""
        files = self.defined_in.get(name, set())
        if caller_file in files:
            return caller_file
        glob = sorted(f for f in files if not self.is_static(f, name))
        return glob[0] if len(glob) == 1 else (glob[0] if glob else None)

    def callers(self, relpath, name):
        """Call sites of function `name` defined in relpath."""
        static = self.is_static(relpath, name)
        out = []
        for pos in sorted(self.calls_of.get(name, ())):
            if pos[0] != relpath and (static or
                                      (pos[0], name) in self.functions):
                continue    # another file's function of the same name
            out.append(pos)
        return out

    def lock_name(self, relpath, fn, by):
        for line, col, name in self.locks.get((relpath, fn), ()):
            if (line, col) == tuple(by):
                return name
        # A lock helper's call (helpers are not in the per-file facts).
        call = self.calls.get((relpath,) + tuple(by))
        return call["callee"] if call else None

    def helper_defs(self):
        """{(relpath, name): {(lock, strength)}} of the tree's functions
        that may return holding a lock: a path from a take of it reaches
        the function's end with no release (facts.cocci's held_return).
        One that takes a per-VMA read lock and, when that fails, the mmap
        read lock returns holding one of the two: both are its kinds, and
        the paths through a call of it say which they need.

        Definitions under #ifdef/#else are alternatives: a function
        returns holding a lock only if each of its definitions may (the
        other configuration may take another lock, or none)."""
        if self._helper_defs is not None:
            return self._helper_defs
        out = {}
        for (relpath, fn), events in self.held_returns.items():
            rec = self.functions.get((relpath, fn))
            if rec is None:
                continue
            starts = sorted(rec.get("starts") or {rec["line"]})
            per_def = {start: set() for start in starts}
            for line, _c, name in events:
                prim = self.prims.get(name)
                if not prim:
                    continue
                start = max([s for s in starts if s <= line] or starts[:1])
                lock, strength, action = prim
                if action == "take" and (lock == "mmap" or
                                         strength == "read"):
                    per_def[start].add((lock, strength))
            common = set.intersection(*per_def.values()) if per_def \
                else set()
            if common:
                out[(relpath, fn)] = common
        self._helper_defs = out
        return out

    def lock_flag_members(self):
        """{(file, member): (lock, strength)} of struct members that
        record a lock: every `x->member = true` of the file comes after a
        take of that lock (a primitive, or a helper that returns holding
        it) in its function, so where the file tests the member true the
        lock is held.  One assignment without the lock, or two kinds of
        lock, and the member says nothing.  By file, as the facts do not
        know the struct: another struct's member of the same name in
        another file (set under another lock) is another member."""
        after = {}      # (file, fn, line, col) of a set -> {(lock, str)}
        for (rel, fn), rows in self.member_flags.items():
            for _l, _c, name, field, value, at, _base in rows:
                if values.const(value) != values.const("true"):
                    continue
                kinds = {self.prims[name][:2]} \
                    if self.prims.get(name, ("", "", ""))[2] == "take" \
                    else self.helper_kinds(rel, name)
                after.setdefault((rel, fn, at[0], at[1]), set()).update(
                    (field, k) for k in kinds)
        kinds = {}
        for field, sets in self.member_sets.items():
            for rel, fn, line, col, value in sets:
                if value is None or \
                        values.const(value) != values.const("true"):
                    continue
                here = {k for f, k in after.get((rel, fn, line, col), ())
                        if f == field}
                old = kinds.get((rel, field))
                kinds[(rel, field)] = here if old is None else old & here
        return {key: next(iter(k)) for key, k in kinds.items()
                if len(k) == 1}

    def assigned_members(self):
        """Names of the members some function of the facts assigns (by
        name: the facts do not know the struct, so one assignment of a
        member of that name anywhere counts against every struct's)."""
        return set(self.member_sets)

    def members_set_after(self, rel, fn, name=None):
        """Members fn sets true after taking the lock `name` (any lock
        when name is None)."""
        return {field for _l, _c, lk, field, value, _at, _b in
                self.member_flags.get((rel, fn), ())
                if name in (None, lk) and
                values.const(value) == values.const("true")}

    def helpers(self):
        """{name: {(lock, strength)}} of helper_defs() by name: the
        names a semantic patch is given (which definition a file's call
        reaches is helper_kinds())."""
        out = {}
        for (_rel, fn), kinds in self.helper_defs().items():
            out.setdefault(fn, set()).update(kinds)
        return out

    def helper_kinds(self, relpath, name):
        """The locks the definition of `name` that a call in relpath
        reaches returns holding (a static function of another file with
        the same name is another function)."""
        home = self.definition(relpath, name)
        if home is None:
            return set()
        return self.helper_defs().get((home, name), set())

    def guards(self, relpath, fn, line, col):
        """[(condition text, True for the then branch)] around a point."""
        out = []
        for cond, then, other in self.branches.get((relpath, fn), ()):
            if then and _inside(then, line, col):
                out.append((cond, True))
            elif other and _inside(other, line, col):
                out.append((cond, False))
        return out

    def local_values(self, relpath, fn):
        return self.assigns.get((relpath, fn), {})

    def mapping_functions(self):
        """{function: (params, expression, [(label or None, line,
        value)], [(line, value, guards)])} of functions that map a value
        to another with a switch: the expression switched on is made of
        the parameters (a parameter, a member of one); the last list is
        the function's other returns, outside the switch, with the
        branches they sit in."""
        out = {}
        for (f, fn), rows in self.maps.items():
            params = self.params(f, fn)
            exprs = {r[0] for r in rows
                     if params and _made_of(values.parse(r[0]), params)}
            if len(exprs) != 1:
                continue
            expr = exprs.pop()
            mine = [r for r in rows if r[0] == expr]
            # By line: a return fact is at its keyword, a case_return
            # at the value it returns.
            inside = {line for _e, _l, _v, line, _c in mine}
            others = [(line, value, self.guards(f, fn, line, col))
                      for line, col, value in self.returns.get((f, fn), ())
                      if line not in inside]
            out[fn] = (params, expr,
                       [(label, line, value)
                        for _e, label, value, line, _c in mine],
                       others)
        return out

    def getters(self):
        """{function: (params, definitions)} of functions that return a
        table (return &t, return c ? &a : &b); a definition is its
        returns in order, each with the branches it sits in."""
        out = {}
        for (f, fn), rets in self.returns.items():
            if not any("&" in (r or "").split() for _l, _c, r in rets):
                continue
            starts = sorted(self.functions.get((f, fn), {}).get(
                "starts", ()) or [0])
            defs = {}
            for line, col, value in sorted(rets):
                start = max([s for s in starts if s <= line] or [0])
                defs.setdefault(start, []).append(
                    (value, self.guards(f, fn, line, col)))
            params, old = out.get(fn, (self.params(f, fn), []))
            out[fn] = (params, old + [defs[k] for k in sorted(defs)])
        return out


def _made_of(e, params):
    """Is the expression a parameter, or a member of one (p->m, p->a.b)?"""
    while e[0] == "member":
        e = e[1]
    return e[0] == "id" and e[1] in params


def _inside(span, line, col):
    l1, c1, l2, c2 = span
    return (l1, c1) <= (line, col) <= (l2, c2)


def parse_args(text):
    args = values.split_args(text)
    return args if args is not None else []
