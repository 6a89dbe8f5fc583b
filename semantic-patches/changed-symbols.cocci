// SPDX-License-Identifier: GPL-2.0-only
/// The file-scope symbols a change defines or redefines, and where the
/// file uses them: what the configuration sweep of verify-build
/// (scripts/pgwalk/proofs/sweep.py) must see compiled besides the changed
/// lines themselves.  PGWALK_LINES names the changed lines ("12,13,40").
/// A symbol is changed when a changed line falls in its definition: a
/// variable's declaration and initializer (a table), or a function's name
/// and parameter list (its signature; a line of its body is a changed line
/// in itself).  It changes no code; it prints a JSON object per finding,
/// after "PGWALK ".
//
// Confidence: High
// Options: --no-includes

@initialize:python@
@@
import json, os
LINES = {int(n) for n in os.environ.get("PGWALK_LINES", "").split(",") if n}
NAMES = set()

def found(kind, name, p, end=None):
    first = int(p[0].line)
    last = int(end) if end is not None else first
    if kind == "use" or any(first <= n <= last for n in LINES):
        if kind != "use":
            NAMES.add(name)
        print("PGWALK " + json.dumps({"kind": kind, "name": name,
                                       "line": first, "end": last}))

@var@
type T;
identifier I;
initializer E;
position p, q;
@@
T I@p = E@q;

@script:python@
p << var.p;
q << var.q;
I << var.I;
@@
# At file scope, Coccinelle's current element is the variable itself.
if p[0].current_element == I:
    found("variable", I, p, q[0].line_end)

@fn@
identifier f;
parameter list ps;
position p, q;
@@
f@p(ps@q) { ... }

@script:python@
p << fn.p;
q << fn.q;
f << fn.f;
@@
found("function", f, p, q[0].line_end)

@uses@
identifier I;
position p;
@@
I@p

@script:python@
p << uses.p;
I << uses.I;
@@
if I in NAMES:
    found("use", I, p)
