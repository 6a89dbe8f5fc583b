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
/*
 * core.py puts the kernel-doc true for the tree here: what each mode
 * requires of the caller and does to each VMA on that tree, written by
 * scripts/pgwalk/series/modewords.py from the contract of its walker.
 */
enum page_walk_lock {
	PGWALK_RDLOCK = 0,
	PGWALK_WRLOCK = 1,
	PGWALK_WRLOCK_VERIFY = 2,
};
/* pgwalk: end */

/*
 * pgwalk: member, appended to struct mm_walk_ops, with this kernel-doc line:
 * @walk_lock:		locking rule of the walk, see enum page_walk_lock
 */
#define PGWALK_REFERENCE_MEMBER	enum page_walk_lock walk_lock

#endif /* _PGWALK_REFERENCE_PAGEWALK_H */
