// SPDX-License-Identifier: GPL-2.0-only
/// Remove the walk_lock initializer of every struct mm_walk_ops: a tree
/// that carries the conversion, as it was before it.  The tests and
/// bench-boot.sh make such trees to check that the analysis gives the
/// modes back; it is never part of a series.
//
// Confidence: High
// Options: --no-includes --include-headers

virtual patch

@depends on patch@
identifier ops;
expression E;
@@

 struct mm_walk_ops ops = {
 ...,
- .walk_lock = E,
 ...
 };
