// SPDX-License-Identifier: GPL-2.0-only
/// Pass each table to its walker through a local pointer assigned on
/// both branches of an if.
/// A metamorphic rewrite (tests/test_metamorphic.py): the walks behave as
/// before, only the shape of the code changes; the analysis must give
/// every table the mode it gave before the rewrite.  Never part of a
/// series.
//
// Confidence: High
// Options: --no-includes


@walk0@
identifier t, fn;
expression E1, E2, E3, E5;
fresh identifier v = "meta_ops_" ## t;
@@
fn(...) {
<...
- walk_page_range(E1, E2, E3, &t, E5)
+ walk_page_range(E1, E2, E3, v, E5)
...>
}

@depends on walk0@
identifier walk0.t, walk0.fn, walk0.v;
@@
fn(...) {
+	const struct mm_walk_ops *v = NULL;
+
+	if (!v)
+		v = &t;
+	else
+		v = &t;
 ...
}

@walk1@
identifier t, fn;
expression E1, E2, E3, E5;
fresh identifier v = "meta_ops_" ## t;
@@
fn(...) {
<...
- walk_page_range_vma(E1, E2, E3, &t, E5)
+ walk_page_range_vma(E1, E2, E3, v, E5)
...>
}

@depends on walk1@
identifier walk1.t, walk1.fn, walk1.v;
@@
fn(...) {
+	const struct mm_walk_ops *v = NULL;
+
+	if (!v)
+		v = &t;
+	else
+		v = &t;
 ...
}

@walk2@
identifier t, fn;
expression E1, E5;
fresh identifier v = "meta_ops_" ## t;
@@
fn(...) {
<...
- walk_page_vma(E1, &t, E5)
+ walk_page_vma(E1, v, E5)
...>
}

@depends on walk2@
identifier walk2.t, walk2.fn, walk2.v;
@@
fn(...) {
+	const struct mm_walk_ops *v = NULL;
+
+	if (!v)
+		v = &t;
+	else
+		v = &t;
 ...
}
