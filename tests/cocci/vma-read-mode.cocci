// SPDX-License-Identifier: GPL-2.0-only
/// A metamorphic rewrite of a tree that carries walk_lock: its core gains
/// a mode that only asserts a per-VMA read lock (the mmap lock need not
/// be held), as newer kernels have it.  The enum gets the enumerator, the
/// mmap helper stops asserting the mmap lock for it and the VMA helper
/// asserts the VMA lock for it (first thing: Coccinelle does not add case
/// labels).  tests/test_metamorphic_contract.py applies it to a
/// copy of a tree, together with vma-read-caller.cocci; it is never part
/// of a series.
//
// Confidence: High
// Options: --no-includes --include-headers

virtual patch

@enum_mode depends on patch@
@@
 enum page_walk_lock {
 ...,
 PGWALK_WRLOCK_VERIFY = 2,
+PGWALK_VMA_RDLOCK_VERIFY = 3,
 };

@mm_helper depends on patch@
identifier h, lk, mm;
type T;
@@
 T h(struct mm_struct *mm, enum page_walk_lock lk)
 {
 if (lk == PGWALK_RDLOCK)
  mmap_assert_locked(mm);
-else
+else if (lk != PGWALK_VMA_RDLOCK_VERIFY)
  mmap_assert_write_locked(mm);
 }

@vma_helper depends on patch@
identifier h, lk, vma;
type T;
@@
 T h(struct vm_area_struct *vma, enum page_walk_lock lk)
 {
+if (lk == PGWALK_VMA_RDLOCK_VERIFY)
+	vma_assert_locked(vma);
 ...
 }
