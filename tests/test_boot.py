# SPDX-License-Identifier: GPL-2.0
"""boot-test on the 6.1 series: the modes hold at run time, and a wrong
mode is caught.

The real tests boot the 6.1 series under QEMU (every x86-reachable table
walked and consistent with its mode in the lock census, no splat), then
pin a read-context table (pagemap_ops) to PGWALK_WRLOCK_VERIFY,
regenerate, and watch the census call it over-declared.  The census'
verdicts on console logs are in test_census.py, 6.12 in test_boot_612.py.
"""

import json
import os
import subprocess

import pytest

from conftest import REPO, run_apply
from pgwalk.proofs import bootkernel, boottest, census

BOOT_TEST = os.path.join(REPO, "scripts", "boot-test.sh")


# ------------------------------------------------------------ real boots

def boot(tree, out, *extra):
    return subprocess.run([BOOT_TEST, "--out", str(out), *extra, tree],
                          capture_output=True, text=True)


@pytest.mark.boot
def test_series_boots_with_every_x86_walker_consistent(real_series,
                                                       tmp_path):
    r = boot(real_series["tree"], tmp_path / "boot")
    report = json.load(open(tmp_path / "boot" / "boot-report.json"))
    assert r.returncode == 0, r.stderr[-4000:]
    rows = {t["table"]: t for t in report["series"]["rows"]}
    status = {n: t["status"] for n, t in rows.items()}
    assert set(status.values()) == {"consistent", "not exercised"}, status
    assert status["queue_pages_lock_vma_walk_ops"] == "consistent"
    assert status["gather_pages_ops"] == "not exercised"
    # Counts per context: mbind's twin only ever under the write lock.
    assert [c["mmap"] for c in rows["queue_pages_lock_vma_walk_ops"]
            ["contexts"]] == ["write"]
    # 6.1 has no per-VMA locks.
    assert {c["vma_write_locked"] for c in rows["mlock_walk_ops"]
            ["contexts"]} == {"n/a"}
    assert report["series"]["run"]["splat"] is None
    assert report["baseline"] is not None
    # The base declares no mode: its walks are listed, not judged.
    assert report["baseline"]["rows"] == []
    assert report["baseline"]["undeclared"]["pagemap_ops"] > 0


@pytest.mark.boot
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
    assert "FAIL: pagemap_ops: over-declared: WARNING: CPU:" in r.stderr, \
        r.stderr[-4000:]
    # lockdep's warning, and the census' own reason.
    assert "held for read, not for write" in r.stderr


@pytest.mark.boot
def test_hung_kernel_is_a_timeout_not_a_hang(tmp_path):
    """A guest that never finishes is killed at the timeout and reported,
    with its console, as a failure."""
    import glob
    from pgwalk.proofs import kbuild
    kernels = glob.glob(os.path.join(kbuild.ROOT, "boot-x86_64-*", "arch",
                                     "x86", "boot", "bzImage"))
    packers = glob.glob(os.path.join(kbuild.ROOT, "boot-x86_64-*",
                                     "pgwalk-gen_init_cpio-*"))
    if not kernels or not packers:
        pytest.skip("no boot-test kernel built yet")
    kernel = kernels[0]
    (tmp_path / "init").write_text("#!/bin/busybox sh\n"
                                   "/bin/busybox sleep 1000\n")
    image = tmp_path / "hang.cpio"
    image.write_bytes(bootkernel.pack(packers[0], str(tmp_path), "".join(
        line + "\n" for line in (
            "dir /bin 0755 0 0", "dir /dev 0755 0 0", bootkernel.CONSOLE,
            "file /bin/busybox %s 0755 0 0" % bootkernel.BUSYBOX,
            "file /init init 0755 0 0"))))
    log = tmp_path / "console.log"
    status, secs = boottest.boot(kernel, str(image), str(log), 20, "tcg")
    assert status == "timeout after 20 s" and secs < 40
    res = boottest.parse_console(log.read_text(errors="replace"), {})
    res["status"] = status
    _rows, problems, _f = census.verdict({}, {}, res, {})
    assert problems == ["the kernel did not finish the workload (timeout "
                        "after 20 s)"]
