// SPDX-License-Identifier: GPL-2.0-only
/// Insert the page-walk locking core into mm/pagewalk.c: the helpers that
/// enforce ops->walk_lock, called where walk_page_range(), walk_page_vma()
/// and walk_page_range_vma() asserted the mmap lock.  The VMA half exists
/// only on trees with per-VMA locks (-D per_vma_lock).
/// walk_page_range_novma() and walk_page_mapping() do not use walk_lock and
/// are left alone.
///
/// The helpers are inserted as "pgwalk:" marker comments that
/// scripts/pgwalk/core.py replaces with their blocks from
/// reference/pagewalk.c verbatim, so that file is the one copy of the code.
//
// Confidence: High
// Options: --no-includes --include-headers
// Run by scripts/pgwalk/core.py with -D patch, and -D per_vma_lock on
// trees with per-VMA locks.

virtual patch
virtual per_vma_lock

@mm_helper depends on patch@
identifier f = walk_page_range;
@@
+/* pgwalk: mm helper */
 int f(...) { ... }

@vma_helper depends on patch && per_vma_lock@
identifier f = walk_page_range;
@@
+/* pgwalk: vma helper */
 int f(...) { ... }

@mm_check depends on patch@
identifier fn = {walk_page_range, walk_page_vma, walk_page_range_vma};
identifier walk;
@@
 int fn(...)
 {
 <...
-mmap_assert_locked(walk.mm);
+process_mm_walk_lock(walk.mm, ops->walk_lock);
 ...>
 }

@vma_check_range depends on patch && per_vma_lock@
@@
 int walk_page_range(...)
 {
 <...
+process_vma_walk_lock(vma, ops->walk_lock);
 walk.vma = vma;
 ...>
 }

@vma_check_one depends on patch && per_vma_lock@
identifier fn = {walk_page_vma, walk_page_range_vma};
identifier walk;
@@
 int fn(...)
 {
 <...
 process_mm_walk_lock(walk.mm, ops->walk_lock);
+process_vma_walk_lock(vma, ops->walk_lock);
 ...>
 }
