# SPDX-License-Identifier: GPL-2.0
"""boot-test: boot a kernel with lockdep, drive every walker, and check
each walk's real lock context against its table's declared mode.

    boot-test.sh [--out DIR] [--jobs N] [--timeout S] [--accel A]
                 [--no-baseline] [--strict] [--bisect] TREE [REF]

REF (default: the series branch) is built for x86_64 from `tinyconfig` plus
the fragments scripts/boot/config/ranges.conf gives its kernel version
(lockdep, DEBUG_VM, per-VMA locks from 6.4, the walkers' features), with
the lock census on top (pgwalk.proofs.bootkernel, pgwalk.proofs.census).
It boots under qemu-system-x86_64 with an initramfs of busybox,
scripts/boot/init.sh and scripts/boot/workload.c.

Verdict per table (pgwalk.proofs.census): consistent, over-declared,
under-declared, not exercised (with the reason), not reached.  Exit
status 1 on an over-declared table, a splat or panic, a table not
reached, or a kernel that did not finish; under-declared is a finding,
a failure only with --strict.  The base (REF's merge base with HEAD) runs
the same way and is reported beside it, without failing the run.
--bisect boots each commit of base..REF that changes the mode of an x86
table, so that the first bad commit is named.
"""

import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time

from pgwalk.errors import run_main, writing
from pgwalk import cli, gitops, inputs, runner, tablescan
from pgwalk.proofs import bootkernel, census, kbuild
from pgwalk.proofs.kbuild import BuildError
from pgwalk.progress import Progress, step

REPO = bootkernel.REPO
NOT_EXERCISED = os.path.join(bootkernel.BOOT, "not-exercised.conf")
KVM = "/dev/kvm"
# Named by the spec: run as verify-build.sh/boot-test.sh (python -m), the
# module is __main__, which is outside the pgwalk loggers the script shows.
LOG = logging.getLogger(__spec__.name)
# Programs the test runs, and the Debian package of each.  busybox is
# taken from /bin (make_initramfs), the others from PATH.
TOOLS = (("qemu-system-x86_64", "qemu-system-x86"), ("gcc", "gcc"),
         ("make", "make"))
CMDLINE = ("console=ttyS0 numa=fake=2 brd.rd_nr=1 brd.rd_size=131072 "
           "loglevel=7 oops=panic panic=-1 rdinit=/init")

# What a splat looks like in the console log: WARN*() and BUG*(), oopses,
# and lockdep's and RCU's reports.  Not every "WARNING:" is one: the kernel
# also prints plain warnings such as "WARNING: workqueue cpumask: ...".
SPLAT = re.compile(r"WARNING: CPU: \d+|WARNING: (possible|inconsistent|"
                   r"suspicious|bad unlock|held lock|lock held|Nested lock)|"
                   r"BUG: |kernel BUG at|Oops: |general protection fault|"
                   r"Kernel panic|INFO: task .* blocked|"
                   r"DEBUG_LOCKS_WARN_ON")
# The task of a splat: "CPU: 1 PID: 80 ..." (WARN, oops) or lockdep's
# "workload/80 is trying to acquire".
SPLAT_PID = re.compile(r"\bPID: (\d+)|^\S+/(\d+) is trying")
BUILD_PATH = re.compile(r"(?:\.\./)+boot-src-[\d.]+/")
FRAME = re.compile(r"^(?:\[[ \d.]+\]\s+)?\s*(?:\? )?([A-Za-z_][\w.]*)\+0x")


def tables_at(tree, ref):
    """{name: {"file", "mode"}} for every table with a walk_lock at ref,
    and {function: {table}} for the functions that take a table's
    address, as Coccinelle reads the tree's source at ref (what the
    series really wrote, not what it meant to)."""
    files = gitops.git(tree, "grep", "-l", "-F", "struct mm_walk_ops", ref,
                       "--", "*.c", check=False).split()
    texts = {}
    for entry in files:
        path = entry.split(":", 1)[1]
        texts[path] = gitops.git(tree, "show", "%s:%s" % (ref, path))
    tables, users = {}, {}
    for path, found in sorted(tablescan.scan_texts(texts, users=True).items()):
        for written in found:
            modes = written.member("walk_lock")
            if modes:
                tables[written.name] = {"file": path,
                                        "mode": modes[0].value}
            for fn in written.users:
                users.setdefault(fn, set()).add(written.name)
    return tables, users


def not_exercised(tables, built=None):
    """{table: reason} for the tables x86 cannot run, and, given the boot
    kernel's O= directory (built), those whose file its configuration
    does not compile."""
    out = {}
    if built and not os.path.exists(os.path.join(built, "vmlinux")):
        # Only a linked kernel's directory says what it compiles.
        built = None
    for name, t in tables.items():
        if t["file"].startswith("arch/") and \
                not t["file"].startswith("arch/x86/"):
            out[name] = "%s is %s code: x86 does not build it" % (
                t["file"], t["file"].split("/")[1])
        elif built and t["file"].endswith(".c") and not os.path.exists(
                os.path.join(built, t["file"][:-2] + ".o")):
            out[name] = "%s is not built in the boot kernel's " \
                "configuration" % t["file"]
    with open(NOT_EXERCISED) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                name, reason = line.split(None, 1)
                if name in tables:
                    out[name] = reason
    return out


def kvm_usable():
    return os.access(KVM, os.R_OK | os.W_OK)


def accel_args(accel):
    """KVM when asked or when it works, else TCG.  The CPU model is an
    Intel one under TCG, so that the guest has the L1TF bug that makes
    mprotect() walk PFN mappings (prot_none_walk_ops)."""
    if accel == "auto":
        accel = "kvm" if kvm_usable() else "tcg"
    if accel == "kvm":
        return ["-accel", "kvm", "-cpu", "host"]
    return ["-accel", "tcg,thread=multi", "-cpu", "Skylake-Client-v1"]


def boot(kernel, initramfs, log, timeout, accel):
    """Run the guest; its console goes to log.  (status, seconds)."""
    args = ["qemu-system-x86_64", "-m", "2048", "-smp", "2",
            "-kernel", kernel, "-initrd", initramfs, "-append", CMDLINE,
            "-display", "none", "-monitor", "none", "-no-reboot",
            "-serial", "file:" + log] + accel_args(accel)
    t0 = time.monotonic()
    proc = runner.start(args, stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        # qemu's last line says why it stopped; its warnings (features
        # TCG lacks) come before it.
        said = [l for l in out.splitlines() if l.strip() and
                ": warning:" not in l]
        status = "exited" if proc.returncode == 0 else \
            "qemu failed: %s" % (said[-1].strip()[:300] if said else
                                 "exit status %d" % proc.returncode)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        status = "timeout after %d s" % timeout
    return status, time.monotonic() - t0


def parse_console(text, users):
    """What the console log says: the census, the first splat (its step,
    task and trace), the last step begun, whether the workload ended."""
    # Source paths relative to the build cache (ccache's base directory)
    # read as in the tree.
    text = BUILD_PATH.sub("", text)
    lines = text.splitlines()
    step, splat = None, None
    for i, line in enumerate(lines):
        m = re.search(r"pgwalk-step: (\w+)", line)
        if m:
            step = m.group(1)
        if splat is None and SPLAT.search(line) and "pgwalk" not in line:
            trace = lines[i:i + 60]
            frames = [f.group(1) for f in (FRAME.search(l) for l in trace)
                      if f]
            pid = None
            for l in lines[i:i + 20]:
                p = SPLAT_PID.search(re.sub(r"^\[[ \d.]+\]\s*", "", l))
                if p:
                    pid = int(p.group(1) or p.group(2))
                    break
            splat = {"line": re.sub(r"^\[[ \d.]+\]\s*", "", line.strip()),
                     "step": step, "pid": pid, "frames": frames[:16],
                     "log": "\n".join(l.rstrip() for l in trace[:40])}
    failed_steps = re.findall(r"pgwalk-step-(?:failed|skipped): (.*)", text)
    return {"census": census.parse(text), "splat": splat, "step": step,
            "done": "pgwalk-init: done" in text,
            "workload": sorted(set(failed_steps))}


def run_one(kb, ref, initramfs, workdir, label, args, users):
    kernel, diff = kb.build(ref)
    with writing(workdir, BuildError), \
            open(os.path.join(workdir, "census-%s.patch" % label), "w") as f:
        f.write(diff)
    log = os.path.join(workdir, "console-%s.log" % label)
    LOG.info("boot: booting %s (%s)", label, ref[:12])
    with step("boot: %s: booting and running the workload" % label):
        status, secs = boot(kernel, initramfs, log, args.timeout,
                            args.accel)
    with open(log, encoding="utf-8", errors="replace") as f:
        text = f.read()
    result = parse_console(text, users)
    result.update(ref=ref, status=status, seconds=round(secs, 1), log=log)
    if not result["done"]:
        # The census the panic notifier printed is in the report.
        result["tail"] = "\n".join([l for l in text.splitlines()
                                    if "pgwalk-census" not in l][-30:])
    walked = {s["ops"] for s in (result["census"] or {}).get("slots", ())}
    LOG.info("boot: %s: %s in %.0f s, %d tables walked%s", label, status,
             secs, len(walked),
             ", splat: " + result["splat"]["line"] if result["splat"] else "")
    return result


def judged(tree, ref, run, strict, built=None):
    """Verdict of one booted commit against its own declared modes
    (built: the boot kernel's O= directory)."""
    tables, users = tables_at(tree, ref)
    skip = not_exercised(tables, built)
    rows, problems, findings = census.verdict(tables, skip, run, users,
                                              strict)
    return {"ref": ref, "rows": rows, "problems": problems,
            "findings": findings,
            "undeclared": census.other_walks(run.get("census"), tables),
            "run": run}


def contexts_text(ctxs):
    if not ctxs:
        return "-"
    return "; ".join("%s: %d (%s)" % (
        census.describe(c), c["count"], ", ".join(sorted(c["steps"])))
                     for c in ctxs)


def table_text(result):
    lines = ["%-34s %-21s %-14s %7s  %s" % ("table", "mode", "verdict",
                                            "walks", "contexts")]
    for r in result["rows"]:
        lines.append("%-34s %-21s %-14s %7d  %s" % (
            r["table"], r["mode"], r["status"], r["walks"],
            contexts_text(r["contexts"])))
        if r.get("why"):
            lines.append("    " + r["why"])
    for name, n in sorted(result["undeclared"].items()):
        lines.append("%-34s %-21s %-14s %7d" % (name, "(none declared)",
                                                "walked", n))
    return "\n".join(lines)


def section(title, result):
    run = result["run"]
    out = ["## %s: %s (%s)" % (title, result["ref"][:12], run["status"]),
           "", "```", table_text(result), "```", ""]
    for p in result["problems"]:
        out.append("- FAIL: %s" % p)
    for p in result["findings"]:
        out.append("- FINDING: %s" % p)
    if run.get("workload"):
        out.append("- workload: %s" % "; ".join(run["workload"]))
    if run.get("splat"):
        out += ["", "First splat (step %s, PID %s):" % (
            run["splat"]["step"], run["splat"]["pid"]), "", "```",
            run["splat"]["log"], "```"]
    return "\n".join(out) + "\n"


def bisect_word(b):
    """PASS, or FAIL with the problem that names a table (else the
    first)."""
    if not b["problems"]:
        return "PASS"
    named = [p for p in b["problems"]
             if getattr(p, "table", None) in b["tables"]]
    return "FAIL: " + (named or b["problems"])[0]


def write_report(outdir, head, base, bisect):
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "boot-report.json"), "w") as f:
        json.dump({"series": head, "baseline": base, "bisect": bisect}, f,
                  indent=1, sort_keys=True)
        f.write("\n")
    text = "# Boot test and lock census\n\n" + section("series", head)
    if base:
        text += "\n" + section("base (reported, not judged)", base)
    if bisect is not None:
        text += "\n## Bisect: commits that change an x86 table's mode\n\n"
        for b in bisect:
            text += "- %s %s: %s\n" % (b["ref"][:12], b["subject"],
                                       bisect_word(b))
    with open(os.path.join(outdir, "boot-report.md"), "w") as f:
        f.write(text)
    return table_text(head)


def mode_changes(tree, base, ref, built=None):
    """[(commit, subject, {table})] of base..ref changing an x86 table's
    declared mode, oldest first."""
    commits = gitops.git(tree, "rev-list", "--reverse", "%s..%s" % (
        base, ref)).split()
    out, before = [], tables_at(tree, base)[0]
    for c in commits:
        now = tables_at(tree, c)[0]
        skip = not_exercised(now, built)
        changed = {n for n, t in now.items() if n not in skip and
                   before.get(n, {}).get("mode") != t["mode"]}
        if changed:
            out.append((c, changed))
        before = now
    subjects = gitops.subjects(tree, [c for c, _ in out])
    return [(c, subjects[c], changed) for c, changed in out]


def boot_all(args, tree, outdir):
    """Check the programs and the inputs, build and boot REF (and its
    bisect commits, and its base).  (head, base, bisect) verdicts."""
    base_result, bisect = None, None
    for tool, pkg in TOOLS:
        if not shutil.which(tool):
            raise BuildError("no %s: apt-get install -y %s" % (tool, pkg))
    if not os.path.exists(bootkernel.BUSYBOX):
        raise BuildError("no %s: apt-get install -y busybox-static" %
                         bootkernel.BUSYBOX)
    if args.accel == "kvm" and not kvm_usable():
        raise BuildError("--accel kvm: %s is missing or not usable by "
                         "this user (no KVM here?); use --accel tcg or "
                         "auto" % KVM)
    if os.path.exists(outdir) and not os.path.isdir(outdir):
        raise BuildError("%s: --out is not a directory" % outdir)
    inputs.git_kernel_tree(tree)
    ref = inputs.commit(tree, args.ref)
    inputs.kernel_commit(tree, ref, args.ref)
    base = gitops.git(tree, "merge-base", "HEAD", ref).strip()
    tables, users = tables_at(tree, ref)
    if not tables:
        raise BuildError("%s: no struct mm_walk_ops sets walk_lock: "
                         "nothing to prove" % args.ref)
    kbuild.lock_cache()
    kb = bootkernel.BootBuild(tree, ref, args.jobs)
    workdir = os.path.join(outdir, "work")
    # The tree's own initramfs packer, kept in the build cache.
    packer = bootkernel.gen_init_cpio(tree, ref, kb.out, kb.env)
    with writing(outdir, BuildError):
        os.makedirs(workdir, exist_ok=True)
        # One initramfs (the workload does not depend on the kernel).
        LOG.info("boot: initramfs: busybox and the workload, in %s",
                 workdir)
        initramfs = bootkernel.make_initramfs(workdir, packer)
    run = run_one(kb, ref, initramfs, workdir, "series", args, users)
    head = judged(tree, ref, run, args.strict, kb.out)
    if args.bisect:
        bisect = []
        for c, subject, changed in mode_changes(tree, base, ref, kb.out):
            if c == ref:
                r = head
            else:
                _t, u = tables_at(tree, c)
                r = judged(tree, c, run_one(
                    kb, c, initramfs, workdir, "commit-" + c[:12],
                    args, u), args.strict, kb.out)
            bisect.append({"ref": c, "subject": subject,
                           "tables": sorted(changed),
                           "problems": r["problems"]})
            LOG.info("boot: bisect %s %s: %s", c[:12], subject,
                     bisect_word(bisect[-1]))
    if not args.no_baseline and base != ref:
        _t, base_users = tables_at(tree, base)
        base_result = judged(tree, base, run_one(
            kb, base, initramfs, workdir, "base", args, base_users),
            args.strict, kb.out)
    return head, base_result, bisect


def main(argv=None):
    p = cli.parser("boot-test.sh")
    p.add_argument("ref", nargs="?", default=gitops.SERIES_BRANCH)
    p.add_argument("--out")
    # A boot and the workload take a minute or two under TCG: five
    # minutes means the kernel hangs.
    p.add_argument("--timeout", type=int, default=300,
                   help="seconds a boot may take (default 300)")
    p.add_argument("--accel", choices=("auto", "kvm", "tcg"), default="tcg")
    cli.switches(p, {
        "--no-baseline": None,
        "--strict": "an under-declared table fails the run",
        "--bisect": "also boot each commit that changes an x86 table's "
                    "mode",
    })
    args = p.parse_args(argv)
    tree = os.path.abspath(args.tree)
    outdir = os.path.abspath(args.out or os.path.join(
        REPO, "generated", os.path.basename(tree.rstrip("/")), "boot"))
    t0 = time.monotonic()
    try:
        with Progress().shown():
            head, base_result, bisect = boot_all(args, tree, outdir)
    except KeyboardInterrupt:
        # Said by errors.run_main() (boot-test.sh's __main__), with what
        # was left.
        raise KeyboardInterrupt("the tree is as it was; the build cache "
                                "keeps what was built") from None
    run = head["run"]
    with writing(outdir, BuildError):
        print(write_report(outdir, head, base_result, bisect))
    for prob in head["problems"]:
        print("boot-test: FAIL: %s" % prob, file=sys.stderr)
    for finding in head["findings"]:
        print("boot-test: FINDING: %s" % finding, file=sys.stderr)
    if base_result:
        for prob in base_result["problems"]:
            print("boot-test: base: %s" % prob, file=sys.stderr)
    if bisect:
        bad = [b for b in bisect if b["problems"]]
        if bad:
            print("boot-test: first bad commit: %s %s" % (
                bad[0]["ref"][:12], bad[0]["subject"]), file=sys.stderr)
    if run.get("tail"):
        print("console tail:\n" + run["tail"], file=sys.stderr)
    if run["workload"]:
        print("workload: " + "; ".join(run["workload"]), file=sys.stderr)
    print("boot-test: %s in %.0f s (report in %s)" % (
        "FAIL" if head["problems"] else "PASS", time.monotonic() - t0,
        outdir), file=sys.stderr)
    return 1 if head["problems"] else 0


if __name__ == "__main__":
    sys.exit(run_main("boot-test.sh", main))
