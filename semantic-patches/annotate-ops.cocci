// SPDX-License-Identifier: GPL-2.0-only
/// Set the page-walk locking mode of struct mm_walk_ops tables: add
/// `.walk_lock = MODE,` as the last initializer of each table named in
/// PGWALK_MODES (a JSON file {table: mode}, as scripts/pgwalk/series/edits.py
/// writes it from the decisions).  A function's local table whose file has
/// another table of its name (a local of another function, or a file-scope
/// one) is named "function:name" there, and only so: each is its own
/// table, with its own mode.  This rule decides nothing.  With -D report it
/// lists the tables that have no walk_lock instead.
//
// Confidence: High
// Options: --no-includes
// Run by scripts/pgwalk/series/edits.py with -D patch or -D report, and the
// modes in the file named by the environment variable PGWALK_MODES.

virtual patch
virtual report

@initialize:python@
@@
import json
import os

MODES = {}
if os.environ.get("PGWALK_MODES"):
    with open(os.environ["PGWALK_MODES"]) as f:
        MODES = json.load(f)
# (file, table name) -> where tables of that name are: the function of a
# local one, the name itself for one at file scope.
SCOPES = {}

@tbl@
identifier t;
position p;
@@
struct mm_walk_ops t@p = {...};

@script:python@
t << tbl.t;
p << tbl.p;
@@
SCOPES.setdefault((p[0].file, t), set()).add(p[0].current_element)

@has_mode@
identifier tbl.t;
position tbl.p;
expression mode;
@@
struct mm_walk_ops t@p = {..., .walk_lock = mode, ...};

@script:python depends on report && !has_mode@
t << tbl.t;
p << tbl.p;
@@
coccilib.report.print_report(p[0], "struct mm_walk_ops %s has no walk_lock" % t)

@script:python m depends on patch@
t << tbl.t;
p << tbl.p;
mode;
@@
fn = p[0].current_element
if fn != t and len(SCOPES[(p[0].file, t)]) > 1:
    key = "%s:%s" % (fn, t)
else:
    key = t
if key in MODES:
    coccinelle.mode = cocci.make_ident(MODES[key])
else:
    cocci.include_match(False)

@depends on patch && !has_mode@
identifier tbl.t, m.mode;
position tbl.p;
@@
struct mm_walk_ops t@p = {
 ...,
+ .walk_lock = mode,
};
