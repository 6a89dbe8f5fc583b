#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# busybox's ash; shellcheck knows its POSIX subset as dash.
# shellcheck shell=dash
# PID 1 of the boot test's initramfs: set up what the walkers need, run
# the workload, print the lock census between markers the host parses,
# and end the VM.
/bin/busybox --install -s /bin
export PATH=/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug
mkdir -p /sys/fs/cgroup/memory 2>/dev/null ||
	mount -t tmpfs cgroup /sys/fs/cgroup
mkdir -p /sys/fs/cgroup/memory
mount -t cgroup -o memory memory /sys/fs/cgroup/memory

# Swap on a RAM disk: MADV_PAGEOUT, MADV_WILLNEED and shmem in swap.
mkswap /dev/ram0 >/dev/null && swapon /dev/ram0

# The lock census counts every walk in the kernel (scripts/boot/census/);
# without it there is nothing to prove.
census=/sys/kernel/debug/pgwalk_census
if [ -e $census/counts ]; then
	echo "pgwalk-init: census ready"
else
	echo "pgwalk-init: no census in this kernel"
fi

/workload
# Walks after the workload (kernel threads) are not its steps.
[ -e $census/step ] && echo idle > $census/step
echo "pgwalk-init: workload exit status $?"
# ksmd and kdamond walk in their own time: let them finish.
sleep 1

echo "pgwalk-census-begin"
cat $census/counts
echo "pgwalk-census-end"
echo "pgwalk-init: done"
# No ACPI in this kernel: a halt would not end QEMU, a reboot does
# (-no-reboot).
reboot -f
