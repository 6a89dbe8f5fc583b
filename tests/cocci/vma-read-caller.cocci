// SPDX-License-Identifier: GPL-2.0-only
/// A metamorphic rewrite, with vma-read-mode.cocci: a table and a caller
/// that walks one VMA under a per-VMA read lock only
/// (lock_vma_under_rcu()), placed before the function of the file that
/// walks with walk_page_range() (give it a file with one such function).
/// Its table must get the mode that only asserts a per-VMA read lock.
/// tests/test_metamorphic_contract.py applies it to a copy of a tree; it
/// is never part of a series.
//
// Confidence: High
// Options: --no-includes

virtual patch

@anchor depends on patch@
identifier f;
type T;
@@
+static const struct mm_walk_ops pgwalk_vma_read_ops = {
+	.pmd_entry	= NULL,
+};
+
+int pgwalk_vma_read_walk(struct mm_struct *mm, unsigned long addr)
+{
+	struct vm_area_struct *vma = lock_vma_under_rcu(mm, addr);
+
+	if (!vma)
+		return -EAGAIN;
+	walk_page_vma(vma, &pgwalk_vma_read_ops, NULL);
+	vma_end_read(vma);
+	return 0;
+}
+
 T f(...)
 {
 <+...
 walk_page_range(...)
 ...+>
 }
