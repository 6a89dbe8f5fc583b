// SPDX-License-Identifier: GPL-2.0-only
/// Route every walk of a table through two new wrappers that forward
/// the ops pointer to the walker.
/// A metamorphic rewrite (tests/test_metamorphic.py): the walks behave as
/// before, only the shape of the code changes; the analysis must give
/// every table the mode it gave before the rewrite.  Never part of a
/// series.
//
// Confidence: High
// Options: --no-includes


@initialize:python@
@@
# Tables defined inside a function: no new top-level code can name them.
LOCAL = set()
# Tables whose walks a rule rewrote: their new code goes after them.
DONE0, DONE1, DONE2 = set(), set(), set()

@local_table@
identifier fn, t;
@@
fn(...) { <... struct mm_walk_ops t = {...}; ...> }

@script:python@
t << local_table.t;
@@
LOCAL.add(t)

@walk0@
identifier t, fn;
position p : script:python(t) { t not in LOCAL };
expression E1, E2, E3, E5;
fresh identifier w = "meta_fwd_" ## t;
@@
fn(...) {
<...
- walk_page_range@p(E1, E2, E3, &t, E5)
+ w(E1, E2, E3, &t, E5)
...>
}

@script:python@
table << walk0.t;
@@
DONE0.add(table)

@depends on walk0@
identifier t;
position q : script:python(t) { t in DONE0 };
fresh identifier w = "meta_fwd_" ## t;
fresh identifier w2 = "meta_fwd2_" ## t;
@@
 struct mm_walk_ops t@q = {...};
+
+static int w2(struct mm_struct *mm, unsigned long start,
+		unsigned long end,
+		const struct mm_walk_ops *ops, void *private)
+{
+	return walk_page_range(mm, start, end, ops, private);
+}
+
+static int w(struct mm_struct *mm, unsigned long start,
+		unsigned long end,
+		const struct mm_walk_ops *ops, void *private)
+{
+	return w2(mm, start, end, ops, private);
+}

@walk1@
identifier t, fn;
position p : script:python(t) { t not in LOCAL };
expression E1, E2, E3, E5;
fresh identifier w = "meta_fwd_" ## t;
@@
fn(...) {
<...
- walk_page_range_vma@p(E1, E2, E3, &t, E5)
+ w(E1, E2, E3, &t, E5)
...>
}

@script:python@
table << walk1.t;
@@
DONE1.add(table)

@depends on walk1@
identifier t;
position q : script:python(t) { t in DONE1 };
fresh identifier w = "meta_fwd_" ## t;
fresh identifier w2 = "meta_fwd2_" ## t;
@@
 struct mm_walk_ops t@q = {...};
+
+static int w2(struct vm_area_struct *vma, unsigned long start,
+		unsigned long end,
+		const struct mm_walk_ops *ops, void *private)
+{
+	return walk_page_range_vma(vma, start, end, ops, private);
+}
+
+static int w(struct vm_area_struct *vma, unsigned long start,
+		unsigned long end,
+		const struct mm_walk_ops *ops, void *private)
+{
+	return w2(vma, start, end, ops, private);
+}

@walk2@
identifier t, fn;
position p : script:python(t) { t not in LOCAL };
expression E1, E5;
fresh identifier w = "meta_fwd_" ## t;
@@
fn(...) {
<...
- walk_page_vma@p(E1, &t, E5)
+ w(E1, &t, E5)
...>
}

@script:python@
table << walk2.t;
@@
DONE2.add(table)

@depends on walk2@
identifier t;
position q : script:python(t) { t in DONE2 };
fresh identifier w = "meta_fwd_" ## t;
fresh identifier w2 = "meta_fwd2_" ## t;
@@
 struct mm_walk_ops t@q = {...};
+
+static int w2(struct vm_area_struct *vma,
+		const struct mm_walk_ops *ops, void *private)
+{
+	return walk_page_vma(vma, ops, private);
+}
+
+static int w(struct vm_area_struct *vma,
+		const struct mm_walk_ops *ops, void *private)
+{
+	return w2(vma, ops, private);
+}
