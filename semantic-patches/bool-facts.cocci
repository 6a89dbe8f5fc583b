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
import json

def emit(p, walker, ops, lock):
    print("PGWALK " + json.dumps({"kind": "bool_call", "file": p[0].file,
          "line": int(p[0].line), "function": p[0].current_element,
          "walker": walker, "ops": ops, "lock": lock}, sort_keys=True))

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
emit(p, "walk_page_range", ops, lock)

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
emit(p, "walk_page_range_vma", ops, lock)

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
emit(p, "walk_page_vma", ops, lock)
