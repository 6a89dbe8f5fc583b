// SPDX-License-Identifier: GPL-2.0
/*
 * The hand-written core of the series, walker half: what the first patch
 * adds to mm/pagewalk.c.  semantic-patches/core-pagewalk-c.cocci inserts
 * these helpers before walk_page_range() and calls them where the walkers
 * asserted the mmap lock; scripts/pgwalk/core.py takes each block between
 * a "pgwalk:" marker and "pgwalk: end" from here.
 *
 * Order matters: the mmap lock is checked before any VMA is write-locked,
 * so a VMA is never write-locked without the mmap lock held for write.
 */

/* pgwalk: mm helper, for every tree */
/*
 * Assert the mmap lock the caller must hold for the walk's mode: held, for
 * read or for write, under PGWALK_RDLOCK; held for write under the others.
 */
static void process_mm_walk_lock(struct mm_struct *mm,
				 enum page_walk_lock walk_lock)
{
	if (walk_lock == PGWALK_RDLOCK)
		mmap_assert_locked(mm);
	else
		mmap_assert_write_locked(mm);
}
/* pgwalk: end */

/* pgwalk: vma helper, only for trees with per-VMA locks */
/*
 * Do to the VMA what the walk's mode says: write-lock it under
 * PGWALK_WRLOCK, assert that it is write-locked under PGWALK_WRLOCK_VERIFY.
 * Called after process_mm_walk_lock(), which has asserted the mmap write
 * lock that vma_start_write() requires.
 */
static void process_vma_walk_lock(struct vm_area_struct *vma,
				  enum page_walk_lock walk_lock)
{
	switch (walk_lock) {
	case PGWALK_WRLOCK:
		vma_start_write(vma);
		break;
	case PGWALK_WRLOCK_VERIFY:
		vma_assert_write_locked(vma);
		break;
	case PGWALK_RDLOCK:
		/* PGWALK_RDLOCK is handled by process_mm_walk_lock() */
		break;
	}
}
/* pgwalk: end */
