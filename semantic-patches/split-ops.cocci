// SPDX-License-Identifier: GPL-2.0-only
/// Split an ops table whose walks run under different mmap lock modes:
/// add a write twin after it, give the function that walks it a
/// `const struct mm_walk_ops *ops` parameter, and make each caller pass
/// the twin it needs.  Driven by the decisions (PGWALK_SPLITS names a JSON
/// file {table: split}, as scripts/pgwalk/series/edits.py writes it); this rule
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
FUNCS = {s["function"]: t for t, s in SPLITS.items()}
CALLERS = {(c["function"], s["function"]): c["table"]
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

@walkfn@
identifier t;
expression list [n] before;
expression list after;
identifier w = {walk_page_range, walk_page_vma, walk_page_range_vma};
position p;
@@
w@p(before, &t, after)

@script:python fp@
t << walkfn.t;
p << walkfn.p;
ops;
@@
if FUNCS.get(p[0].current_element) == t:
    coccinelle.ops = cocci.make_ident(SPLITS[t]["param"])
else:
    cocci.include_match(False)

@walk_ops depends on patch@
identifier walkfn.t, walkfn.w, fp.ops;
expression list [walkfn.n] walkfn.before;
expression list walkfn.after;
position walkfn.p;
@@
w@p(before,
- &t
+ ops
  , after)

@fndef@
identifier f;
@@
f(...) {...}

@script:python@
f << fndef.f;
@@
if f not in FUNCS:
    cocci.include_match(False)

@param depends on walk_ops@
identifier fndef.f;
parameter list ps;
@@
f(ps
+ , const struct mm_walk_ops *ops
  ) {...}

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
    coccinelle.arg = cocci.make_ident("&" + CALLERS[(p[0].current_element, f)])
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
