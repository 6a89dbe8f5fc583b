// SPDX-License-Identifier: GPL-2.0
/*
 * Lock census of page table walks, for the boot test only (never part of
 * the series): a kprobe on each walker records, at every walk, the ops
 * table and the lock context the walk really ran in, as lockdep sees it:
 *
 *  - the mmap lock: held for write, for read, or not held by this task;
 *  - on per-VMA lock trees, whether the walked VMAs were write-locked
 *    before the walk, and whether the walk runs under a per-VMA read lock.
 *
 * The kernel only counts: one slot per (table, walker, context, workload
 * step), with the call trace of the slot's first walk.  The host reads the
 * slots from /sys/kernel/debug/pgwalk_census/counts after the workload,
 * or from the console if the kernel panics (a panic notifier prints them
 * once).  The workload names its current step by writing it to
 * /sys/kernel/debug/pgwalk_census/step; walks by kernel threads are filed
 * under the thread's name instead.
 */
#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/kprobes.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/panic_notifier.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/stacktrace.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#define CENSUS_SLOTS	512
#define CENSUS_TRACE	12
#define CENSUS_STEP	24
#define CENSUS_LAST	8
#define CENSUS_LINE	1024

/*
 * The per-VMA lock layout the census knows (vm_lock_seq against the mm's
 * sequence, an rwsem in vm_lock) is that of 6.4 up to 6.12: the boot test
 * defines CENSUS_VMA_LOCKS for those trees.  Elsewhere the VMA columns
 * read "unknown" (or "n/a" without per-VMA locks).
 */
#if defined(CONFIG_PER_VMA_LOCK) && defined(CENSUS_VMA_LOCKS)
#define CENSUS_VMA 1
#else
#define CENSUS_VMA 0
#endif

/*
 * The walkers probed: the three that honour walk_lock, and those of the
 * kernel's own page tables that ignore it but assert the mmap lock
 * themselves (a table used only with them states that lock).  A kernel
 * without one of them has it unprobed, and says so.
 */
enum census_walker { WALK_RANGE, WALK_VMA, WALK_RANGE_VMA, WALK_NOVMA,
		     WALK_DEBUG, WALK_KERNEL };
static const char * const walker_name[] = { "range", "vma", "range_vma",
					    "novma", "debug", "kernel" };

enum census_mmap { MMAP_NONE, MMAP_READ, MMAP_WRITE };
static const char * const mmap_name[] = { "none", "read", "write" };

/* For a range walk, "some": only some of the VMAs in the range. */
enum census_vma { VMA_NA, VMA_UNKNOWN, VMA_NO, VMA_SOME, VMA_YES };
static const char * const vma_name[] = { "n/a", "unknown", "no", "some",
					  "yes" };

struct census_ctx {
	const void *ops;
	u8 walker;
	u8 mmap;
	u8 vma_write_locked;
	u8 vma_read_locked;
	/* Lockdep was off (a taint): mmap comes from the rwsem itself. */
	u8 lockdep;
	char step[CENSUS_STEP];
};

struct census_slot {
	struct census_ctx ctx;
	unsigned long count;
	pid_t pid;
	unsigned int nr_trace;
	unsigned long trace[CENSUS_TRACE];
};

/* The most recent walk of a few tasks: a panic names its walk by pid. */
struct census_last {
	pid_t pid;
	const void *ops;
	char step[CENSUS_STEP];
};

static DEFINE_RAW_SPINLOCK(census_lock);
static struct census_slot slots[CENSUS_SLOTS];
static struct census_last last[CENSUS_LAST];
static unsigned int nr_slots, last_next;
static unsigned long dropped;
static char census_step[CENSUS_STEP] = "boot";

static enum census_mmap mmap_context(struct mm_struct *mm, u8 *lockdep)
{
	struct rw_semaphore *sem = &mm->mmap_lock;
	unsigned long owner;

	*lockdep = debug_locks;
	if (debug_locks) {
		if (lockdep_is_held_type(sem, 0))
			return MMAP_WRITE;
		if (lockdep_is_held_type(sem, 1))
			return MMAP_READ;
		return MMAP_NONE;
	}
	/*
	 * Lockdep is off and would answer "held" to everything: ask the
	 * rwsem.  A writer owns it (owner is the task, count bit 0 set);
	 * readers cannot be told apart, so a read-held lock counts as ours.
	 */
	owner = atomic_long_read(&sem->owner) & ~7UL;
	if ((atomic_long_read(&sem->count) & 1) &&
	    owner == (unsigned long)current)
		return MMAP_WRITE;
	return rwsem_is_locked(sem) ? MMAP_READ : MMAP_NONE;
}

#if CENSUS_VMA
/*
 * Only the task holding the mmap lock for write can have write-locked a
 * VMA; for any other walk the answer is no.  (The sequence number is an
 * int up to 6.11 and unsigned since: no warning, the kernel builds with
 * -Wno-pointer-sign.)
 */
static bool vma_write_locked(struct vm_area_struct *vma, u8 mmap)
{
	unsigned int mm_lock_seq;

	return mmap == MMAP_WRITE && __is_vma_write_locked(vma, &mm_lock_seq);
}

static bool vma_read_locked(struct vm_area_struct *vma)
{
	return debug_locks && lockdep_is_held_type(&vma->vm_lock->lock, 1);
}

static u8 tally(unsigned int yes, unsigned int all)
{
	if (!all)
		return VMA_NA;
	return yes == all ? VMA_YES : yes ? VMA_SOME : VMA_NO;
}

static void vma_context(struct census_ctx *c, struct mm_struct *mm,
			struct vm_area_struct *vma, unsigned long start,
			unsigned long end)
{
	unsigned int all = 0, w = 0, r = 0;

	if (vma) {
		all = 1;
		w = vma_write_locked(vma, c->mmap);
		r = vma_read_locked(vma);
	} else if (c->mmap != MMAP_NONE) {
		VMA_ITERATOR(vmi, mm, start);

		/*
		 * The walker holds the mmap lock; RCU keeps the maple tree
		 * safe to read whatever lockdep thinks.
		 */
		rcu_read_lock();
		for_each_vma_range(vmi, vma, end) {
			all++;
			w += vma_write_locked(vma, c->mmap);
			r += vma_read_locked(vma);
		}
		rcu_read_unlock();
	}
	c->vma_write_locked = tally(w, all);
	c->vma_read_locked = debug_locks ? tally(r, all) : VMA_UNKNOWN;
}
#else
static void vma_context(struct census_ctx *c, struct mm_struct *mm,
			struct vm_area_struct *vma, unsigned long start,
			unsigned long end)
{
	u8 v = IS_ENABLED(CONFIG_PER_VMA_LOCK) ? VMA_UNKNOWN : VMA_NA;

	c->vma_write_locked = v;
	c->vma_read_locked = v;
}
#endif

static void record(struct pt_regs *regs, enum census_walker walker,
		   const void *ops, struct mm_struct *mm,
		   struct vm_area_struct *vma, unsigned long start,
		   unsigned long end)
{
	struct census_ctx c;
	struct census_slot *s = NULL;
	unsigned long flags;
	unsigned int i;

	memset(&c, 0, sizeof(c));
	c.ops = ops;
	c.walker = walker;
	c.mmap = mmap_context(mm, &c.lockdep);
	vma_context(&c, mm, vma, start, end);

	raw_spin_lock_irqsave(&census_lock, flags);
	if (current->flags & PF_KTHREAD)
		snprintf(c.step, sizeof(c.step), "[%s]", current->comm);
	else
		strscpy(c.step, census_step, sizeof(c.step));
	for (i = 0; i < nr_slots; i++) {
		if (!memcmp(&slots[i].ctx, &c, sizeof(c))) {
			s = &slots[i];
			break;
		}
	}
	if (!s && nr_slots < CENSUS_SLOTS) {
		s = &slots[nr_slots++];
		s->ctx = c;
		s->pid = task_pid_nr(current);
		/* From the probed walker down, not the kprobe's frames. */
		s->nr_trace = stack_trace_save_regs(regs, s->trace,
						    CENSUS_TRACE, 0);
	}
	if (s)
		s->count++;
	else
		dropped++;
	for (i = 0; i < CENSUS_LAST; i++)
		if (last[i].pid == task_pid_nr(current))
			break;
	if (i == CENSUS_LAST)
		i = last_next++ % CENSUS_LAST;
	last[i].pid = task_pid_nr(current);
	last[i].ops = ops;
	strscpy(last[i].step, c.step, sizeof(last[i].step));
	raw_spin_unlock_irqrestore(&census_lock, flags);
}

/* walk_page_range(mm, start, end, ops, private) */
static int pre_range(struct kprobe *p, struct pt_regs *regs)
{
	record(regs, WALK_RANGE, (void *)regs_get_kernel_argument(regs, 3),
	       (struct mm_struct *)regs_get_kernel_argument(regs, 0), NULL,
	       regs_get_kernel_argument(regs, 1),
	       regs_get_kernel_argument(regs, 2));
	return 0;
}

/* walk_page_vma(vma, ops, private) */
static int pre_vma(struct kprobe *p, struct pt_regs *regs)
{
	struct vm_area_struct *vma = (void *)regs_get_kernel_argument(regs, 0);

	record(regs, WALK_VMA, (void *)regs_get_kernel_argument(regs, 1),
	       vma->vm_mm, vma, 0, 0);
	return 0;
}

/* walk_page_range_vma(vma, start, end, ops, private) */
static int pre_range_vma(struct kprobe *p, struct pt_regs *regs)
{
	struct vm_area_struct *vma = (void *)regs_get_kernel_argument(regs, 0);

	record(regs, WALK_RANGE_VMA, (void *)regs_get_kernel_argument(regs, 3),
	       vma->vm_mm, vma, 0, 0);
	return 0;
}

/* walk_page_range_novma(mm, start, end, ops, pgd, private) */
static int pre_novma(struct kprobe *p, struct pt_regs *regs)
{
	record(regs, WALK_NOVMA, (void *)regs_get_kernel_argument(regs, 3),
	       (struct mm_struct *)regs_get_kernel_argument(regs, 0), NULL,
	       regs_get_kernel_argument(regs, 1),
	       regs_get_kernel_argument(regs, 2));
	return 0;
}

/* walk_page_range_debug(mm, start, end, ops, pgd, private) */
static int pre_debug(struct kprobe *p, struct pt_regs *regs)
{
	record(regs, WALK_DEBUG, (void *)regs_get_kernel_argument(regs, 3),
	       (struct mm_struct *)regs_get_kernel_argument(regs, 0), NULL,
	       regs_get_kernel_argument(regs, 1),
	       regs_get_kernel_argument(regs, 2));
	return 0;
}

/* walk_kernel_page_table_range(start, end, ops, pgd, private) */
static int pre_kernel(struct kprobe *p, struct pt_regs *regs)
{
	record(regs, WALK_KERNEL, (void *)regs_get_kernel_argument(regs, 2),
	       &init_mm, NULL, regs_get_kernel_argument(regs, 0),
	       regs_get_kernel_argument(regs, 1));
	return 0;
}

static struct kprobe probes[] = {
	{ .symbol_name = "walk_page_range", .pre_handler = pre_range },
	{ .symbol_name = "walk_page_vma", .pre_handler = pre_vma },
	{ .symbol_name = "walk_page_range_vma", .pre_handler = pre_range_vma },
	{ .symbol_name = "walk_page_range_novma", .pre_handler = pre_novma },
	{ .symbol_name = "walk_page_range_debug", .pre_handler = pre_debug },
	{ .symbol_name = "walk_kernel_page_table_range",
	  .pre_handler = pre_kernel },
};

static void format_slot(struct census_slot *s, char *buf, size_t size)
{
	size_t n;
	unsigned int i;

	n = scnprintf(buf, size,
		      "pgwalk-census: ops=%ps walker=%s mmap=%s vma_write_locked=%s vma_read_locked=%s lockdep=%s step=%s count=%lu pid=%d trace=",
		      s->ctx.ops, walker_name[s->ctx.walker],
		      mmap_name[s->ctx.mmap], vma_name[s->ctx.vma_write_locked],
		      vma_name[s->ctx.vma_read_locked],
		      s->ctx.lockdep ? "on" : "off", s->ctx.step, s->count,
		      s->pid);
	for (i = 0; i < s->nr_trace; i++)
		n += scnprintf(buf + n, size - n, "%s%pS", i ? "<" : "",
			       (void *)s->trace[i]);
}

static void format_last(struct census_last *l, char *buf, size_t size)
{
	scnprintf(buf, size, "pgwalk-census-last: pid=%d ops=%ps step=%s",
		  l->pid, l->ops, l->step);
}

static int counts_show(struct seq_file *m, void *v)
{
	static char buf[CENSUS_LINE];
	unsigned long flags;
	unsigned int i;

	raw_spin_lock_irqsave(&census_lock, flags);
	for (i = 0; i < nr_slots; i++) {
		format_slot(&slots[i], buf, sizeof(buf));
		seq_printf(m, "%s\n", buf);
	}
	for (i = 0; i < CENSUS_LAST; i++) {
		if (!last[i].pid)
			continue;
		format_last(&last[i], buf, sizeof(buf));
		seq_printf(m, "%s\n", buf);
	}
	seq_printf(m, "pgwalk-census-dropped: %lu\n", dropped);
	raw_spin_unlock_irqrestore(&census_lock, flags);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(counts);

static ssize_t step_write(struct file *file, const char __user *ubuf,
			  size_t len, loff_t *ppos)
{
	char step[CENSUS_STEP];
	size_t n = min(len, sizeof(step) - 1);
	unsigned long flags;

	if (copy_from_user(step, ubuf, n))
		return -EFAULT;
	step[n] = '\0';
	raw_spin_lock_irqsave(&census_lock, flags);
	strscpy(census_step, strim(step), sizeof(census_step));
	raw_spin_unlock_irqrestore(&census_lock, flags);
	return len;
}

static const struct file_operations step_fops = {
	.write = step_write,
};

/* On a panic the host cannot read debugfs: print the slots, once. */
static int census_panic(struct notifier_block *nb, unsigned long event,
			void *unused)
{
	static char buf[CENSUS_LINE];
	unsigned int i;

	/* The panicking CPU may hold the lock: print without it. */
	pr_emerg("pgwalk-census-begin\n");
	for (i = 0; i < READ_ONCE(nr_slots); i++) {
		format_slot(&slots[i], buf, sizeof(buf));
		pr_emerg("%s\n", buf);
	}
	for (i = 0; i < CENSUS_LAST; i++) {
		if (!last[i].pid)
			continue;
		format_last(&last[i], buf, sizeof(buf));
		pr_emerg("%s\n", buf);
	}
	pr_emerg("pgwalk-census-dropped: %lu\n", dropped);
	pr_emerg("pgwalk-census-end\n");
	return NOTIFY_DONE;
}

static struct notifier_block census_panic_nb = {
	.notifier_call = census_panic,
};

static int __init census_init(void)
{
	struct dentry *dir = debugfs_create_dir("pgwalk_census", NULL);
	unsigned int i;
	int err;

	debugfs_create_file("counts", 0444, dir, NULL, &counts_fops);
	debugfs_create_file("step", 0200, dir, NULL, &step_fops);
	atomic_notifier_chain_register(&panic_notifier_list, &census_panic_nb);
	for (i = 0; i < ARRAY_SIZE(probes); i++) {
		err = register_kprobe(&probes[i]);
		if (err == -ENOENT)
			pr_info("pgwalk-census: no %s in this kernel\n",
				probes[i].symbol_name);
		else if (err)
			pr_err("pgwalk-census: cannot probe %s: %d\n",
			       probes[i].symbol_name, err);
	}
	pr_info("pgwalk-census: ready (per-VMA lock columns: %s)\n",
		CENSUS_VMA ? "yes" :
		IS_ENABLED(CONFIG_PER_VMA_LOCK) ? "unknown layout" : "n/a");
	return 0;
}
late_initcall(census_init);
