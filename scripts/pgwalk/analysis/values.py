# SPDX-License-Identifier: GPL-2.0
"""Values along a call path: what a parameter, a flag word or a local can be.

Coccinelle prints the expressions it matched with one space between
tokens ("flags | MPOL_X", "c ? & a : & b", "f ( x )"), so an expression
fact is read by splitting on spaces and parsing that token list: no
regular expression ever looks at C source here.

A value is one of:
- Known: a set of alternatives; an alternative is a frozenset of atoms,
  an atom being a name (a macro, enumerator, function or table) or an
  integer literal.  A single constant is {{"X"}}; "A | B" is {{"A", "B"}};
  0 and false are {frozenset()}.
- Root: a value nobody on the path fixes (a parameter of the outermost
  function, a field, a return value), maybe or-ed with known atoms.
  Guards met along the path constrain roots (a `case X:` label).
- UNKNOWN: anything this evaluator does not model.

Named flags are taken to be distinct bits, as the kernel's flag macros
are; that is what lets `flags & X` be decided from `A | X`.
"""

TRUE = frozenset({"1"})
FALSE = frozenset()


class Known:
    def __init__(self, alts):
        self.alts = frozenset(alts)

    def __eq__(self, other):
        return isinstance(other, Known) and self.alts == other.alts

    def __hash__(self):
        return hash(self.alts)

    def __repr__(self):
        return "Known(%s)" % sorted(sorted(a) for a in self.alts)


class Root:
    def __init__(self, name, extra=frozenset()):
        self.name = name
        self.extra = frozenset(extra)

    def __eq__(self, other):
        return isinstance(other, Root) and (self.name, self.extra) == \
            (other.name, other.extra)

    def __hash__(self):
        return hash((self.name, self.extra))

    def __repr__(self):
        return "Root(%s|%s)" % (self.name, sorted(self.extra))


class _Unknown:
    def __repr__(self):
        return "UNKNOWN"


UNKNOWN = _Unknown()


def const(atom):
    if atom in ("0", "false", "NULL"):
        return Known([FALSE])
    if atom == "true":
        return Known([TRUE])
    return Known([frozenset({atom})])


# A table returned under a test of a lock-flag member carries the test in
# its alternative, as an atom no C name can be: "?member=1" or "=0".
def tag(v, tags):
    """v with each alternative marked by tags {(member, value)}."""
    if not isinstance(v, Known):
        return v
    atoms = {"?%s=%d" % (m, int(val)) for m, val in tags}
    return Known(alt | atoms for alt in v.alts)


def tags_of(alt):
    """{(member, value)} marked on an alternative by tag()."""
    return {(a[1:].rsplit("=", 1)[0], a.endswith("=1")) for a in alt
            if a.startswith("?")}


def _label(text):
    """The alternative a case label stands for."""
    return next(iter(Evaluator({}).value(parse(text)).alts), frozenset()) \
        if isinstance(Evaluator({}).value(parse(text)), Known) else \
        frozenset({text})


# ---------------------------------------------------------------- parsing

class ParseError(Exception):
    pass


BINARY = [("?",), ("||",), ("&&",), ("|",), ("^",), ("&",), ("==", "!="),
          ("<", ">", "<=", ">="), ("<<", ">>"), ("+", "-"), ("*", "/", "%")]


def parse(text):
    """An expression printed by Coccinelle, as nested tuples:
    ("id", name), ("num", text), ("un", op, e), ("bin", op, a, b),
    ("?", c, a, b), ("call", name, [args]), ("member", e, op, name),
    ("other",) for what is not modelled."""
    if text is None:
        return ("other",)
    toks = text.split()
    try:
        e, rest = _ternary(toks)
    except (ParseError, IndexError):
        return ("other",)
    return e if not rest else ("other",)


def _ternary(toks):
    c, rest = _binary(toks, 1)
    if rest and rest[0] == "?":
        a, rest = _ternary(rest[1:])
        if not rest or rest[0] != ":":
            raise ParseError("?")
        b, rest = _ternary(rest[1:])
        return ("?", c, a, b), rest
    return c, rest


def _binary(toks, level):
    if level >= len(BINARY):
        return _unary(toks)
    left, rest = _binary(toks, level + 1)
    while rest and rest[0] in BINARY[level]:
        op = rest[0]
        right, rest = _binary(rest[1:], level + 1)
        left = ("bin", op, left, right)
    return left, rest


def _unary(toks):
    if toks[0] in ("!", "-", "~", "&", "*", "+"):
        e, rest = _unary(toks[1:])
        return ("un", toks[0], e), rest
    if toks[0] == "(":
        cast = _cast_length(toks)
        if cast:
            # A cast: (type) e -- the value is e's.
            return _unary(toks[cast:])
    return _postfix(toks)


OPERAND_START = ("(", "&", "*", "-", "!", "~")


def _cast_length(toks):
    """Tokens of a leading "( type )", or 0 when it is not a cast."""
    if ")" not in toks:
        return 0
    end = toks.index(")")
    inner = toks[1:end]
    if not inner or end + 1 >= len(toks):
        return 0
    if not all(t == "*" or t.replace("_", "a").isalnum() for t in inner):
        return 0
    after = toks[end + 1]
    operand = after in OPERAND_START or after[0].isalnum() or after[0] == "_"
    if len(inner) == 1 and inner[0] != "*":
        # "( x ) & y" is an and; "( T ) y" a cast.
        return end + 1 if operand and after not in ("&", "*", "-") else 0
    return end + 1 if operand else 0


def _postfix(toks):
    e, rest = _primary(toks)
    while rest:
        if rest[0] == "(" and e[0] == "id":
            args, rest = _args(rest[1:])
            e = ("call", e[1], args)
        elif rest[0] in ("->", ".") and len(rest) > 1:
            e = ("member", e, rest[0], rest[1])
            rest = rest[2:]
        elif rest[0] == "[":
            depth, i = 0, 0
            for i, t in enumerate(rest):
                depth += t == "["
                depth -= t == "]"
                if depth == 0:
                    break
            e = ("index", e)
            rest = rest[i + 1:]
        else:
            break
    return e, rest


def _args(toks):
    args = []
    if toks and toks[0] == ")":
        return args, toks[1:]
    while True:
        a, toks = _ternary(toks)
        args.append(a)
        if not toks:
            raise ParseError("args")
        if toks[0] == ")":
            return args, toks[1:]
        if toks[0] != ",":
            raise ParseError("args")
        toks = toks[1:]


def _primary(toks):
    t = toks[0]
    if t == "(":
        e, rest = _ternary(toks[1:])
        if not rest or rest[0] != ")":
            raise ParseError(")")
        return e, rest[1:]
    if t[0].isdigit():
        return ("num", t.rstrip("uUlL") or t), toks[1:]
    if t[0].isalpha() or t[0] == "_":
        return ("id", t), toks[1:]
    raise ParseError(t)


def split_args(text):
    """The arguments of a printed argument list ("a , b ( c , d ) , e")."""
    e = parse("pgwalk_args ( %s )" % text) if text.strip() else \
        ("call", "pgwalk_args", [])
    return e[2] if e[0] == "call" else None


def show(e):
    """An expression tree back as C text, for messages."""
    kind = e[0]
    if kind in ("id", "num"):
        return e[1]
    if kind == "un":
        return "%s%s" % (e[1], show(e[2]))
    if kind == "bin":
        return "%s %s %s" % (show(e[2]), e[1], show(e[3]))
    if kind == "?":
        return "%s ? %s : %s" % (show(e[1]), show(e[2]), show(e[3]))
    if kind == "call":
        return "%s(%s)" % (e[1], ", ".join(show(a) for a in e[2]))
    if kind == "member":
        return "%s%s%s" % (show(e[1]), e[2], e[3])
    if kind == "index":
        return "%s[...]" % show(e[1])
    return "..."


# ------------------------------------------------------------- evaluation

def union(values):
    """The value that may be any of values."""
    alts, roots = set(), []
    for v in values:
        if v is UNKNOWN:
            return UNKNOWN
        if isinstance(v, Root):
            roots.append(v)
        else:
            alts |= v.alts
    if roots:
        return roots[0] if len(roots) == 1 and not alts else UNKNOWN
    return Known(alts)


def bit_or(a, b):
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    if isinstance(a, Root) and isinstance(b, Root):
        return UNKNOWN
    if isinstance(b, Root):
        a, b = b, a
    if isinstance(a, Root):
        if len(b.alts) != 1:
            return UNKNOWN
        return Root(a.name, a.extra | next(iter(b.alts)))
    return Known(x | y for x in a.alts for y in b.alts)


def object_name(v):
    """The name of the one object a pointer value stands for (`&x`
    passed down, or a parameter's root), else None: what p->m is keyed
    by."""
    if isinstance(v, Known) and len(v.alts) == 1 and \
            len(next(iter(v.alts))) == 1:
        return next(iter(next(iter(v.alts))))
    if isinstance(v, Root) and not v.extra:
        return v.name
    return None


class Evaluator:
    """Evaluates expressions of one function on one path.

    env: {parameter: value}; locals_: {name: [expression text]} (every
    value assigned to the name in the function); maps: the tree's
    mapping functions (FactIndex.mapping_functions);
    constraints: {root name: frozenset of allowed alternatives}.
    """

    def __init__(self, env, locals_=None, maps=None, constraints=None,
                 getters=None, depth=0, flags=None, fields=None,
                 names=None, assigned=None, scope=None, recorded=None):
        self.env = env
        # {(object, member): value} a lock helper recorded in an object
        # on this path (Paths._recorded): what p->member is when p is
        # that object, though the member is assigned.
        self.recorded = recorded if recorded is not None else {}
        # {name: the value it is here} of the function's local tables
        # that another table's name would otherwise be (FactIndex
        # table_scope()): `&t` in the function is its own local t.
        self.scope = scope or {}
        # The lower-case names that are constants here (functions and
        # tables of the facts), or None to take every name as one: a
        # lower-case name outside it is a variable the facts do not
        # follow (a local of a function they did not read), not a value.
        self.names = names
        self.locals = locals_ or {}
        self.maps = maps or {}
        self.getters = getters or {}
        self.constraints = constraints if constraints is not None else {}
        self.depth = depth
        # Struct members that record a lock (FactIndex.lock_flag_members)
        # and the value this path is known to give some of them.
        self.flags = flags or set()
        self.fields = fields or {}
        # The members something assigns (FactIndex.assigned_members), or
        # None not to follow members at all.  Any other member keeps the
        # value its struct was given, so p->m is one value wherever the
        # path reads it: a root, named by the object, that the case
        # labels met anywhere on the path narrow.
        self.assigned = assigned

    def _sub(self, env, locals_=None):
        """An evaluator one level down: in this function with its locals,
        else in another (a getter, a mapping function), without them."""
        return Evaluator(env, locals_ if locals_ is not None else {},
                         self.maps, self.constraints, self.getters,
                         self.depth + 1, self.flags, self.fields,
                         self.names, self.assigned,
                         self.scope if locals_ is not None else None,
                         self.recorded)

    def _member(self, e):
        """The root a member nothing assigns stands for: "x->m" for the
        object x (a local struct, or what &x passed down points to), or
        for the root a pointer parameter is; else UNKNOWN."""
        _kind, base, op, member = e
        if self.recorded:
            key = self._recorded_key(e)
            if key in self.recorded:
                return self.recorded[key]
        if self.assigned is None or member in self.assigned or \
                member in self.flags:
            return UNKNOWN
        if op == "->":
            key = object_name(self.value(base))
            if key is None:
                return UNKNOWN
        elif base[0] == "id" and base[1] not in self.env and \
                base[1] not in self.locals:
            key = base[1]
        elif base[0] == "member":
            inner = self._member(base)
            if not isinstance(inner, Root):
                return UNKNOWN
            key = inner.name
        else:
            return UNKNOWN
        return Root("%s->%s" % (key, member))

    def _recorded_key(self, e):
        """(object, member) of `p->member` for the object p stands for,
        else None."""
        if e[0] != "member" or e[2] != "->":
            return None
        obj = object_name(self.value(e[1]))
        return None if obj is None else (obj, e[3])

    def narrow(self, e, then):
        """The path passes test e with outcome then: a recorded member
        compared with a named constant (`p->m == M` true, `!=` false) is
        that constant from here on."""
        if e[0] == "bin" and e[1] == "&&" and then:
            self.narrow(e[2], True)
            self.narrow(e[3], True)
            return
        if e[0] != "bin" or e[1] not in ("==", "!=") or \
                (e[1] == "==") != then:
            return
        for a, b in ((e[2], e[3]), (e[3], e[2])):
            key = self._recorded_key(a)
            if key not in self.recorded:
                continue
            c = self.value(b)
            if isinstance(c, Known) and len(c.alts) == 1:
                kept = self.recorded[key].alts & c.alts
                if kept:
                    self.recorded[key] = Known(kept)
            return

    def _flag(self, e):
        """(member, True) for a test of a lock-flag member, (member,
        False) for its negation, else None."""
        if e[0] == "un" and e[1] == "!":
            inner = self._flag(e[2])
            return (inner[0], not inner[1]) if inner else None
        if e[0] == "member" and e[3] in self.flags:
            return (e[3], True)
        return None

    def value(self, e):
        kind = e[0]
        if kind == "num":
            return const(e[1])
        if kind == "id":
            name = e[1]
            if name in self.env:
                return self.env[name]
            if name in self.locals:
                if self.depth > 4:
                    return UNKNOWN
                sub = self._sub(self.env, self.locals)
                return union([sub.value(parse(t)) for t in
                              self.locals[name]])
            if self.names is not None and name not in self.names and \
                    name not in ("true", "false", "NULL") and \
                    name != name.upper():
                return UNKNOWN
            return const(self.scope.get(name, name))
        if kind == "un" and e[1] == "&" and e[2][0] == "id":
            return const(self.scope.get(e[2][1], e[2][1]))
        if kind == "bin" and e[1] == "|":
            return bit_or(self.value(e[2]), self.value(e[3]))
        if kind == "?":
            c = self.truth(e[1])
            if c is True:
                return self.value(e[2])
            if c is False:
                return self.value(e[3])
            return union([self.value(e[2]), self.value(e[3])])
        if kind == "member":
            return self._member(e)
        if kind == "call" and e[1] in self.maps and self.depth < 4:
            return self.apply_map(e[1], e[2])
        if kind == "call" and e[1] in self.getters and self.depth < 4:
            params, definitions = self.getters[e[1]]
            env = {params[j]: self.value(e[2][j])
                   for j in range(min(len(params), len(e[2])))}
            return union([self._sub(env).returned(d)
                          for d in definitions])
        if (kind == "un" and e[1] == "!") or \
                (kind == "bin" and e[1] in ("==", "!=", "&&", "||", "&")):
            t = self.truth(e)
            if t is True:
                return Known([TRUE])
            if t is False:
                return Known([FALSE])
        return UNKNOWN

    def alternatives(self, v):
        """The alternatives of a value under the constraints, or None."""
        if v is UNKNOWN:
            return None
        if isinstance(v, Root):
            allowed = self.constraints.get(v.name)
            if allowed is None:
                return None
            return {a | v.extra for a in allowed}
        return set(v.alts)

    def returned(self, returns):
        """The value a function returns: its returns in order, each with
        the branches it sits in; the first whose branches surely hold
        ends the search, those that surely do not hold are skipped."""
        out = []
        # A return under one test of a lock flag, not taken: the returns
        # after it are reached only with the flag the other way.
        passed = set()
        for value, guards in returns:
            truths = [self.truth(parse(c)) == then if self.truth(parse(c))
                      is not None else None for c, then in guards]
            if False in truths:
                continue
            tags = set(passed)
            for (c, then), t in zip(guards, truths):
                flag = self._flag(parse(c)) if t is None else None
                if flag:
                    tags.add((flag[0], flag[1] == then))
            if len({m for m, _v in tags}) < len(tags):
                continue        # the flag both set and clear: cannot be
            v = self.value(parse(value))
            out.append(tag(v, tags) if tags else v)
            if all(t is True for t in truths):
                break
            flag = self._flag(parse(guards[0][0])) \
                if len(guards) == 1 and truths[0] is None else None
            if flag:
                passed.add((flag[0], flag[1] != guards[0][1]))
        return union(out) if out else UNKNOWN

    def apply_map(self, fn, args):
        """The value a switch-mapping function returns for arguments
        args: the case its switched expression selects, or any of its
        returns outside the switch whose branches may hold."""
        params, expr, rows, others = self.maps[fn]
        sub = self._sub({params[j]: self.value(args[j])
                         for j in range(min(len(params), len(args)))})
        alts = sub.alternatives(sub.value(parse(expr)))
        if alts is None:
            return UNKNOWN
        last = max(line for _l, line, _v in rows)
        out, after = [], []
        for line, value, guards in others:
            if any(sub.truth(parse(c)) not in (None, then)
                   for c, then in guards):
                continue
            # Before the switch: it may return first.  After it: reached
            # when no case returns.
            (after if line > last else out).append(
                sub._sub({}).value(parse(value)))
        for alt in alts:
            found = [value for label, _line, value in rows
                     if label is not None and _label(label) == alt] or \
                [value for label, _line, value in rows if label is None]
            if found:
                out.append(sub._sub({}).value(parse(found[0])))
            elif after:
                out.extend(after)
            else:
                return UNKNOWN
        return union(out)

    def constrain(self, e, labels):
        """The path passes `case L:` for one of labels on the value of e:
        narrow a free value to them, or say the path cannot happen."""
        allowed = {_label(label) for label in labels}
        v = self.value(e)
        if isinstance(v, Root) and not v.extra:
            old = self.constraints.get(v.name)
            new = frozenset(allowed) if old is None else old & allowed
            self.constraints[v.name] = new
            return bool(new)
        if isinstance(v, Known):
            return bool(v.alts & allowed)
        return True

    def truth(self, e):
        """True, False, or None (cannot tell) for a condition."""
        kind = e[0]
        if kind == "member" and e[3] in self.fields:
            return self.fields[e[3]]
        if kind == "un" and e[1] == "!":
            t = self.truth(e[2])
            return None if t is None else not t
        if kind == "bin" and e[1] == "&&":
            a, b = self.truth(e[2]), self.truth(e[3])
            if a is False or b is False:
                return False
            return True if a and b else None
        if kind == "bin" and e[1] == "||":
            a, b = self.truth(e[2]), self.truth(e[3])
            if a or b:
                return True
            return False if a is False and b is False else None
        if kind == "bin" and e[1] == "&":
            mask = self.value(e[3])
            if not isinstance(mask, Known):
                mask, e = self.value(e[2]), ("bin", "&", e[3], e[2])
            if not isinstance(mask, Known) or len(mask.alts) != 1:
                return None
            bits = next(iter(mask.alts))
            alts = self.alternatives(self.value(e[2]))
            if alts is None:
                v = self.value(e[2])
                if isinstance(v, Root) and bits & v.extra:
                    return True
                return None
            results = {bool(a & bits) for a in alts}
            return results.pop() if len(results) == 1 else None
        if kind == "bin" and e[1] in ("==", "!="):
            a = self.alternatives(self.value(e[2]))
            b = self.alternatives(self.value(e[3]))
            if a is None or b is None or len(b) != 1:
                return None
            results = {x in b for x in a}
            if len(results) != 1:
                return None
            same = results.pop()
            return same if e[1] == "==" else not same
        alts = self.alternatives(self.value(e))
        if alts is None:
            return None
        results = {bool(a) and a != frozenset({"0"}) for a in alts}
        return results.pop() if len(results) == 1 else None

    def names(self, e):
        """Parameters and roots an expression depends on, for messages."""
        out = set()
        if e[0] == "id" and (e[1] in self.env or e[1] in self.locals):
            out.add(e[1])
        for sub in e[1:]:
            if isinstance(sub, tuple):
                out |= self.names(sub)
            elif isinstance(sub, list):
                for a in sub:
                    out |= self.names(a)
        return out
