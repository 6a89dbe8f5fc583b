// SPDX-License-Identifier: GPL-2.0-only
/// The page walker's contract, as the tree's own core states it
/// (scripts/pgwalk/analysis/contract.py runs it on the files that declare
/// or define functions taking a `struct mm_walk_ops *`, and on those that
/// declare enum page_walk_lock).  It changes no code; it prints one JSON
/// fact per line:
///
///   walker    a function with a `const struct mm_walk_ops *` parameter
///             (defined, or declared by a prototype), and where that is
///   vma       the index of its `struct vm_area_struct *` parameter
///   store     it stores its ops pointer in a structure (the walk state)
///   forward   it passes its ops pointer on to another function
///   field     it passes ops->walk_lock (or a local copy) to a function
///   wcall     a function a walker calls (its own lock assertions)
///   helper    a function with an `enum page_walk_lock` parameter
///   if/case/break/call  the branches of a helper on that parameter and
///             the calls in it, by position: contract.py works out under
///             which modes each call runs
///   mode      an enumerator of enum page_walk_lock, with its value
//
// Confidence: High
// Options: --no-includes --include-headers

@initialize:python@
@@
import os
import sys

# emit() is written once, in pgwalk_emit.py beside this file.  No
# __pycache__ there: the checkout may be read-only, and it is source.
sys.path.insert(0, os.path.dirname(os.path.abspath(cocci.cocci_file)))
sys.dont_write_bytecode = True
from pgwalk_emit import emitter, span

# Where a fact is, as contract.py has always read it: no function.
emit = emitter("file", "line", "col")

// ------------------------------------------------------------ walkers

@walker_def@
identifier f, ops;
type T;
parameter list[n] before;
position p;
@@
T f@p(before, const struct mm_walk_ops *ops, ...) { ... }

@script:python@
f << walker_def.f;
n << walker_def.n;
p << walker_def.p;
@@
emit("walker", p, name=f, ops_arg=n, defined=True)

@walker_decl@
identifier f, ops;
type T;
parameter list[n] before;
position p;
@@
T f@p(before, const struct mm_walk_ops *ops, ...);

@script:python@
f << walker_decl.f;
n << walker_decl.n;
p << walker_decl.p;
@@
emit("walker", p, name=f, ops_arg=n, defined=False)

@walker_vma@
identifier walker_def.f, v;
type T;
parameter list[n] before;
position p;
@@
T f@p(before, struct vm_area_struct *v, ...) { ... }

@script:python@
f << walker_def.f;
n << walker_vma.n;
p << walker_vma.p;
@@
emit("vma", p, name=f, vma_arg=n)

@store exists@
identifier walker_def.f, walker_def.ops, fld;
expression E;
type T;
position p;
@@
T f(...) {
 ... when any
(
 E.fld@p = ops
|
 E->fld@p = ops
)
 ... when any
}

@script:python@
f << walker_def.f;
p << store.p;
@@
emit("store", p, name=f)

@store_init@
identifier walker_def.f, walker_def.ops, fld, w;
type T, T2;
position p;
@@
T f(...) {
 <...
 T2 w@p = { ..., .fld = ops, ... };
 ...>
}

@script:python@
f << walker_def.f;
p << store_init.p;
@@
emit("store", p, name=f)

@forward exists@
identifier walker_def.f, walker_def.ops, g;
expression list[k] es;
type T;
position p;
@@
T f(...) {
 ... when any
 g@p(es, ops, ...)
 ... when any
}

@script:python@
f << walker_def.f;
g << forward.g;
k << forward.k;
p << forward.p;
@@
emit("forward", p, name=f, callee=g, arg=k)

@lock_arg exists@
identifier walker_def.f, walker_def.ops, g;
expression list[k] es;
type T;
position p;
@@
T f(...) {
 ... when any
 g@p(es, ops->walk_lock, ...)
 ... when any
}

@script:python@
f << walker_def.f;
g << lock_arg.g;
k << lock_arg.k;
p << lock_arg.p;
@@
emit("field", p, name=f, callee=g, arg=k)

// A copy of the field in a local, handed on.
@lock_copy exists@
identifier walker_def.f, walker_def.ops, g, x;
expression list[k] es;
type T, T2;
position p;
@@
T f(...) {
 ... when any
(
 T2 x = ops->walk_lock;
|
 x = ops->walk_lock;
)
 ... when any
 g@p(es, x, ...)
 ... when any
}

@script:python@
f << walker_def.f;
g << lock_copy.g;
k << lock_copy.k;
p << lock_copy.p;
@@
emit("field", p, name=f, callee=g, arg=k)

// A walker's own calls: the mmap assertions it makes itself, whatever
// walk_lock says, are what a table used only with walkers that ignore
// the field can state.
@walker_call exists@
identifier walker_def.f, g;
position p;
type T;
@@
T f(...) {
 ... when any
 g@p(...)
 ... when any
}

@script:python@
f << walker_def.f;
g << walker_call.g;
p << walker_call.p;
@@
emit("wcall", p, name=f, callee=g)

// ------------------------------------------------------ lock helpers

@helper@
identifier h, lk;
type T;
parameter list[n] before;
position p;
@@
T h@p(before, enum page_walk_lock lk, ...) { ... }

@script:python@
h << helper.h;
n << helper.n;
p << helper.p;
@@
emit("helper", p, name=h, arg=n)

@helper_if exists@
identifier helper.h, helper.lk;
expression C;
statement S1, S2;
type T;
position p1, p2;
@@
T h(...) {
 ... when any
(
 if (lk == C) S1@p1 else S2@p2
|
 if (lk != C) S2@p2 else S1@p1
)
 ... when any
}

@script:python@
h << helper.h;
C << helper_if.C;
p1 << helper_if.p1;
p2 << helper_if.p2;
@@
emit("if", p1, helper=h, mode=C, then=span(p1), otherwise=span(p2))

@helper_if1 exists@
identifier helper.h, helper.lk;
expression C;
statement S1;
type T;
position p1;
@@
T h(...) {
 ... when any
 if (lk == C) S1@p1
 ... when any
}

@script:python@
h << helper.h;
C << helper_if1.C;
p1 << helper_if1.p1;
@@
emit("if1", p1, helper=h, mode=C, then=span(p1))

@helper_ne1 exists@
identifier helper.h, helper.lk;
expression C;
statement S1;
type T;
position p1;
@@
T h(...) {
 ... when any
 if (lk != C) S1@p1
 ... when any
}

@script:python@
h << helper.h;
C << helper_ne1.C;
p1 << helper_ne1.p1;
@@
emit("ne", p1, helper=h, mode=C, then=span(p1))

@helper_case@
identifier helper.h, helper.lk;
expression C;
position p;
type T;
@@
T h(...) { <... switch (lk) { case C@p: ... } ...> }

@script:python@
h << helper.h;
C << helper_case.C;
p << helper_case.p;
@@
emit("case", p, helper=h, mode=C)

@helper_default@
identifier helper.h, helper.lk;
position p;
type T;
@@
T h(...) { <... switch (lk@p) { default: ... } ...> }

@script:python@
h << helper.h;
p << helper_default.p;
@@
emit("default", p, helper=h)

@helper_break exists@
identifier helper.h;
position p;
type T;
@@
T h(...) {
 ... when any
(
 break@p;
|
 return@p ...;
)
 ... when any
}

@script:python@
h << helper.h;
p << helper_break.p;
@@
emit("break", p, helper=h)

@helper_call exists@
identifier helper.h, g;
position p;
type T;
@@
T h(...) {
 ... when any
 g@p(...)
 ... when any
}

@script:python@
h << helper.h;
g << helper_call.g;
p << helper_call.p;
@@
emit("call", p, helper=h, callee=g)

// ------------------------------------------------------------- modes

@mode_value@
identifier E;
expression V;
position p;
@@
enum page_walk_lock { ..., E@p = V, ... };

@script:python@
E << mode_value.E;
V << mode_value.V;
p << mode_value.p;
@@
emit("mode", p, name=E, value=V)

@mode_plain@
identifier E;
position p;
@@
enum page_walk_lock { ..., E@p, ... };

@script:python@
E << mode_plain.E;
p << mode_plain.p;
@@
emit("mode", p, name=E, value=None)
