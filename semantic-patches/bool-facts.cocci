// SPDX-License-Identifier: GPL-2.0-only
/// Report the calls of the boolean-argument form of the page walk API
/// (walk_page_range(mm, start, end, ops, lock_vma, private) and friends,
/// the form of the series' first posting): one JSON line per call with the
/// ops expression and the lock_vma argument.
//
// Confidence: High
// Options: --no-includes

@initialize:python@
@@
import os
import sys

# emit() is written once, in pgwalk_emit.py beside this file.  No
# __pycache__ there: the checkout may be read-only, and it is source.
sys.path.insert(0, os.path.dirname(os.path.abspath(cocci.cocci_file)))
sys.dont_write_bytecode = True
from pgwalk_emit import emitter

# Where a call is, as boolform.py has always read it: no column.
emit = emitter("file", "line", "function")

@range@
expression E1, E2, E3, ops, lock, P;
position p;
@@
walk_page_range@p(E1, E2, E3, ops, lock, P)

@script:python@
p << range.p;
ops << range.ops;
lock << range.lock;
@@
emit("bool_call", p, walker="walk_page_range", ops=ops, lock=lock)

@range_vma@
expression E1, E2, E3, ops, lock, P;
position p;
@@
walk_page_range_vma@p(E1, E2, E3, ops, lock, P)

@script:python@
p << range_vma.p;
ops << range_vma.ops;
lock << range_vma.lock;
@@
emit("bool_call", p, walker="walk_page_range_vma", ops=ops, lock=lock)

@vma@
expression E1, ops, lock, P;
position p;
@@
walk_page_vma@p(E1, ops, lock, P)

@script:python@
p << vma.p;
ops << vma.ops;
lock << vma.lock;
@@
emit("bool_call", p, walker="walk_page_vma", ops=ops, lock=lock)
