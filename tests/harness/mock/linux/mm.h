/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Mock of the kernel's mm.h for the userspace harness: the mmap lock and
 * the per-VMA write lock are plain state, and each assertion records
 * that it fired instead of BUG()ing, so a test can see which one did.
 */
#ifndef _MOCK_LINUX_MM_H
#define _MOCK_LINUX_MM_H

#include <stddef.h>
#include <errno.h>

enum mock_mmap_state { MMAP_NONE, MMAP_READ, MMAP_WRITE };

struct mm_struct;

struct vm_area_struct {
	unsigned long vm_start;
	unsigned long vm_end;
	unsigned long vm_flags;
	struct mm_struct *vm_mm;
	struct vm_area_struct *vm_next;
	int id;
	int write_locked;
};

struct mm_struct {
	struct vm_area_struct *mmap;
	enum mock_mmap_state lock;
};

/* What happened during a walk, in order: see harness.c. */
void mock_event(const char *fmt, ...);

static inline void mmap_assert_locked(struct mm_struct *mm)
{
	if (mm->lock == MMAP_NONE)
		mock_event("FIRED %s", __func__);
}

static inline void mmap_assert_write_locked(struct mm_struct *mm)
{
	if (mm->lock != MMAP_WRITE)
		mock_event("FIRED %s", __func__);
}

static inline void vma_start_write(struct vm_area_struct *vma)
{
	/* The kernel's vma_start_write() asserts the mmap write lock too. */
	if (vma->vm_mm->lock != MMAP_WRITE)
		mock_event("FIRED %s without mmap write lock", __func__);
	vma->write_locked = 1;
	mock_event("LOCK vma%d", vma->id);
}

static inline void vma_assert_write_locked(struct vm_area_struct *vma)
{
	if (!vma->write_locked)
		mock_event("FIRED %s vma%d", __func__, vma->id);
}

static inline struct vm_area_struct *find_vma(struct mm_struct *mm,
					      unsigned long addr)
{
	struct vm_area_struct *vma;

	for (vma = mm->mmap; vma; vma = vma->vm_next)
		if (addr < vma->vm_end)
			return vma;
	return NULL;
}

#define min(a, b) ((a) < (b) ? (a) : (b))

#endif
