// SPDX-License-Identifier: GPL-2.0-only
/// Insert the page-walk locking core into include/linux/pagewalk.h: enum
/// page_walk_lock before struct mm_walk_ops, and its walk_lock member.
///
/// The rule finds the anchors and leaves "pgwalk:" marker comments there;
/// scripts/pgwalk/core.py replaces each marker with its block from
/// reference/pagewalk.h, the one copy of the code, verbatim (Coccinelle
/// would re-indent it), and adds the @walk_lock kernel-doc line
/// (Coccinelle leaves comments alone).
//
// Confidence: High
// Options: --no-includes --include-headers
// Run by scripts/pgwalk/core.py with -D patch.

virtual patch
// Accepted so that both core rules take the same options; the header is
// the same with or without per-VMA locks.
virtual per_vma_lock

@add_member depends on patch@
@@
 struct mm_walk_ops {
 ...
+/* pgwalk: member */
 };

@add_enum depends on patch && add_member@
@@
+/* pgwalk: enum */
 struct mm_walk_ops {
 ...
 };
