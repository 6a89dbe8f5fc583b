/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hand-written core of the series, header half: what the first patch
 * adds to include/linux/pagewalk.h.  scripts/pgwalk/core.py takes each
 * block between a "pgwalk:" marker and "pgwalk: end" from here and
 * semantic-patches/core-pagewalk-h.cocci inserts it, so this file is the
 * only copy of the code.  It compiles on its own so that the userspace
 * harness in tests/harness/ can use it.
 */
#ifndef _PGWALK_REFERENCE_PAGEWALK_H
#define _PGWALK_REFERENCE_PAGEWALK_H

/* pgwalk: enum, inserted before struct mm_walk_ops */
/**
 * enum page_walk_lock - locking rule of a page table walk
 * @PGWALK_RDLOCK: the mmap lock must be held, for read or for write; the
 *	walk does not touch VMA locks.  This is the default (0), the rule
 *	every walk had before the rule was made explicit.
 * @PGWALK_WRLOCK: the mmap lock must be held for write; the walker
 *	write-locks each VMA before walking it.
 * @PGWALK_WRLOCK_VERIFY: the mmap lock must be held for write and the
 *	caller has already write-locked each VMA the walk visits; the walker
 *	only asserts it.
 */
enum page_walk_lock {
	PGWALK_RDLOCK = 0,
	PGWALK_WRLOCK = 1,
	PGWALK_WRLOCK_VERIFY = 2,
};
/* pgwalk: end */

/*
 * The kernel-doc of the enum on a tree without per-VMA locks: there the
 * modes differ only in the mmap lock they assert, and the text says so
 * rather than describe VMA locks the tree does not have.  core.py puts it
 * in place of the comment above; the enum itself is the one copy above.
 */
/* pgwalk: enum doc without per vma locks */
/**
 * enum page_walk_lock - locking rule of a page table walk
 * @PGWALK_RDLOCK: the mmap lock must be held, for read or for write.  This
 *	is the default (0), the rule every walk had before the rule was made
 *	explicit.
 * @PGWALK_WRLOCK: the walk may change page tables: the mmap lock must be
 *	held for write.
 * @PGWALK_WRLOCK_VERIFY: the mmap lock must be held for write, and the
 *	caller has already changed the VMAs the walk visits under it.
 *
 * Without per-VMA locks the two write modes check the same thing; they
 * are kept apart because a kernel with per-VMA locks treats them
 * differently, and the mode of each walk stays right there.
 */
/* pgwalk: end */

/*
 * pgwalk: member, appended to struct mm_walk_ops, with this kernel-doc line:
 * @walk_lock:		locking rule of the walk, see enum page_walk_lock
 */
#define PGWALK_REFERENCE_MEMBER	enum page_walk_lock walk_lock

#endif /* _PGWALK_REFERENCE_PAGEWALK_H */
