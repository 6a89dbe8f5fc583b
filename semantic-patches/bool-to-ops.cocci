// SPDX-License-Identifier: GPL-2.0-only
/// Convert the boolean-argument form of the page walk API to the
/// ops-field form: drop the lock_vma argument from walk_page_range(),
/// walk_page_vma() and walk_page_range_vma() (their prototypes, their
/// definitions and every call), drop the `if (lock_vma) vma_start_write()`
/// the definitions did with it, and make the calls that passed true for a
/// table also passed with false use the table's write twin, named in
/// PGWALK_TWINS (a JSON file {table: twin}, from
/// scripts/pgwalk/forms/boolform.py, which decides; this rule decides
/// nothing).
//
// Confidence: High
// Options: --no-includes --include-headers
// Run by scripts/pgwalk/forms/boolform.py with -D patch, and the twins in the
// file named by the environment variable PGWALK_TWINS.

virtual patch

@initialize:python@
@@
import json
import os

TWINS = {}
if os.environ.get("PGWALK_TWINS"):
    with open(os.environ["PGWALK_TWINS"]) as f:
        TWINS = json.load(f)

// Calls that asked for the VMA lock with a table used both ways: the twin.
@twin_range@
identifier t;
expression E1, E2, E3, P;
position p;
symbol true;
@@
walk_page_range@p(E1, E2, E3, &t, true, P)

@script:python tr@
t << twin_range.t;
nt;
@@
if t in TWINS:
    coccinelle.nt = cocci.make_ident(TWINS[t])
else:
    cocci.include_match(False)

@depends on patch@
identifier twin_range.t, tr.nt;
expression E1, E2, E3, P;
position twin_range.p;
symbol true;
@@
walk_page_range@p(E1, E2, E3,
- &t, true,
+ &nt,
  P)

@twin_range_vma@
identifier t;
expression E1, E2, E3, P;
position p;
symbol true;
@@
walk_page_range_vma@p(E1, E2, E3, &t, true, P)

@script:python trv@
t << twin_range_vma.t;
nt;
@@
if t in TWINS:
    coccinelle.nt = cocci.make_ident(TWINS[t])
else:
    cocci.include_match(False)

@depends on patch@
identifier twin_range_vma.t, trv.nt;
expression E1, E2, E3, P;
position twin_range_vma.p;
symbol true;
@@
walk_page_range_vma@p(E1, E2, E3,
- &t, true,
+ &nt,
  P)

@twin_vma@
identifier t;
expression E1, P;
position p;
symbol true;
@@
walk_page_vma@p(E1, &t, true, P)

@script:python tv@
t << twin_vma.t;
nt;
@@
if t in TWINS:
    coccinelle.nt = cocci.make_ident(TWINS[t])
else:
    cocci.include_match(False)

@depends on patch@
identifier twin_vma.t, tv.nt;
expression E1, P;
position twin_vma.p;
symbol true;
@@
walk_page_vma@p(E1,
- &t, true,
+ &nt,
  P)

// Every other call: the argument goes, the table carries the rule.
@depends on patch@
expression E1, E2, E3, E4, B, P;
@@
(
walk_page_range(E1, E2, E3, E4,
- B,
  P)
|
walk_page_range_vma(E1, E2, E3, E4,
- B,
  P)
|
walk_page_vma(E1, E2,
- B,
  P)
)

// The walkers themselves: no lock_vma parameter, no VMA locking by it.
@core_def depends on patch@
identifier f = {walk_page_range, walk_page_vma, walk_page_range_vma};
identifier b;
expression V;
type T;
@@
T f(...,
- bool b,
  ...)
{
<...
- if (b)
-	vma_start_write(V);
...>
}

@depends on patch@
identifier f = {walk_page_range, walk_page_vma, walk_page_range_vma};
identifier b;
type T;
@@
T f(...,
- bool b,
  ...);
