// SPDX-License-Identifier: GPL-2.0-only
/// A metamorphic rewrite: walk_page_range() becomes a thin public wrapper
/// over an internal walker that does the locking, declared in an
/// mm-internal header, and the callers in the files it is given
/// (-D callers) walk through the internal walker directly.  The modes
/// must not change.  tests/test_metamorphic_contract.py applies it to a
/// copy of a tree (mm/pagewalk.c, mm/internal.h, then the callers); it
/// is never part of a series.
//
// Confidence: High
// Options: --no-includes --include-headers

virtual patch
virtual callers

@wrapper depends on patch && !callers@
identifier f = walk_page_range;
identifier m, s, e, o, p;
@@
-int f(struct mm_struct *m, unsigned long s, unsigned long e,
-      const struct mm_walk_ops *o, void *p)
+int pgwalk_range_internal(struct mm_struct *m, unsigned long s,
+			  unsigned long e, const struct mm_walk_ops *o,
+			  void *p)
 {
 ...
 }
+
+int walk_page_range(struct mm_struct *m, unsigned long s,
+		    unsigned long e, const struct mm_walk_ops *o,
+		    void *p)
+{
+	return pgwalk_range_internal(m, s, e, o, p);
+}

// Coccinelle adds no declaration after a context one: the prototype the
// internal walker goes after is taken out and put back.
@prototype depends on patch && !callers@
@@
-int walk_page_range_debug(struct mm_struct *mm, unsigned long start,
-			  unsigned long end, const struct mm_walk_ops *ops,
-			  pgd_t *pgd, void *private);
+int walk_page_range_debug(struct mm_struct *mm, unsigned long start,
+			  unsigned long end, const struct mm_walk_ops *ops,
+			  pgd_t *pgd, void *private);
+int pgwalk_range_internal(struct mm_struct *mm, unsigned long start,
+			  unsigned long end, const struct mm_walk_ops *ops,
+			  void *private);

@call depends on patch && callers@
expression list es;
@@
-walk_page_range(es)
+pgwalk_range_internal(es)
