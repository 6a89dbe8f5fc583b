// SPDX-License-Identifier: GPL-2.0-only
/// Facts of one C file for the page-walk locking analysis
/// (scripts/pgwalk/analysis/facts.py runs it;
/// scripts/pgwalk/analysis/decisions.py reads the facts).  It changes no
/// code.
///
/// The facts do not depend on which walk is being explained, so they are
/// computed once per file and cached by the file's contents:
/// - every function (static or not, its parameters), every call with its
///   arguments, every return value and every assignment to a local name;
/// - for each call in a function that takes, asserts or releases a lock:
///   on which paths from the function's start it is reached with no lock
///   event ("inherit": the caller's lock applies), after a write lock,
///   after a read lock, after a per-VMA read lock, or after an unlock.
///   Coccinelle follows the control flow, so a lock taken on one branch or
///   released before the call counts only on the paths where it happens;
/// - the conditions around calls: the branches of every if (as position
///   ranges) and the case labels a call sits under, and the value each
///   case of a switch returns (a function that maps a value to another);
/// - functions that may return with a lock held (they are lock
///   primitives for their callers);
/// - every struct mm_walk_ops table and its walk_lock, tables stored in
///   struct members, functions stored in structure members (callbacks);
/// - walks whose VMA is not changed or write-locked on some path first.
///
/// The lock primitives are not written here: facts.py fills the sets
/// named PGWALK_SET_* from scripts/locks.conf.
//
// Confidence: High
// Options: --no-includes --allow-inconsistent-paths

virtual report

@initialize:python@
@@
import os
import sys

# emit() is written once, in pgwalk_emit.py beside this file.  No
# __pycache__ there: the checkout may be read-only, and it is source.
sys.path.insert(0, os.path.dirname(os.path.abspath(cocci.cocci_file)))
sys.dont_write_bytecode = True
from pgwalk_emit import emit, function_of, reporting, span

# Functions with a lock event, and functions that pick a table: only their
# conditions and local values are reported (every if of a file would cost
# more than the rest of the facts together).  Each is keyed by its file
# (function_of()), as the if-else statements are: one spatch run reads
# many files, and a file's facts, cached alone, must not depend on the
# files read before it (a function of the same name, an else at the same
# line and column).
FOCUS = set()
ELSE_IFS = set()

@script:python depends on report@
@@
reporting()

// ---------------------------------------------------------------- functions

@fndef@
identifier fn;
position p;
@@
fn@p(...) {...}

@script:python@
p << fndef.p;
fn << fndef.fn;
@@
emit("function", p, name=fn, static=False)

@fnstatic@
identifier fn;
type T;
position p;
@@
static T fn@p(...) {...}

@script:python@
p << fnstatic.p;
fn << fnstatic.fn;
@@
emit("function", p, name=fn, static=True)

@param@
identifier fn, x;
parameter list[n] ps;
type T;
position p;
@@
fn@p(ps, T x, ...) {...}

@script:python@
p << param.p;
fn << param.fn;
x << param.x;
n << param.n;
@@
emit("param", p, name=fn, index=int(n), param=x)

// -------------------------------------------------------------------- locks

@lock@
identifier lk = {PGWALK_SET_mmap, PGWALK_SET_vma_read};
position q;
@@
lk@q(...)

@script:python@
q << lock.q;
lk << lock.lk;
@@
FOCUS.add(function_of(q))
emit("lock", q, name=lk)

// A lock recorded in a local flag: `mmap_write_lock(mm); locked = true;`.
// A later `if (locked) mmap_write_downgrade(mm);` is then taken on every
// path from that lock (facts.py drops the paths that skip it).
@lock_flag@
identifier lk = {PGWALK_SET_mmap, PGWALK_SET_vma_read};
identifier x;
expression C;
position q;
@@
lk@q(...);
x = C;

@script:python@
q << lock_flag.q;
lk << lock_flag.lk;
x << lock_flag.x;
C << lock_flag.C;
@@
emit("lock_flag", q, name=lk, var=x, value=str(C))

// A lock recorded in a member of a struct: `mmap_read_lock(ctx->mm); ...
// ctx->held = true;`.  A member set to true only after a lock is
// taken says, where it is tested, that the lock is held (factindex.py
// checks "only" against every member_set below).
@member_flag exists@
identifier lk = {PGWALK_SET_take};
expression E, C;
identifier F;
position q, p;
@@
lk@q(...)
... when any
(
E->F@p = C
|
E.F@p = C
)

@script:python@
q << member_flag.q;
p << member_flag.p;
lk << member_flag.lk;
F << member_flag.F;
C << member_flag.C;
E << member_flag.E;
@@
emit("member_flag", q, name=lk, field=F, value=str(C),
     set_at=[int(p[0].line), int(p[0].column)], base=str(E))

// A take after which some path ends the function holding the lock
// without setting the member above (an error return, `return -E;`, holds
// no lock): after that take the member does not say what its function
// recorded.
@record_skipped exists@
identifier fn;
identifier member_flag.lk;
position member_flag.q;
identifier member_flag.F;
identifier rel = {PGWALK_SET_release};
expression E, C, X;
position r;
@@
fn(...) {
... when any
lk@q@r(...)
... when != rel(...)
    when != E->F = C
    when != E.F = C
    when != return -X;
}

@script:python@
r << record_skipped.r;
F << member_flag.F;
@@
emit("record_skipped", r, field=F)

// Every assignment to a member, lock taken or not: a member set to true
// only under a lock is a lock flag (above), and a member nothing assigns
// keeps the value it was initialized with along a path (values.py).
@member_set@
expression E, E2;
identifier F;
assignment operator aop;
position p;
@@
(
E->F@p aop E2
|
E.F@p aop E2
|
E->F@p ++
|
E.F@p ++
|
E->F@p --
|
E.F@p --
)

@script:python@
p << member_set.p;
F << member_set.F;
aop << member_set.aop = "";
E2 << member_set.E2 = "";
@@
emit("member_set", p, field=F,
     value=str(E2) if str(aop).strip() == "=" else None)

// A local struct's designated initializer, `struct S x = { .m = C };`: a
// member nothing assigns keeps that value wherever x is passed down
// (paths.py narrows it so on a path through this function).
@struct_init@
identifier x, m;
expression C;
type T;
position p;
@@
T x@p = { ..., .m = C, ... };

@script:python@
p << struct_init.p;
x << struct_init.x;
m << struct_init.m;
C << struct_init.C;
@@
emit("struct_init", p, var=x, member=m, value=str(C))

// A function that may return with a lock held is a lock primitive for its
// callers (a seq_file ->start, a lock-and-look-up helper).
@held_return exists@
identifier fn;
identifier lk = {PGWALK_SET_take};
identifier rel = {PGWALK_SET_release};
position q;
@@
fn(...) {
... when any
lk@q(...)
... when != rel(...)
}

@script:python@
q << held_return.q;
lk << held_return.lk;
@@
emit("held_return", q, name=lk)

// ------------------------------------------------------------------- values

// A table picked into a local pointer: ops = &t, ops = c ? &a : &b.
@pick@
identifier v, t;
expression c, e;
position p;
@@
(
v@p = &t
|
v@p = c ? &t : e
|
v@p = c ? e : &t
)

@script:python@
p << pick.p;
@@
FOCUS.add(function_of(p))

@pick_decl@
identifier v, t;
expression c, e;
position p;
type T;
@@
(
T v@p = &t;
|
T v@p = c ? &t : e;
|
T v@p = c ? e : &t;
)

@script:python@
p << pick_decl.p;
@@
FOCUS.add(function_of(p))

// A local that holds a table pointer, whatever it is given (a getter's
// result, a parameter, a field): the function's assignments are its value.
@ops_local@
identifier v;
position p;
@@
(
const struct mm_walk_ops *v@p;
|
const struct mm_walk_ops *v@p = ...;
|
struct mm_walk_ops *v@p;
|
struct mm_walk_ops *v@p = ...;
)

@script:python@
p << ops_local.p;
@@
FOCUS.add(function_of(p))

// A call under a switch's case labels.
@case_call@
expression E, C;
identifier f;
position p;
@@
switch (E) { case C: <+... f@p(...) ...+> }

@script:python@
p << case_call.p;
f << case_call.f;
E << case_call.E;
C << case_call.C;
@@
# The locals of a function that chooses a call by a switch: their
# values are what the case labels narrow (assign below).
FOCUS.add(function_of(p))
emit("case", p, callee=f, expr=str(E), label=str(C))

// Values of locals in the functions that matter: write = need_write(x).
@assign@
identifier v;
expression E;
position p : script:python() { function_of(p) in FOCUS };
@@
v@p = E

@script:python@
p << assign.p;
v << assign.v;
E << assign.E;
@@
emit("assign", p, var=v, value=str(E))

@assign_decl@
identifier v;
expression E;
position p : script:python() { function_of(p) in FOCUS };
type T;
@@
T v@p = E;

@script:python@
p << assign_decl.p;
v << assign_decl.v;
E << assign_decl.E;
@@
emit("assign", p, var=v, value=str(E))

// Getters (return &t, return c ? &a : &b) and maps (return constant).
@ret@
expression c, R1, R2;
identifier t;
constant C;
position p;
symbol true, false;
@@
(
return@p &t;
|
return@p c ? R1 : R2;
|
return@p C;
|
return@p true;
|
return@p false;
)

@ret_value@
expression R;
position ret.p;
@@
return@p R;

@script:python@
p << ret.p;
R << ret_value.R;
@@
if "&" in str(R).split():
    # A getter: the branches its returns sit in choose the table.
    FOCUS.add(function_of(p))
emit("return", p, value=str(R))

// --------------------------------------------------------------- conditions

@branch_else@
expression E;
statement S1, S2;
position p : script:python() { function_of(p) in FOCUS };
position t, e;
@@
if@p (E) S1@t else S2@e

@script:python@
p << branch_else.p;
t << branch_else.t;
e << branch_else.e;
E << branch_else.E;
@@
ELSE_IFS.add((p[0].file, p[0].line, p[0].column))
emit("branch", p, cond=str(E), then=span(t), other=span(e))

@branch_then@
expression E;
statement S1;
position p : script:python() {
	function_of(p) in FOCUS and
	(p[0].file, p[0].line, p[0].column) not in ELSE_IFS };
position t;
@@
if@p (E) S1@t

@script:python@
p << branch_then.p;
t << branch_then.t;
E << branch_then.E;
@@
emit("branch", p, cond=str(E), then=span(t), other=None)

// `E1 && E2`: E2 is evaluated only where E1 holds, as if it sat in the
// then branch of `if (E1)`; `E1 || E2`: only where E1 does not, as in
// its else branch.  A lock helper called in E2
// (`r->mode == M && try_lock(r)`) is taken only where E1 holds.
@branch_and@
expression E1, E2;
position p : script:python() { function_of(p) in FOCUS };
position t;
@@
E1@p && E2@t

@script:python@
p << branch_and.p;
t << branch_and.t;
E1 << branch_and.E1;
@@
emit("branch", p, cond=str(E1), then=span(t), other=None)

@branch_or@
expression E1, E2;
position p : script:python() { function_of(p) in FOCUS };
position t;
@@
E1@p || E2@t

@script:python@
p << branch_or.p;
t << branch_or.t;
E1 << branch_or.E1;
@@
emit("branch", p, cond=str(E1), then=None, other=span(t))

@case_return@
expression E, C, R;
position p;
@@
switch (E) { case C: <+... return R@p; ...+> }

@script:python@
p << case_return.p;
E << case_return.E;
C << case_return.C;
R << case_return.R;
@@
emit("case_return", p, expr=str(E), label=str(C), value=str(R))

@default_return@
expression E, R;
position p;
@@
switch (E) { default: <+... return R@p; ...+> }

@script:python@
p << default_return.p;
E << default_return.E;
R << default_return.R;
@@
emit("case_return", p, expr=str(E), label=None, value=str(R))

// ------------------------------------------------------------------- tables

@table@
identifier t;
position p;
@@
struct mm_walk_ops t@p = {...};

@script:python@
p << table.p;
t << table.t;
@@
emit("table", p, name=t)

@table_lock@
identifier table.t;
expression mode;
position table.p;
@@
struct mm_walk_ops t@p = {..., .walk_lock = mode, ...};

@script:python@
p << table.p;
t << table.t;
mode << table_lock.mode;
@@
emit("table_lock", p, name=t, mode=str(mode))

// A mode chosen at run time: ops.walk_lock = f(x).
@table_lock_set@
identifier t;
expression mode;
position p;
@@
t.walk_lock@p = mode

@script:python@
p << table_lock_set.p;
t << table_lock_set.t;
mode << table_lock_set.mode;
@@
emit("table_lock_set", p, name=t, mode=str(mode))

// A table kept in a structure member: s->ops = &t.
@member_store@
expression E;
identifier m, t;
position p;
@@
(
E->m@p = &t
|
E.m@p = &t
)

@script:python@
p << member_store.p;
m << member_store.m;
t << member_store.t;
@@
emit("member_store", p, member=m, table=t)

// Functions kept in structure members: the kernel calls them.
@callback@
identifier T, x, m, f;
position p;
@@
struct T x@p = { ..., .m = f, ... };

@script:python@
p << callback.p;
T << callback.T;
x << callback.x;
m << callback.m;
f << callback.f;
@@
emit("callback", p, struct=T, var=x, member=m, target=f)

// --------------------------------------------------------------------- VMAs

// A walk whose VMA is not changed (flags written, write-locked) on some
// path before it.
@vma_unchanged exists@
identifier fn;
identifier vw = {PGWALK_SET_vma_write};
expression E;
position p;
@@
fn(...) {
... when any
    when != E->vm_flags |= ...
    when != E->vm_flags &= ...
    when != E->vm_flags = ...
    when != WRITE_ONCE(E->vm_flags, ...)
    when != vw(E, ...)
(
walk_page_vma@p(E, ...)
|
walk_page_range_vma@p(E, ...)
|
walk_page_range@p(E->vm_mm, ...)
)
... when any
}

@script:python@
p << vma_unchanged.p;
@@
emit("vma_unchanged", p)

// Functions that change a VMA on some path (`<+... ...+>`: one change at
// least, where `<... ...>` would take every function; `exists`: on one
// path, not all): calls.cocci reports their calls reached on some path
// with no change first, and a walk one call further down (a wrapper, a
// function split out of its caller) is over a changed VMA when the call
// that leads to it is not among those.
@vma_changer exists@
identifier fn;
identifier vw = {PGWALK_SET_vma_write};
expression E;
position p;
@@
fn@p(...) {
<+...
(
E->vm_flags |= ...
|
E->vm_flags &= ...
|
E->vm_flags = ...
|
WRITE_ONCE(E->vm_flags, ...)
|
vw(E, ...)
)
...+>
}

@script:python@
p << vma_changer.p;
fn << vma_changer.fn;
@@
emit("vma_changer", p, name=fn)
