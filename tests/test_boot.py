"""boot-test: the modes hold at run time, and a wrong mode is caught.

Unit tests feed the console parser logs it must judge.  The real tests boot
the 6.1 series under QEMU (every x86-reachable table walked, no splat),
then pin a read-context table (pagemap_ops) to PGWALK_WRLOCK_VERIFY in a
decisions file, regenerate, and watch the boot test fail naming it.
"""

import json
import os
import subprocess

import pytest

from conftest import REPO, run_apply
from pgwalk import boottest

BOOT_TEST = os.path.join(REPO, "scripts", "boot-test.sh")

TABLES = {"pagemap_ops": {"file": "fs/proc/task_mmu.c",
                          "mode": "PGWALK_RDLOCK"},
          "mlock_walk_ops": {"file": "mm/mlock.c",
                             "mode": "PGWALK_WRLOCK_VERIFY"},
          "gather_pages_ops": {"file": "arch/s390/mm/gmap.c",
                               "mode": "PGWALK_RDLOCK"}}
USERS = {"pagemap_read": {"pagemap_ops"},
         "mlock_vma_pages_range": {"mlock_walk_ops"}}
HIST = """pgwalk-hist-begin
# event histogram
{ ops: [ffffffff8242a0c0] pagemap_ops                               } hitcount:          3
{ ops: [ffffffff8242a1c0] mlock_walk_ops.36                         } hitcount:         12
Totals:
pgwalk-hist-end
pgwalk-init: done
"""
WARNING = """[    1.0] WARNING: workqueue cpumask: online intersect > possible intersect
[    5.1] pgwalk-step: pagemap
[    5.2] ------------[ cut here ]------------
[    5.2] WARNING: CPU: 1 PID: 80 at include/linux/mmap_lock.h:71 walk_page_range+0x1a/0x90
[    5.2] Call Trace:
[    5.2]  <TASK>
[    5.2]  walk_page_range+0x1a/0x90
[    5.2]  pagemap_read+0x1c5/0x300
[    5.2]  vfs_read+0xa0/0x2c0
"""


def test_console_with_every_walk_and_no_splat_passes():
    res = boottest.parse_console(HIST, TABLES, USERS)
    assert res["counts"] == {"pagemap_ops": 3, "mlock_walk_ops": 12}
    assert res["done"] and res["splat"] is None
    skip = boottest.not_exercised(TABLES)
    assert "s390" in skip["gather_pages_ops"]
    rows, problems = boottest.verdict(TABLES, skip, res, None)
    assert problems == []
    assert {r["table"]: r["status"] for r in rows} == {
        "pagemap_ops": "reached", "mlock_walk_ops": "reached",
        "gather_pages_ops": "not exercised"}


def test_walker_not_reached_fails():
    res = boottest.parse_console(HIST.replace("mlock_walk_ops", "other"),
                                 TABLES, USERS)
    _rows, problems = boottest.verdict(TABLES, {}, res, None)
    assert any("mlock_walk_ops" in p and "not walked" in p for p in problems)


def test_splat_fails_and_names_the_walker():
    res = boottest.parse_console(WARNING + HIST, TABLES, USERS)
    assert res["splat"]["walker"] == "pagemap_ops"
    assert res["splat"]["step"] == "pagemap"
    _rows, problems = boottest.verdict(TABLES, {}, res, None)
    assert problems[0].startswith("WARNING: CPU: 1")
    assert "walker pagemap_ops (mode PGWALK_RDLOCK)" in problems[0]


def test_kernel_that_does_not_finish_fails():
    res = boottest.parse_console("[ 0.0] Linux version 6.1\n", TABLES,
                                 USERS)
    res["status"] = "timeout after 600 s"
    _rows, problems = boottest.verdict(TABLES, {}, res, None)
    assert "did not finish the workload (timeout after 600 s)" in problems[0]


def test_initramfs_is_newc_with_a_console_node():
    data = boottest.cpio_newc([("dev/console", 0o20600, b"", (5, 1)),
                               ("init", 0o100755, b"#!/bin/sh\n", (0, 0))])
    assert data.startswith(b"070701")
    assert b"dev/console\0" in data and b"TRAILER!!!\0" in data
    # Header fields are 8 hex digits; mode of the first entry.
    assert int(data[14:22], 16) == 0o20600
    assert len(data) % 4 == 0


# ------------------------------------------------------------ real boots

def boot(tree, out, *extra):
    return subprocess.run([BOOT_TEST, "--out", str(out), *extra, tree],
                          capture_output=True, text=True)


def test_series_boots_with_every_x86_walker_reached(real_series, tmp_path):
    r = boot(real_series["tree"], tmp_path / "boot")
    report = json.load(open(tmp_path / "boot" / "boot-report.json"))
    assert r.returncode == 0, r.stderr[-4000:]
    status = {t["table"]: t["status"] for t in report["tables"]}
    assert "NOT REACHED" not in status.values()
    assert status["queue_pages_lock_vma_walk_ops"] == "reached"
    assert status["mlock_walk_ops"] == "reached"
    assert status["gather_pages_ops"] == "not exercised"
    assert report["series"]["splat"] is None
    assert report["baseline"] is not None


def test_wrong_pinned_mode_fails_naming_the_walker(real_series, tmp_path):
    tree = real_series["tree"]
    head = subprocess.run(["git", "-C", tree, "rev-parse", "pgwalk/series"],
                          capture_output=True, text=True,
                          check=True).stdout.strip()
    pins = tmp_path / "pins.conf"
    pins.write_text("fs/proc/task_mmu.c:pagemap_ops PGWALK_WRLOCK_VERIFY "
                    "wrong on purpose: pagemap_read() holds the lock for "
                    "read\n")
    try:
        a = run_apply("--pins", str(pins), tree, str(tmp_path / "series"))
        assert a.returncode == 0, a.stderr[-2000:]
        r = boot(tree, tmp_path / "boot", "--no-baseline")
    finally:
        subprocess.run(["git", "-C", tree, "branch", "-f", "pgwalk/series",
                        head], check=True)
    assert r.returncode == 1, r.stderr[-4000:]
    assert "walker pagemap_ops (mode PGWALK_WRLOCK_VERIFY)" in r.stderr, \
        r.stderr[-4000:]


def test_hung_kernel_is_a_timeout_not_a_hang(tmp_path):
    """A guest that never finishes is killed at the timeout and reported,
    with its console, as a failure."""
    from pgwalk import kbuild
    kernel = os.path.join(kbuild.ROOT, "boot-x86_64", "arch", "x86", "boot",
                          "bzImage")
    if not os.path.exists(kernel):
        pytest.skip("no boot-test kernel built yet")
    with open("/bin/busybox", "rb") as f:
        busybox = f.read()
    image = tmp_path / "hang.cpio"
    image.write_bytes(boottest.cpio_newc([
        ("bin", 0o40755, b"", (0, 0)), ("dev", 0o40755, b"", (0, 0)),
        ("dev/console", 0o20600, b"", (5, 1)),
        ("bin/busybox", 0o100755, busybox, (0, 0)),
        ("init", 0o100755, b"#!/bin/busybox sh\n/bin/busybox sleep 1000\n",
         (0, 0))]))
    log = tmp_path / "console.log"
    status, secs = boottest.boot(kernel, str(image), str(log), 20, "tcg",
                                 print)
    assert status == "timeout after 20 s" and secs < 40
    res = boottest.parse_console(log.read_text(errors="replace"), {}, {})
    res["status"] = status
    _rows, problems = boottest.verdict({}, {}, res, None)
    assert problems == ["the kernel did not finish the workload (timeout "
                        "after 20 s)"]
