// SPDX-License-Identifier: GPL-2.0-only
/// Set the page-walk locking mode of struct mm_walk_ops tables: add
/// `.walk_lock = MODE,` as the last initializer of each table named in
/// PGWALK_MODES (a JSON file {table: mode}, as scripts/pgwalk/series/edits.py
/// writes it from the decisions).  This rule decides nothing.  With
/// -D report it lists the tables that have no walk_lock instead.
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

@tbl@
identifier t;
position p;
@@
struct mm_walk_ops t@p = {...};

@has_mode@
identifier tbl.t;
expression mode;
@@
struct mm_walk_ops t = {..., .walk_lock = mode, ...};

@script:python depends on report && !has_mode@
t << tbl.t;
p << tbl.p;
@@
coccilib.report.print_report(p[0], "struct mm_walk_ops %s has no walk_lock" % t)

@script:python m depends on patch@
t << tbl.t;
mode;
@@
if t in MODES:
    coccinelle.mode = cocci.make_ident(MODES[t])
else:
    cocci.include_match(False)

@depends on patch && !has_mode@
identifier tbl.t, m.mode;
@@
struct mm_walk_ops t = {
 ...,
+ .walk_lock = mode,
};
