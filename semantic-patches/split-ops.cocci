// SPDX-License-Identifier: GPL-2.0-only
/// Split an ops table whose walks run under different mmap lock modes:
/// add a write twin after it, give the function that walks it a bool
/// parameter (PGWALK_FLAG names it) from which it chooses the table, and
/// make each caller pass true for the twin, false for the original.
/// Both tables are used wherever the function is built, so neither is an
/// unused static in any configuration (a caller's #ifdef hides no table).
/// Driven by the decisions (PGWALK_SPLITS names a JSON file {table:
/// split}, as scripts/pgwalk/series/edits.py writes it); this rule
/// decides nothing.  The twin's initializers are copied verbatim from the
/// original by edits.py (Coccinelle would reflow them), and the modes are
/// set by annotate-ops.cocci.
//
// Confidence: High
// Options: --no-includes
// Run by scripts/pgwalk/series/edits.py with -D patch, and the splits in the
// file named by the environment variable PGWALK_SPLITS (run alone,
// without it, the rule splits nothing).

virtual patch

@initialize:python@
@@
import json, os
# {table: {"write_name", "write_mode", "function", "param", "callers": [...]}}
SPLITS = {}
if os.environ.get("PGWALK_SPLITS"):
    with open(os.environ["PGWALK_SPLITS"]) as f:
        SPLITS = json.load(f)
FLAG = os.environ.get("PGWALK_FLAG", "lock_vma")
FUNCS = {s["function"]: t for t, s in SPLITS.items()}
CALLERS = {(c["function"], s["function"]): c["table"] == s["write_name"]
           for s in SPLITS.values() for c in s["callers"]}

@tbl@
identifier t;
initializer list es;
@@
static const struct mm_walk_ops t = { es };

@script:python tw@
t << tbl.t;
twin;
@@
if t in SPLITS:
    coccinelle.twin = cocci.make_ident(SPLITS[t]["write_name"])
else:
    cocci.include_match(False)

@twin_table depends on patch@
identifier tbl.t, tw.twin;
initializer list tbl.es;
@@
static const struct mm_walk_ops t = { es };
+static const struct mm_walk_ops twin = { es };

// Every &t in the function that walks it (the walk's argument, or a
// local that picks it) becomes the new parameter.
@walkfn@
identifier f, t;
position p;
@@
f(...) { <... &t@p ...> }

@script:python fp@
t << walkfn.t;
p << walkfn.p;
ops;
@@
if FUNCS.get(p[0].current_element) == t:
    coccinelle.ops = cocci.make_ident("ops")
else:
    cocci.include_match(False)

@walk_ops depends on patch@
identifier walkfn.t, fp.ops;
position walkfn.p;
@@
- &t@p
+ ops

@fndef@
identifier f;
@@
f(...) {...}

@script:python choice@
f << fndef.f;
flag;
twin;
orig;
@@
if f in FUNCS:
    coccinelle.flag = cocci.make_ident(FLAG)
    coccinelle.twin = cocci.make_ident(SPLITS[FUNCS[f]]["write_name"])
    coccinelle.orig = cocci.make_ident(FUNCS[f])
else:
    cocci.include_match(False)

@param depends on walk_ops@
identifier fndef.f, choice.flag;
parameter list ps;
@@
f(ps
+ , bool flag
  ) {...}

// The choice goes after the function's last declaration.
@choose depends on param@
identifier fndef.f, choice.flag, choice.twin, choice.orig;
declaration d;
statement s;
@@
f(...) {
... when any
d
+ const struct mm_walk_ops *ops = flag ? &twin : &orig;
s
... when any
}

// A function without declarations starts with it.
@choose_first depends on param && !choose@
identifier fndef.f, choice.flag, choice.twin, choice.orig;
statement s;
@@
f(...) {
+ const struct mm_walk_ops *ops = flag ? &twin : &orig;
+
s
... when any
}

@call@
identifier f;
expression list es;
position p;
@@
f@p(es)

@script:python cp@
f << call.f;
p << call.p;
arg;
@@
if (p[0].current_element, f) in CALLERS:
    coccinelle.arg = cocci.make_ident(
        "true" if CALLERS[(p[0].current_element, f)] else "false")
else:
    cocci.include_match(False)

@thread_callers depends on patch@
identifier call.f, cp.arg;
expression list call.es;
position call.p;
@@
f@p(es
+ , arg
  )
