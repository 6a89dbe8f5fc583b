// SPDX-License-Identifier: GPL-2.0
/*
 * Drive every page table walker the series converts that x86 can reach.
 *
 * Runs as a step list inside the boot test's initramfs.  Each step writes
 * "pgwalk-step: NAME" to /dev/kmsg first, so a splat in the console log
 * follows the marker of the step that caused it, and names itself to the
 * kernel's lock census, which files every walk under its step.  Whether a
 * walk really ran, and in which lock context, is not this program's word:
 * the census, counting in the kernel, says so.  A step that cannot run
 * here prints why.
 *
 *   workload            run every step
 *   workload STEP...    run these steps
 */
#define _GNU_SOURCE
#include <asm/mce.h>
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE	4096UL
#define NPAGES	64UL
#define LEN	(NPAGES * PAGE)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#ifndef MADV_COLD
#define MADV_COLD	20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif
#define MPOL_BIND	2
#define MPOL_MF_MOVE	(1 << 1)

#ifndef MADV_HWPOISON
#define MADV_HWPOISON	100
#endif

/* arch/x86/include/asm/mce.h: an action-required (SRAR) data load error. */
#define MCI_STATUS_VAL		(1ULL << 63)
#define MCI_STATUS_UC		(1ULL << 61)
#define MCI_STATUS_EN		(1ULL << 60)
#define MCI_STATUS_MISCV	(1ULL << 59)
#define MCI_STATUS_ADDRV	(1ULL << 58)
#define MCI_STATUS_S		(1ULL << 56)
#define MCI_STATUS_AR		(1ULL << 55)
#define MCACOD_DATA		0x134
#define MCI_MISC_ADDR_PHYS	2
#define MCG_STATUS_RIPV		(1ULL << 0)
#define MCG_STATUS_EIPV		(1ULL << 1)
#define MCG_STATUS_MCIP		(1ULL << 2)
#define MCG_STATUS_LMCES	(1ULL << 3)
#define MCJ_CTX_PROCESS		0x1
#define MCJ_EXCEPTION		0x8

/* lib/test_hmm_uapi.h */
struct hmm_dmirror_cmd {
	uint64_t addr;
	uint64_t ptr;
	uint64_t npages;
	uint64_t cpages;
	uint64_t faults;
};
#define HMM_DMIRROR_READ		_IOWR('H', 0x00, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_MIGRATE_TO_DEV	_IOWR('H', 0x02, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_MIGRATE_TO_SYS	_IOWR('H', 0x03, struct hmm_dmirror_cmd)

/* include/uapi/linux/fs.h since 6.7: the PAGEMAP_SCAN ioctl. */
struct pm_scan_arg {
	uint64_t size;
	uint64_t flags;
	uint64_t start;
	uint64_t end;
	uint64_t walk_end;
	uint64_t vec;
	uint64_t vec_len;
	uint64_t max_pages;
	uint64_t category_inverted;
	uint64_t category_mask;
	uint64_t category_anyof_mask;
	uint64_t return_mask;
};

struct page_region {
	uint64_t start;
	uint64_t end;
	uint64_t categories;
};
#define PAGEMAP_SCAN		_IOWR('f', 16, struct pm_scan_arg)
#define PAGE_IS_PRESENT		(1 << 3)

#define CENSUS_STEP	"/sys/kernel/debug/pgwalk_census/step"

static int failures;

static void say(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int fd;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("%s\n", buf);
	fflush(stdout);
	/* In the kernel log, in order with what the kernel prints. */
	fd = open("/dev/kmsg", O_WRONLY);
	if (fd >= 0) {
		dprintf(fd, "%s\n", buf);
		close(fd);
	}
}

static void fail(const char *step, const char *what)
{
	say("pgwalk-step-failed: %s: %s: %s", step, what, strerror(errno));
	failures++;
}

static char *anon(unsigned long len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0x5a, len);
	return p;
}

static int write_file(const char *path, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int fd, n, ret;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ret = write(fd, buf, n) == n ? 0 : -1;
	close(fd);
	return ret;
}

static long read_file(const char *path, char *buf, size_t size)
{
	long n, total = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf + total, size - 1 - total)) > 0)
		total += n;
	close(fd);
	buf[total] = '\0';
	return total;
}

/* Read a whole /proc file, discarding it: the read is the walk. */
static int slurp(const char *path)
{
	static char buf[1 << 16];
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	return 0;
}

static void step_smaps(const char *s)
{
	char *p = anon(LEN);

	if (!p || slurp("/proc/self/smaps") || slurp("/proc/self/smaps_rollup"))
		fail(s, "read smaps");
}

/*
 * smaps_shmem_walk_ops: a private writable mapping of a shmem file some
 * of whose pages are in swap (smap_gather_stats()).
 */
static void step_smaps_shmem(const char *s)
{
	char *shared, *priv;
	int fd = open("/tmp/pgwalk-shmem", O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || ftruncate(fd, LEN)) {
		fail(s, "tmpfs file");
		return;
	}
	shared = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (shared == MAP_FAILED) {
		fail(s, "mmap shared");
		return;
	}
	memset(shared, 0x33, LEN);
	if (madvise(shared, LEN, MADV_PAGEOUT))
		fail(s, "MADV_PAGEOUT of shmem");
	munmap(shared, LEN);
	priv = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (priv == MAP_FAILED || slurp("/proc/self/smaps"))
		fail(s, "smaps of private shmem mapping");
	close(fd);
}

static void step_pagemap(const char *s)
{
	uint64_t entries[NPAGES];
	char *p = anon(LEN);
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (!p || fd < 0 || pread(fd, entries, sizeof(entries),
				  (uintptr_t)p / PAGE * 8) != sizeof(entries))
		fail(s, "read pagemap");
	if (fd >= 0)
		close(fd);
}

/* pagemap_scan_ops: the PAGEMAP_SCAN ioctl (6.7 on). */
static void step_pagemap_scan(const char *s)
{
	struct page_region regions[NPAGES];
	struct pm_scan_arg arg;
	char *p = anon(LEN);
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (!p || fd < 0) {
		fail(s, "open pagemap");
		return;
	}
	memset(&arg, 0, sizeof(arg));
	arg.size = sizeof(arg);
	arg.start = (uintptr_t)p;
	arg.end = (uintptr_t)p + LEN;
	arg.vec = (uintptr_t)regions;
	arg.vec_len = NPAGES;
	arg.category_anyof_mask = PAGE_IS_PRESENT;
	arg.return_mask = PAGE_IS_PRESENT;
	if (ioctl(fd, PAGEMAP_SCAN, &arg) < 0) {
		if (errno == ENOTTY || errno == EINVAL)
			say("pgwalk-step-skipped: %s: no PAGEMAP_SCAN in this kernel",
			    s);
		else
			fail(s, "PAGEMAP_SCAN");
	}
	close(fd);
}

static void step_numa_maps(const char *s)
{
	if (!anon(LEN) || slurp("/proc/self/numa_maps"))
		fail(s, "read numa_maps");
}

static void step_clear_refs(const char *s)
{
	static const char * const values[] = { "1", "2", "3", "4", "5" };
	unsigned int i;

	if (!anon(LEN))
		fail(s, "mmap");
	for (i = 0; i < ARRAY_SIZE(values); i++)
		if (write_file("/proc/self/clear_refs", "%s", values[i]))
			fail(s, values[i]);
}

static void step_mincore(const char *s)
{
	unsigned char vec[NPAGES];
	char *p = anon(LEN);

	if (!p || mincore(p, LEN, vec))
		fail(s, "mincore");
}

static void step_mlock(const char *s)
{
	char *p = anon(LEN);

	if (!p || mlock(p, LEN) || munlock(p, LEN))
		fail(s, "mlock/munlock");
	if (mlockall(MCL_CURRENT) || munlockall())
		fail(s, "mlockall/munlockall");
}

static void step_madvise(const char *s)
{
	char *p = anon(LEN);

	if (!p) {
		fail(s, "mmap");
		return;
	}
	if (madvise(p, LEN, MADV_COLD))
		fail(s, "MADV_COLD");
	if (madvise(p, LEN, MADV_PAGEOUT))
		fail(s, "MADV_PAGEOUT");
	/* Now in swap: WILLNEED reads it back through swapin_walk_ops. */
	if (madvise(p, LEN, MADV_WILLNEED))
		fail(s, "MADV_WILLNEED");
	memset(p, 1, LEN);
	if (madvise(p, LEN, MADV_FREE))
		fail(s, "MADV_FREE");
}

/* mbind(MPOL_MF_MOVE) holds the mmap lock for write: the lock_vma twin. */
static void step_mbind(const char *s)
{
	unsigned long node1 = 1UL << 1;
	char *p = anon(LEN);

	if (!p || syscall(SYS_mbind, p, LEN, MPOL_BIND, &node1,
			  8 * sizeof(node1), MPOL_MF_MOVE))
		fail(s, "mbind MPOL_MF_MOVE to node 1");
}

/* migrate_pages() holds it for read: the read table. */
static void step_migrate_pages(const char *s)
{
	unsigned long node0 = 1UL << 0, node1 = 1UL << 1;
	char *p = anon(LEN);

	if (!p || syscall(SYS_migrate_pages, 0, 8 * sizeof(node0), &node0,
			  &node1) < 0)
		fail(s, "migrate_pages node 0 -> 1");
}

/*
 * prot_none_walk_ops: mprotect(PROT_NONE) of a PFN mapping, on a CPU with
 * the L1TF bug (arch_has_pfn_modify_check()).
 */
static void step_mprotect(const char *s)
{
	char buf[128] = "";
	char *p;
	int fd;

	read_file("/sys/devices/system/cpu/vulnerabilities/l1tf", buf,
		  sizeof(buf));
	if (!strncmp(buf, "Not affected", 12)) {
		say("pgwalk-step-skipped: %s: this CPU is not affected by L1TF, so mprotect() does not walk PFN mappings",
		    s);
		return;
	}
	fd = open("/dev/mem", O_RDONLY);
	p = fd < 0 ? MAP_FAILED : mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || mprotect(p, PAGE, PROT_NONE))
		fail(s, "mprotect PROT_NONE of /dev/mem");
	if (fd >= 0)
		close(fd);
}

static long ksm_value(const char *name)
{
	char path[128], buf[64];

	snprintf(path, sizeof(path), "/sys/kernel/mm/ksm/%s", name);
	return read_file(path, buf, sizeof(buf)) > 0 ? atol(buf) : -1;
}

static void step_ksm(const char *s)
{
	char *p = anon(LEN);
	int i;

	if (!p || write_file("/sys/kernel/mm/ksm/pages_to_scan", "1000") ||
	    write_file("/sys/kernel/mm/ksm/sleep_millisecs", "10") ||
	    write_file("/sys/kernel/mm/ksm/run", "1") ||
	    madvise(p, LEN, MADV_MERGEABLE)) {
		fail(s, "start KSM");
		return;
	}
	for (i = 0; i < 100 && ksm_value("pages_sharing") <= 0; i++)
		usleep(100000);
	if (ksm_value("pages_sharing") <= 0)
		fail(s, "no page merged in 10 s");
	if (madvise(p, LEN, MADV_UNMERGEABLE))
		fail(s, "MADV_UNMERGEABLE");
	write_file("/sys/kernel/mm/ksm/run", "2");
}

static void step_damon(const char *s)
{
	const char *dir = "/sys/kernel/debug/damon";
	char path[128];

	if (!anon(LEN)) {
		fail(s, "mmap");
		return;
	}
	snprintf(path, sizeof(path), "%s/attrs", dir);
	if (write_file(path, "5000 20000 1000000 10 1000")) {
		fail(s, "DAMON attrs");
		return;
	}
	snprintf(path, sizeof(path), "%s/target_ids", dir);
	if (write_file(path, "%d", getpid())) {
		fail(s, "DAMON target_ids");
		return;
	}
	/* monitor_on_DEPRECATED since 6.9. */
	snprintf(path, sizeof(path), "%s/monitor_on", dir);
	if (access(path, W_OK))
		snprintf(path, sizeof(path), "%s/monitor_on_DEPRECATED", dir);
	if (write_file(path, "on")) {
		fail(s, "DAMON monitor_on");
		return;
	}
	sleep(1);
	write_file(path, "off");
}

/* Cgroup v1 charge moving walks the mm of the task that moves. */
static void step_memcg_move(const char *s)
{
	const char *cg = "/sys/fs/cgroup/memory/pgwalk";

	if (!anon(LEN)) {
		fail(s, "mmap");
		return;
	}
	mkdir(cg, 0755);
	if (write_file("/sys/fs/cgroup/memory/pgwalk/memory.move_charge_at_immigrate",
		       "3") ||
	    write_file("/sys/fs/cgroup/memory/pgwalk/cgroup.procs", "%d",
		       getpid()))
		fail(s, "move into a memcg with move_charge_at_immigrate");
}

/*
 * Multi-gen LRU aging with force_scan walks the page tables of the mms on
 * the memcg's list: "+ memcg_id node_id max_seq can_swap force_scan".
 */
static void step_lru_gen(const char *s)
{
	static char buf[1 << 16];
	unsigned long seq, max_seq = 0;
	int memcg = -1, node = -1, sent = 0;
	char *line, *save;

	if (!anon(LEN) || read_file("/sys/kernel/debug/lru_gen", buf,
				    sizeof(buf)) <= 0) {
		fail(s, "read lru_gen");
		return;
	}
	for (line = strtok_r(buf, "\n", &save); ; line = strtok_r(NULL, "\n",
								   &save)) {
		/* A node's generations end at the next memcg, node or EOF. */
		if ((!line || strstr(line, "memcg") || strstr(line, "node")) &&
		    memcg >= 0 && node >= 0 && max_seq) {
			if (!write_file("/sys/kernel/debug/lru_gen",
					"+ %d %d %lu 1 1", memcg, node, max_seq))
				sent++;
			max_seq = 0;
		}
		if (!line)
			break;
		if (sscanf(line, "memcg %d", &memcg) == 1)
			node = -1;
		else if (sscanf(line, " node %d", &node) == 1)
			max_seq = 0;
		else if (sscanf(line, " %lu", &seq) == 1 && seq > max_seq)
			max_seq = seq;
	}
	if (!sent)
		fail(s, "no aging command accepted");
}

static void step_hmm(const char *s)
{
	struct hmm_dmirror_cmd cmd;
	char *p = anon(LEN), *mirror = malloc(LEN);
	int fd = open("/dev/hmm_dmirror0", O_RDWR);

	if (!p || !mirror || fd < 0) {
		fail(s, "open /dev/hmm_dmirror0");
		return;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.addr = (uintptr_t)p;
	cmd.ptr = (uintptr_t)mirror;
	cmd.npages = NPAGES;
	/* hmm_range_fault(): hmm_walk_ops. */
	if (ioctl(fd, HMM_DMIRROR_READ, &cmd))
		fail(s, "HMM_DMIRROR_READ");
	/* migrate_vma_setup(): migrate_vma_walk_ops, both ways. */
	cmd.cpages = cmd.faults = 0;
	if (ioctl(fd, HMM_DMIRROR_MIGRATE_TO_DEV, &cmd))
		fail(s, "HMM_DMIRROR_MIGRATE_TO_DEV");
	cmd.cpages = cmd.faults = 0;
	if (ioctl(fd, HMM_DMIRROR_MIGRATE_TO_SYS, &cmd))
		fail(s, "HMM_DMIRROR_MIGRATE_TO_SYS");
	close(fd);
}

/*
 * hwp_walk_ops: memory_failure() walks the mm of the task that consumed
 * an already poisoned page (MF_ACTION_REQUIRED, from a machine check).
 * Poison a page with MADV_HWPOISON, then have mce-inject raise the
 * action-required machine check for it in this task, through
 * /dev/mcelog: the task work on the way back to user space does the walk
 * and sends this process SIGBUS.  Newer kernels (6.12) already send
 * SIGBUS for MADV_HWPOISON itself; a handler counts the signals, so the
 * step lives on to the machine check and ends when its SIGBUS came.
 */
static volatile sig_atomic_t sigbus_count;

static void count_sigbus(int sig)
{
	sigbus_count++;
}

static void step_hwpoison(const char *s)
{
	struct mce m;
	uint64_t entry;
	cpu_set_t cpu0;
	struct sigaction sa;
	char *p = anon(PAGE);
	int fd, before;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = count_sigbus;
	if (sigaction(SIGBUS, &sa, NULL)) {
		fail(s, "SIGBUS handler");
		return;
	}
	/* The injected record is per CPU: inject on the one we run on. */
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	fd = open("/proc/self/pagemap", O_RDONLY);
	if (!p || sched_setaffinity(0, sizeof(cpu0), &cpu0) || fd < 0 ||
	    pread(fd, &entry, sizeof(entry), (uintptr_t)p / PAGE * 8) !=
	    sizeof(entry) || !(entry >> 63)) {
		fail(s, "pin to CPU 0 and find the page frame");
		return;
	}
	close(fd);
	if (madvise(p, PAGE, MADV_HWPOISON)) {
		fail(s, "MADV_HWPOISON");
		return;
	}
	before = sigbus_count;
	memset(&m, 0, sizeof(m));
	m.status = MCI_STATUS_VAL | MCI_STATUS_UC | MCI_STATUS_EN |
		   MCI_STATUS_MISCV | MCI_STATUS_ADDRV | MCI_STATUS_S |
		   MCI_STATUS_AR | MCACOD_DATA;
	m.misc = (MCI_MISC_ADDR_PHYS << 6) | 12;
	m.addr = (entry & ((1ULL << 55) - 1)) * PAGE;
	/*
	 * Restart IP valid: recoverable, so memory_failure() is asked to
	 * handle it (kill_me_maybe()) instead of a plain SIGBUS.
	 */
	m.mcgstatus = MCG_STATUS_MCIP | MCG_STATUS_RIPV | MCG_STATUS_EIPV |
		      MCG_STATUS_LMCES;
	m.ip = (uintptr_t)p;
	m.cs = 0x33;		/* __USER_CS: the error hit user space */
	m.bank = 1;
	m.inject_flags = MCJ_CTX_PROCESS | MCJ_EXCEPTION;
	fd = open("/dev/mcelog", O_WRONLY);
	if (fd < 0 || write(fd, &m, sizeof(m)) != sizeof(m)) {
		fail(s, "inject a machine check through /dev/mcelog");
		return;
	}
	if (sigbus_count == before)
		fail(s, "no SIGBUS for the machine check");
}

static const struct {
	const char *name;
	void (*run)(const char *name);
	int expected_signal;
} steps[] = {
	{ "smaps", step_smaps },
	{ "smaps_shmem", step_smaps_shmem },
	{ "pagemap", step_pagemap },
	{ "pagemap_scan", step_pagemap_scan },
	{ "numa_maps", step_numa_maps },
	{ "clear_refs", step_clear_refs },
	{ "mincore", step_mincore },
	{ "mlock", step_mlock },
	{ "madvise", step_madvise },
	{ "mbind", step_mbind },
	{ "migrate_pages", step_migrate_pages },
	{ "mprotect", step_mprotect },
	{ "ksm", step_ksm },
	{ "damon", step_damon },
	{ "memcg_move", step_memcg_move },
	{ "lru_gen", step_lru_gen },
	{ "hmm", step_hmm },
	/*
	 * Last: the machine check taints the kernel, which turns lockdep
	 * off for what follows.
	 */
	{ "hwpoison", step_hwpoison },
};

int main(int argc, char **argv)
{
	unsigned int i;
	int j, status;
	pid_t pid;

	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		int wanted = argc < 2;

		for (j = 1; j < argc; j++)
			wanted |= !strcmp(argv[j], steps[i].name);
		if (!wanted)
			continue;
		/*
		 * Each step in a child of its own: a fresh mm, and a crash
		 * in one step does not hide the others.
		 */
		say("pgwalk-step: %s", steps[i].name);
		/* No census (a kernel without it): nothing to name. */
		write_file(CENSUS_STEP, "%s", steps[i].name);
		pid = fork();
		if (pid == 0) {
			/* The child counts its own step's failures only. */
			failures = 0;
			steps[i].run(steps[i].name);
			exit(failures ? 1 : 0);
		}
		status = 0;
		waitpid(pid, &status, 0);
		if (steps[i].expected_signal ?
		    !(WIFSIGNALED(status) &&
		      WTERMSIG(status) == steps[i].expected_signal) :
		    !WIFEXITED(status) || WEXITSTATUS(status)) {
			say("pgwalk-step-failed: %s: exit status %#x",
			    steps[i].name, status);
			failures++;
		}
	}
	say("pgwalk-workload-done: %d failed steps", failures);
	return failures ? 1 : 0;
}
