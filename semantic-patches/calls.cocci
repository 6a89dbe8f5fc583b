// SPDX-License-Identifier: GPL-2.0-only
/// Calls of a set of functions, with the lock state on every path to each
/// (scripts/pgwalk/analysis/facts.py runs it for the functions the
/// analysis follows; scripts/pgwalk/analysis/decisions.py reads the
/// facts).  It changes no code.
///
/// For each call of a function named in PGWALK_SET_names: its arguments;
/// in a function with a lock event, on which paths from the function's
/// start it is reached with no lock event ("inherit": the caller's lock
/// applies), after a write lock, after a read lock, after a per-VMA read
/// lock, or after an unlock.  Coccinelle follows the control flow, so a
/// lock taken on one branch or released before the call counts only on the
/// paths where it happens.  Also: calls that pass one of the named
/// functions as an argument (a callback handed to the function that calls
/// it).
///
/// Tracking every call of a file costs seconds per file, so the set is the
/// analysis' own, and the results are cached per file and name.  The lock
/// primitives come from scripts/locks.conf (PGWALK_SET_* sets).
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
from pgwalk_emit import emit, function_of, reporting

# Functions with a lock event, and functions that change a VMA (write
# its flags or write-lock it), each as function_of() names it, with its
# file: one spatch run reads many files, and a file's facts, cached
# alone, must not depend on a function of the same name in a file read
# before it.
LOCKED = set()
CHANGERS = set()

# A PGWALK_SET_* set as facts.py fills it in: "name, name, ...".
def names(text):
    return set(text.split(", "))

# The state each lock event starts.
STARTS = (("write", names("PGWALK_SET_mmap_write")),
          ("read", names("PGWALK_SET_mmap_read")),
          ("released", names("PGWALK_SET_mmap_release")),
          ("vma_read", names("PGWALK_SET_vma_read_take")))

def states(p, q, lk, among):
    """The states of among that lk, called at q, starts, for the call at
    p (a helper that returns holding either of two locks starts two)."""
    for state, start in STARTS:
        if state in among and lk in start:
            emit("state", p, state=state,
                 by=[int(q[0].line), int(q[0].column)])

@script:python depends on report@
@@
reporting()

@call@
identifier f = {PGWALK_SET_names};
expression list es;
position p;
@@
f@p(es)

@script:python@
p << call.p;
f << call.f;
es << call.es;
@@
emit("call", p, callee=f, args=str(es))

@passed@
identifier f = {PGWALK_SET_names};
identifier g;
expression list[n] es;
position p;
@@
g@p(es, f, ...)

@script:python@
p << passed.p;
f << passed.f;
g << passed.g;
n << passed.n;
@@
emit("passed", p, callee=g, target=f, index=int(n))

// Only functions with a lock event need the path rules: elsewhere every
// call inherits its caller's context.
@lock@
identifier lk = {PGWALK_SET_mmap, PGWALK_SET_vma_read};
position q;
@@
lk@q(...)

@script:python@
q << lock.q;
@@
LOCKED.add(function_of(q))

@inherit exists@
identifier fn;
position pf : script:python() {
	function_of(pf) in LOCKED };
identifier f = {PGWALK_SET_names};
identifier ev = {PGWALK_SET_mmap, PGWALK_SET_vma_read};
position p;
@@
fn@pf(...) {
... when != ev(...)
    when any
f@p(...)
... when any
}

@script:python@
p << inherit.p;
@@
emit("state", p, state="inherit", by=None)

// `if (E && lk(...)) S`: Coccinelle's control flow has the condition as
// one node, so every path through the `if` passes the lock event.  When E
// is false lk() is never called: the calls after the `if` are also
// reached with no lock event.  (Those reached after lk() returned false
// are the states below.)
@inherit_past_and exists@
identifier fn;
position pf : script:python() {
	function_of(pf) in LOCKED };
identifier f = {PGWALK_SET_names};
identifier ev = {PGWALK_SET_mmap, PGWALK_SET_vma_read};
expression E;
statement S;
position p;
@@
fn@pf(...) {
... when != ev(...)
    when any
if (E && <+... ev(...) ...+>) S
... when != ev(...)
    when any
f@p(...)
... when any
}

@script:python@
p << inherit_past_and.p;
@@
emit("state", p, state="inherit", by=None)

// The calls reached after a lock event, on some path with no event that
// ends the state it starts, and that state (states() above).  Another
// mmap lock event ends a write or read lock; any mmap or per-VMA read
// lock event ends an unlock ("released") or a per-VMA read lock.  One
// rule for each of the two: Coccinelle cannot make what ends a path
// depend on the event that starts it, and a two-lock helper starts a
// state of each.
@until_mmap exists@
identifier fn;
position pf : script:python() {
	function_of(pf) in LOCKED };
identifier f = {PGWALK_SET_names};
identifier lk = {PGWALK_SET_mmap_write, PGWALK_SET_mmap_read};
identifier ev = {PGWALK_SET_mmap};
position p, q;
@@
fn@pf(...) {
... when any
lk@q(...)
... when != ev(...)
    when any
f@p(...)
... when any
}

@script:python@
p << until_mmap.p;
q << until_mmap.q;
lk << until_mmap.lk;
@@
states(p, q, lk, ("write", "read"))

@until_any exists@
identifier fn;
position pf : script:python() {
	function_of(pf) in LOCKED };
identifier f = {PGWALK_SET_names};
identifier lk = {PGWALK_SET_mmap_release, PGWALK_SET_vma_read_take};
identifier ev = {PGWALK_SET_mmap, PGWALK_SET_vma_read};
position p, q;
@@
fn@pf(...) {
... when any
lk@q(...)
... when != ev(...)
    when any
f@p(...)
... when any
}

@script:python@
p << until_any.p;
q << until_any.q;
lk << until_any.lk;
@@
states(p, q, lk, ("released", "vma_read"))

// A walk whose table gets its walk_lock at run time, right before the
// walk and on every path to it: `ops->walk_lock = MODE; ...
// walk(..., ops, ...)` (or ops.walk_lock and &ops).  The mode at that walk
// is MODE, whatever the table was initialised with.
@walk_lock_set_ptr@
identifier f = {PGWALK_SET_names};
expression E, M;
position p;
@@
E->walk_lock = M;
... when != E->walk_lock = ...
f@p(..., E, ...)

@script:python@
p << walk_lock_set_ptr.p;
M << walk_lock_set_ptr.M;
@@
emit("walk_lock_at", p, mode=str(M))

@walk_lock_set_struct@
identifier f = {PGWALK_SET_names};
expression E, M;
position p;
@@
E.walk_lock = M;
... when != E.walk_lock = ...
f@p(..., &E, ...)

@script:python@
p << walk_lock_set_struct.p;
M << walk_lock_set_struct.M;
@@
emit("walk_lock_at", p, mode=str(M))

// In a function that changes a VMA on some path (`<+... ...+>` asks for
// one change at least, `exists` on one path), the calls of the named
// functions reached on some path with no change first (facts.cocci's
// vma_changer says which functions change one): the others are over a
// changed VMA.
@changer exists@
identifier changing;
identifier vw = {PGWALK_SET_vma_write};
expression E;
position pc;
@@
changing@pc(...) {
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
pc << changer.pc;
@@
CHANGERS.add(function_of(pc))

@vma_unchanged_call exists@
identifier fn;
position pf : script:python() {
	function_of(pf) in CHANGERS };
identifier vw = {PGWALK_SET_vma_write};
identifier f = {PGWALK_SET_names};
expression E;
position p;
@@
fn@pf(...) {
... when any
    when != E->vm_flags |= ...
    when != E->vm_flags &= ...
    when != E->vm_flags = ...
    when != WRITE_ONCE(E->vm_flags, ...)
    when != vw(E, ...)
f@p(...)
... when any
}

@script:python@
p << vma_unchanged_call.p;
@@
emit("vma_unchanged", p)
