#!/bin/busybox sh
# PID 1 of the boot test's initramfs: set up what the walkers need, count
# every walk by ops table with kprobe histograms, run the workload, print
# the histograms between markers the host parses, and end the VM.
/bin/busybox --install -s /bin
export PATH=/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
mkdir -p /sys/fs/cgroup/memory 2>/dev/null ||
	mount -t tmpfs cgroup /sys/fs/cgroup
mkdir -p /sys/fs/cgroup/memory
mount -t cgroup -o memory memory /sys/fs/cgroup/memory

# Swap on a RAM disk: MADV_PAGEOUT, MADV_WILLNEED and shmem in swap.
mkswap /dev/ram0 >/dev/null && swapon /dev/ram0

# One kprobe per walker; the ops table is the argument that names the
# walk.  x86_64 passes arguments in di, si, dx, cx, r8.
t=/sys/kernel/tracing
echo 'p:pgwalk/range walk_page_range ops=%cx:x64' >> $t/kprobe_events
echo 'p:pgwalk/vma walk_page_vma ops=%si:x64' >> $t/kprobe_events
echo 'p:pgwalk/range_vma walk_page_range_vma ops=%cx:x64' >> $t/kprobe_events
for e in range vma range_vma; do
	echo 'hist:keys=ops.sym:size=256' > $t/events/pgwalk/$e/trigger
done
echo "pgwalk-init: tracing ready"

/workload
echo "pgwalk-init: workload exit status $?"
# ksmd and kdamond walk in their own time: let them finish.
sleep 1

echo "pgwalk-hist-begin"
cat $t/events/pgwalk/range/hist $t/events/pgwalk/vma/hist \
	$t/events/pgwalk/range_vma/hist
echo "pgwalk-hist-end"
echo "pgwalk-init: done"
# No ACPI in this kernel: a halt would not end QEMU, a reboot does
# (-no-reboot).
reboot -f
