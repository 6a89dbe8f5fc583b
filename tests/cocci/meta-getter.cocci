// SPDX-License-Identifier: GPL-2.0-only
/// Move each table behind a getter that chooses by a field of a lock
/// context (which lock the caller took): both branches give the table.
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
fresh identifier g = "meta_ops_of_" ## t;
fresh identifier c = "meta_ctx_" ## t;
@@
fn(...) {
<...
- walk_page_range@p(E1, E2, E3, &t, E5)
+ walk_page_range(E1, E2, E3, g(&c), E5)
...>
}

@script:python@
table << walk0.t;
@@
DONE0.add(table)

@depends on walk0@
identifier t;
position q : script:python(t) { t in DONE0 };
fresh identifier g = "meta_ops_of_" ## t;
fresh identifier c = "meta_ctx_" ## t;
fresh identifier st = "meta_lock_ctx_" ## t;
@@
 struct mm_walk_ops t@q = {...};
+
+struct st {
+	bool vma_locked;
+};
+static struct st c;
+
+static const struct mm_walk_ops *g(struct st *ctx)
+{
+	if (ctx->vma_locked)
+		return &t;
+	return &t;
+}

@walk1@
identifier t, fn;
position p : script:python(t) { t not in LOCAL };
expression E1, E2, E3, E5;
fresh identifier g = "meta_ops_of_" ## t;
fresh identifier c = "meta_ctx_" ## t;
@@
fn(...) {
<...
- walk_page_range_vma@p(E1, E2, E3, &t, E5)
+ walk_page_range_vma(E1, E2, E3, g(&c), E5)
...>
}

@script:python@
table << walk1.t;
@@
DONE1.add(table)

@depends on walk1@
identifier t;
position q : script:python(t) { t in DONE1 };
fresh identifier g = "meta_ops_of_" ## t;
fresh identifier c = "meta_ctx_" ## t;
fresh identifier st = "meta_lock_ctx_" ## t;
@@
 struct mm_walk_ops t@q = {...};
+
+struct st {
+	bool vma_locked;
+};
+static struct st c;
+
+static const struct mm_walk_ops *g(struct st *ctx)
+{
+	if (ctx->vma_locked)
+		return &t;
+	return &t;
+}

@walk2@
identifier t, fn;
position p : script:python(t) { t not in LOCAL };
expression E1, E5;
fresh identifier g = "meta_ops_of_" ## t;
fresh identifier c = "meta_ctx_" ## t;
@@
fn(...) {
<...
- walk_page_vma@p(E1, &t, E5)
+ walk_page_vma(E1, g(&c), E5)
...>
}

@script:python@
table << walk2.t;
@@
DONE2.add(table)

@depends on walk2@
identifier t;
position q : script:python(t) { t in DONE2 };
fresh identifier g = "meta_ops_of_" ## t;
fresh identifier c = "meta_ctx_" ## t;
fresh identifier st = "meta_lock_ctx_" ## t;
@@
 struct mm_walk_ops t@q = {...};
+
+struct st {
+	bool vma_locked;
+};
+static struct st c;
+
+static const struct mm_walk_ops *g(struct st *ctx)
+{
+	if (ctx->vma_locked)
+		return &t;
+	return &t;
+}
