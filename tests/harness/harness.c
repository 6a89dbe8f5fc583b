// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace harness for the page-walk locking core.  Linked with an
 * mm/pagewalk.c (the minitree fixture, with or without the core inserted)
 * and the mock headers, it runs every mode against every lock state and
 * prints one line per case: the assertions that fired, the VMAs that
 * were write-locked (in order) and the ranges the callbacks saw.
 * tests/test_core.py compares that with the semantics table.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <linux/pagewalk.h>

static char events[4096];

void mock_event(const char *fmt, ...)
{
	char buf[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	strncat(events, buf, sizeof(events) - strlen(events) - 2);
	strcat(events, ";");
}

static int pmd_entry(void *pmd, unsigned long addr, unsigned long next,
		     struct mm_walk *walk)
{
	mock_event("PMD %lx-%lx", addr, next);
	return 0;
}

static int pte_hole(unsigned long addr, unsigned long next, int depth,
		    struct mm_walk *walk)
{
	mock_event("HOLE %lx-%lx", addr, next);
	return 0;
}

#ifdef BASELINE
#define OPS(mode) { .pmd_entry = pmd_entry, .pte_hole = pte_hole }
#else
#define OPS(mode) { .pmd_entry = pmd_entry, .pte_hole = pte_hole, \
		    .walk_lock = mode }
#endif

static const struct mm_walk_ops ops_by_mode[3] = {
	OPS(0), OPS(1), OPS(2),
};

static const char *const mode_names[3] = {
	"PGWALK_RDLOCK", "PGWALK_WRLOCK", "PGWALK_WRLOCK_VERIFY",
};

static const char *const lock_names[3] = { "none", "read", "write" };

/* One case: one walker, one mode, one lock state, VMAs write-locked or not. */
static void run_case(int mode, int lock, int prelocked, int walker)
{
	struct mm_struct mm;
	struct vm_area_struct vma[2];

	memset(vma, 0, sizeof(vma));
	vma[0] = (struct vm_area_struct){ 0x1000, 0x3000, 0, &mm,
					  &vma[1], 0, prelocked };
	vma[1] = (struct vm_area_struct){ 0x5000, 0x6000, 0, &mm,
					  NULL, 1, prelocked };
	mm.mmap = &vma[0];
	mm.lock = lock;
	events[0] = '\0';
	if (walker == 0)
		walk_page_range(&mm, 0, 0x8000, &ops_by_mode[mode], NULL);
	else if (walker == 1)
		walk_page_vma(&vma[1], &ops_by_mode[mode], NULL);
	else
		walk_page_range_vma(&vma[0], 0x1000, 0x2000,
				    &ops_by_mode[mode], NULL);
	printf("%s %s %d %s %s\n", mode_names[mode], lock_names[lock],
	       prelocked, walker == 0 ? "range" :
	       walker == 1 ? "vma" : "range_vma", events);
}

int main(void)
{
	int mode, lock, prelocked, walker;

	for (mode = 0; mode < 3; mode++)
		for (lock = 0; lock < 3; lock++)
			for (prelocked = 0; prelocked < 2; prelocked++)
				for (walker = 0; walker < 3; walker++)
					run_case(mode, lock, prelocked, walker);
	return 0;
}
