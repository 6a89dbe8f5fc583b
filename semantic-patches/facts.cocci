/// Facts for the page-walk locking analysis (scripts/pgwalk/facts.py).
///
/// For every call in a file: on which paths from the function's start it
/// is reached with no mmap lock event ("inherit": the caller's lock
/// applies), after a write lock, after a read lock, or after an unlock.
/// Coccinelle follows the control flow, so a lock taken on one branch or
/// released before the call counts only on the paths where it happens.
/// Also: every struct mm_walk_ops table, every walk call with its ops
/// argument, local ops pointers assigned a table, and walks whose VMA was
/// not changed (flags written or write-locked) on some path before them.
/// Each fact is printed as one JSON line; this rule changes no code.
///
/// The lists of lock functions are the mmap_lock API of include/linux/
/// mmap_lock.h; mmap_write_downgrade() starts a read section.
//
// Confidence: High
// Options: --no-includes --very-quiet

virtual report
// Later rounds only need the lock state of calls: -D calls_only.
virtual calls_only

@initialize:python@
@@
import json

def emit(kind, pos, **kw):
    kw.update({"kind": kind, "file": pos[0].file, "line": int(pos[0].line),
               "function": pos[0].current_element})
    print("PGWALK " + json.dumps(kw, sort_keys=True))

@inherit exists@
identifier fn;
// pgwalk: callees (the calls whose lock state is wanted: the walkers here;
// scripts/pgwalk/facts.py puts the functions on the call chain here in
// later rounds -- tracking every call of a file would cost minutes)
identifier f = {walk_page_range, walk_page_vma, walk_page_range_vma};
position p;
@@
fn(...) {
... when any
    when != mmap_write_lock(...)
    when != mmap_write_lock_killable(...)
    when != mmap_write_lock_nested(...)
    when != mmap_write_trylock(...)
    when != mmap_assert_write_locked(...)
    when != mmap_read_lock(...)
    when != mmap_read_lock_killable(...)
    when != mmap_read_trylock(...)
    when != mmap_write_downgrade(...)
    when != mmap_assert_locked(...)
    when != mmap_read_unlock(...)
    when != mmap_write_unlock(...)
    when != mmap_read_unlock_non_owner(...)
f@p(...)
... when any
}

@script:python@
p << inherit.p;
f << inherit.f;
@@
emit("call", p, callee=f, state="inherit")

@write exists@
// pgwalk: callees (the calls whose lock state is wanted: the walkers here;
// scripts/pgwalk/facts.py puts the functions on the call chain here in
// later rounds -- tracking every call of a file would cost minutes)
identifier f = {walk_page_range, walk_page_vma, walk_page_range_vma};
position p, q;
@@
\(mmap_write_lock@q(...)\|mmap_write_lock_killable@q(...)\|mmap_write_lock_nested@q(...)\|mmap_write_trylock@q(...)\|mmap_assert_write_locked@q(...)\)
... when any
    when != mmap_write_lock(...)
    when != mmap_write_lock_killable(...)
    when != mmap_write_lock_nested(...)
    when != mmap_write_trylock(...)
    when != mmap_read_lock(...)
    when != mmap_read_lock_killable(...)
    when != mmap_read_trylock(...)
    when != mmap_write_downgrade(...)
    when != mmap_read_unlock(...)
    when != mmap_write_unlock(...)
    when != mmap_read_unlock_non_owner(...)
f@p(...)

@script:python@
p << write.p;
q << write.q;
f << write.f;
@@
emit("call", p, callee=f, state="write", lock_line=int(q[0].line), lock=q[0].current_element)

@read exists@
// pgwalk: callees (the calls whose lock state is wanted: the walkers here;
// scripts/pgwalk/facts.py puts the functions on the call chain here in
// later rounds -- tracking every call of a file would cost minutes)
identifier f = {walk_page_range, walk_page_vma, walk_page_range_vma};
position p, q;
@@
\(mmap_read_lock@q(...)\|mmap_read_lock_killable@q(...)\|mmap_read_trylock@q(...)\|mmap_write_downgrade@q(...)\|mmap_assert_locked@q(...)\)
... when any
    when != mmap_write_lock(...)
    when != mmap_write_lock_killable(...)
    when != mmap_write_lock_nested(...)
    when != mmap_write_trylock(...)
    when != mmap_assert_write_locked(...)
    when != mmap_read_lock(...)
    when != mmap_read_lock_killable(...)
    when != mmap_read_trylock(...)
    when != mmap_write_downgrade(...)
    when != mmap_read_unlock(...)
    when != mmap_write_unlock(...)
    when != mmap_read_unlock_non_owner(...)
f@p(...)

@script:python@
p << read.p;
q << read.q;
f << read.f;
@@
emit("call", p, callee=f, state="read", lock_line=int(q[0].line))

@released exists@
// pgwalk: callees (the calls whose lock state is wanted: the walkers here;
// scripts/pgwalk/facts.py puts the functions on the call chain here in
// later rounds -- tracking every call of a file would cost minutes)
identifier f = {walk_page_range, walk_page_vma, walk_page_range_vma};
position p, q;
@@
\(mmap_read_unlock@q(...)\|mmap_write_unlock@q(...)\|mmap_read_unlock_non_owner@q(...)\)
... when any
    when != mmap_write_lock(...)
    when != mmap_write_lock_killable(...)
    when != mmap_write_lock_nested(...)
    when != mmap_write_trylock(...)
    when != mmap_assert_write_locked(...)
    when != mmap_read_lock(...)
    when != mmap_read_lock_killable(...)
    when != mmap_read_trylock(...)
    when != mmap_write_downgrade(...)
    when != mmap_assert_locked(...)
f@p(...)

@script:python@
p << released.p;
q << released.q;
f << released.f;
@@
emit("call", p, callee=f, state="released", lock_line=int(q[0].line))

// An unlock that is the whole body of an if: the kernel's error-path idiom
// (`if (err) mmap_write_unlock(mm); ... if (err) goto out;`).
@cond_unlock@
expression E;
position q;
@@
if (E) \(mmap_write_unlock@q(...);\|mmap_read_unlock@q(...);\)

@script:python@
q << cond_unlock.q;
@@
emit("cond_unlock", q)

@lockname@
identifier lf = {mmap_write_lock, mmap_write_lock_killable, mmap_write_lock_nested, mmap_write_trylock, mmap_assert_write_locked, mmap_read_lock, mmap_read_lock_killable, mmap_read_trylock, mmap_write_downgrade, mmap_assert_locked, mmap_read_unlock, mmap_write_unlock, mmap_read_unlock_non_owner};
position q;
@@
lf@q(...)

@script:python@
q << lockname.q;
lf << lockname.lf;
@@
emit("lock", q, name=lf)

@walk depends on !calls_only@
identifier w = {walk_page_range, walk_page_vma, walk_page_range_vma,
                walk_page_range_novma, walk_page_mapping};
expression list args;
position p;
@@
w@p(args)

@script:python@
p << walk.p;
w << walk.w;
args << walk.args;
@@
emit("walk", p, walker=w, args=str(args))

@vma_unchanged depends on !calls_only exists@
identifier fn;
expression E;
position p;
@@
fn(...) {
... when any
    when != E->vm_flags |= ...
    when != E->vm_flags &= ...
    when != E->vm_flags = ...
    when != WRITE_ONCE(E->vm_flags, ...)
    when != vm_flags_set(E, ...)
    when != vm_flags_clear(E, ...)
    when != vm_flags_mod(E, ...)
    when != vm_flags_reset(E, ...)
    when != vm_flags_reset_once(E, ...)
    when != vma_start_write(E)
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

@table depends on !calls_only@
identifier t;
position p;
@@
struct mm_walk_ops t@p = {...};

@script:python@
p << table.p;
t << table.t;
@@
emit("table", p, name=t)

@table_lock depends on !calls_only@
identifier table.t;
expression mode;
@@
struct mm_walk_ops t = {..., .walk_lock = mode, ...};

@script:python@
t << table.t;
mode << table_lock.mode;
@@
print("PGWALK " + json.dumps({"kind": "table_lock", "name": t, "mode": mode}, sort_keys=True))

@assign depends on !calls_only@
identifier v, t;
position p;
@@
v@p = &t

@script:python@
p << assign.p;
t << assign.t;
v << assign.v;
@@
emit("assign", p, var=v, table=t)

@assign_decl depends on !calls_only@
identifier v, t;
position p;
type T;
@@
T v@p = &t;

@script:python@
p << assign_decl.p;
t << assign_decl.t;
v << assign_decl.v;
@@
emit("assign", p, var=v, table=t)

// A table chosen at run time (ops = write ? &a_ops : &b_ops): the
// pointer can be either.  One rule per branch: a disjunction would stop
// at the first.
@assign_then depends on !calls_only@
identifier v, t;
expression c, e;
position p;
@@
v@p = c ? &t : e

@script:python@
p << assign_then.p;
t << assign_then.t;
v << assign_then.v;
@@
emit("assign", p, var=v, table=t)

@assign_else depends on !calls_only@
identifier v, t;
expression c, e;
position p;
@@
v@p = c ? e : &t

@script:python@
p << assign_else.p;
t << assign_else.t;
v << assign_else.v;
@@
emit("assign", p, var=v, table=t)

@fndef@
identifier fn;
position p;
@@
fn@p(...) {...}

@script:python@
p << fndef.p;
fn << fndef.fn;
@@
emit("function", p, name=fn)
