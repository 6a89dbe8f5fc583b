// SPDX-License-Identifier: GPL-2.0-only
/// Where each struct mm_walk_ops table of a file is written: its name's
/// line, its function (its own name at file scope), its initializer from
/// "{" to "}", each designated member with the column of its name and of
/// its value, and the functions that take the table's address.  What the edits need to copy a table, align the line
/// they add and check what they wrote, and what the boot test reads of
/// the series it boots (scripts/pgwalk/tablescan.py).  It changes no
/// code; it prints a JSON object per finding, after "PGWALK ".
//
// Confidence: High
// Options: --no-includes --include-headers

// The functions that take a table's address cost two thirds of the run:
// only the boot test asks for them (-D users).
virtual users

@initialize:python@
@@
import os
import sys

# emit() is written once, in pgwalk_emit.py beside this file.  No
# __pycache__ there: the checkout may be read-only, and it is source.
sys.path.insert(0, os.path.dirname(os.path.abspath(cocci.cocci_file)))
sys.dont_write_bytecode = True
from pgwalk_emit import emit

@table@
identifier t;
initializer I;
position p, q;
@@
struct mm_walk_ops t@p = I@q;

@script:python@
t << table.t;
p << table.p;
q << table.q;
@@
emit("table", file=p[0].file, name=t, function=p[0].current_element,
     line=int(p[0].line), col=int(p[0].column),
     open=[int(q[0].line), int(q[0].column)],
     close=[int(q[0].line_end), int(q[0].column_end)])

// Each member with the table it belongs to (two functions may each have
// a local table of one name): the table's position says which.
@member@
identifier table.t, fld;
position table.p;
expression E;
position r, q;
@@
struct mm_walk_ops t@p = { ..., .fld@r = E@q, ... };

@script:python@
t << table.t;
p << table.p;
fld << member.fld;
r << member.r;
q << member.q;
E << member.E;
@@
emit("member", file=r[0].file, table=t, table_line=int(p[0].line),
     member=fld, line=int(r[0].line), col=int(r[0].column),
     value_col=int(q[0].column), value=str(E))

@user depends on users@
identifier table.t, fn;
position p;
@@
fn(...) { <... &t@p ...> }

@script:python@
t << table.t;
p << user.p;
@@
emit("address", file=p[0].file, table=t, function=p[0].current_element)
