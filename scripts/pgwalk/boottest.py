"""boot-test: run the converted kernel with lockdep and drive every walker.

    boot-test.sh [--out DIR] [--jobs N] [--timeout S] [--accel A]
                 [--no-baseline] TREE [REF]

REF (default: the series branch) is built for x86_64 from `tinyconfig` plus
scripts/boot/x86_64.config (lockdep, DEBUG_VM, the walkers' features, kprobe
histograms), in a cached O= directory outside the tree.  It boots under
qemu-system-x86_64 with an initramfs of busybox, scripts/boot/init.sh and
scripts/boot/workload.c.  The kernel itself counts the walks: a kprobe on
each walker, histogram keyed by the ops table's symbol.

Pass: every converted table x86 can run was walked, and the console has no
lockdep report, WARNING, BUG or oops.  The base (REF's merge base with
HEAD) runs the same way, as the baseline.  Tables x86 cannot run are listed
with the reason: arch/<other>/ code, or scripts/boot/not-exercised.conf.
"""

import argparse
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time

from pgwalk import gitops, kbuild
from pgwalk.kbuild import BuildError

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BOOT = os.path.join(REPO, "scripts", "boot")
FRAGMENT = os.path.join(BOOT, "x86_64.config")
NOT_EXERCISED = os.path.join(BOOT, "not-exercised.conf")
X86 = {"arch": "x86_64", "cross": "", "package": "gcc"}
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
TABLE_DEF = re.compile(r"^[ \t]*(?:static\s+)?(?:const\s+)?struct\s+mm_walk_ops\s+"
                       r"(\w+)\s*=\s*\{(.*?)\};", re.M | re.S)
FUNC_DEF = re.compile(r"^[A-Za-z_][^;{}()\n]*?\b(\w+)\s*\([^;{}]*\)\s*\{",
                      re.M)


def tables_at(tree, ref):
    """{name: {"file", "mode"}} for every table with a walk_lock at ref,
    and {function: {table}} for the functions that name a table, read
    from the tree's source (what the series really wrote)."""
    files = gitops.git(tree, "grep", "-l", "struct mm_walk_ops", ref, "--",
                       "*.c", check=False).split()
    tables, users = {}, {}
    for entry in files:
        path = entry.split(":", 1)[1]
        text = gitops.git(tree, "show", "%s:%s" % (ref, path))
        names = []
        for m in TABLE_DEF.finditer(text):
            mode = re.search(r"\.walk_lock\s*=\s*(\w+)", m.group(2))
            names.append(m.group(1))
            if mode:
                tables[m.group(1)] = {"file": path, "mode": mode.group(1)}
        # Which function mentions which table: to name the walker of a
        # call trace.  Bodies are cut at the next definition.
        defs = list(FUNC_DEF.finditer(text))
        for i, d in enumerate(defs):
            body = text[d.end():defs[i + 1].start() if i + 1 < len(defs)
                        else len(text)]
            for name in names:
                if re.search(r"&%s\b" % name, body):
                    users.setdefault(d.group(1), set()).add(name)
    return tables, users


def not_exercised(tables):
    """{table: reason} for the tables x86 cannot run."""
    out = {}
    for name, t in tables.items():
        if t["file"].startswith("arch/") and \
                not t["file"].startswith("arch/x86/"):
            out[name] = "%s is %s code: x86 does not build it" % (
                t["file"], t["file"].split("/")[1])
    with open(NOT_EXERCISED) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                name, reason = line.split(None, 1)
                if name in tables:
                    out[name] = reason
    return out


def configure(ab, say):
    """tinyconfig + the fragment, redone when the fragment changes; every
    line of the fragment must survive olddefconfig."""
    with open(FRAGMENT, "rb") as f:
        stamp_text = hashlib.sha256(f.read()).hexdigest()
    stamp = os.path.join(ab.out, ".pgwalk-fragment")
    config = os.path.join(ab.out, ".config")
    if os.path.exists(stamp) and open(stamp).read() == stamp_text and \
            os.path.exists(config):
        return
    os.makedirs(ab.out, exist_ok=True)
    say("boot: tinyconfig + %s" % os.path.relpath(FRAGMENT, REPO))
    ab.make("tinyconfig")
    r = subprocess.run([os.path.join(ab.src.dir, "scripts", "kconfig",
                                     "merge_config.sh"), "-m", "-O", ab.out,
                        config, FRAGMENT], capture_output=True, text=True,
                       env=ab.env)
    if r.returncode != 0:
        raise BuildError("merge_config.sh failed: %s" % r.stderr[-500:])
    ab.make("olddefconfig")
    have = open(config).read().splitlines()
    missing = []
    for line in open(FRAGMENT):
        line = line.strip()
        if line.startswith("CONFIG_") and line not in have:
            missing.append(line)
        elif line.startswith("# CONFIG_") and line not in have and \
                any(h.startswith(line[2:].split()[0] + "=") for h in have):
            missing.append(line)
    if missing:
        raise BuildError("config fragment lines that do not survive "
                         "olddefconfig (unmet dependencies?): " +
                         ", ".join(missing))
    with open(stamp, "w") as f:
        f.write(stamp_text)


def build_kernel(ab, ref, say):
    ab.src.checkout(ref)
    configure(ab, say)
    t0 = time.monotonic()
    say("boot: building bzImage of %s" % ref[:12])
    ab.make("bzImage")
    say("boot: bzImage in %.0f s" % (time.monotonic() - t0))
    return os.path.join(ab.out, "arch", "x86", "boot", "bzImage")


def cpio_newc(entries):
    """An uncompressed newc cpio archive of (path, mode, data, rdev)."""
    out = bytearray()
    ino = 1
    for path, mode, data, rdev in entries + [("TRAILER!!!", 0, b"", (0, 0))]:
        name = path.encode() + b"\0"
        fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1],
                  len(name), 0]
        out += b"070701" + b"".join(b"%08X" % v for v in fields) + name
        out += b"\0" * (-len(out) % 4) + data
        out += b"\0" * (-len(out) % 4)
        ino += 1
    return bytes(out)


def make_initramfs(workdir, say):
    busybox = "/bin/busybox"
    with open(busybox, "rb") as f:
        if b"ld-linux" in f.read(8192):
            raise BuildError("%s is dynamically linked: apt-get install -y "
                             "busybox-static" % busybox)
    workload = os.path.join(workdir, "workload")
    r = subprocess.run(["gcc", "-static", "-O2", "-Wall", "-Werror", "-o",
                        workload, os.path.join(BOOT, "workload.c")],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise BuildError("workload.c does not compile: %s" % r.stderr[-800:])
    entries = [(d, 0o40755, b"", (0, 0)) for d in
               ("bin", "dev", "proc", "sys", "tmp")]
    entries.append(("dev/console", 0o20600, b"", (5, 1)))
    for path, src in (("bin/busybox", busybox), ("workload", workload),
                      ("init", os.path.join(BOOT, "init.sh"))):
        with open(src, "rb") as f:
            entries.append((path, 0o100755, f.read(), (0, 0)))
    image = os.path.join(workdir, "initramfs.cpio.gz")
    with gzip.open(image, "wb", compresslevel=1) as f:
        f.write(cpio_newc(entries))
    return image


def accel_args(accel):
    """KVM when asked or when it works, else TCG.  The CPU model is an
    Intel one under TCG, so that the guest has the L1TF bug that makes
    mprotect() walk PFN mappings (prot_none_walk_ops)."""
    if accel == "auto":
        accel = "kvm" if os.access("/dev/kvm", os.R_OK | os.W_OK) else "tcg"
    if accel == "kvm":
        return ["-accel", "kvm", "-cpu", "host"]
    return ["-accel", "tcg,thread=multi", "-cpu", "Skylake-Client-v1"]


def boot(kernel, initramfs, log, timeout, accel, say):
    """Run the guest; its console goes to log.  (status, seconds)."""
    args = ["qemu-system-x86_64", "-m", "2048", "-smp", "2",
            "-kernel", kernel, "-initrd", initramfs, "-append", CMDLINE,
            "-display", "none", "-monitor", "none", "-no-reboot",
            "-serial", "file:" + log] + accel_args(accel)
    t0 = time.monotonic()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        status = "exited" if proc.returncode == 0 else \
            "qemu failed: %s" % out.strip()[-300:]
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        status = "timeout after %d s" % timeout
    return status, time.monotonic() - t0


def parse_console(text, tables, users):
    """What the console log says: walks per table, splats, steps."""
    counts = {}
    hist = text.split("pgwalk-hist-begin", 1)[-1].split("pgwalk-hist-end")[0] \
        if "pgwalk-hist-begin" in text else ""
    for m in re.finditer(r"\{ ops: \[[0-9a-f]+\] ([\w.]+)[^}]*\}\s*"
                         r"hitcount:\s*(\d+)", hist):
        # A table local to a function is "mlock_walk_ops.36" to kallsyms.
        name = m.group(1).split(".")[0]
        counts[name] = counts.get(name, 0) + int(m.group(2))
    lines = text.splitlines()
    step, splat = None, None
    for i, line in enumerate(lines):
        m = re.search(r"pgwalk-step: (\w+)", line)
        if m:
            step = m.group(1)
        if SPLAT.search(line) and "pgwalk" not in line:
            trace = lines[i:i + 60]
            frames = [f.group(1) for f in (re.search(
                r"^(?:\[[ \d.]+\]\s+)?\s*(?:\? )?([A-Za-z_]\w*)\+0x", l)
                for l in trace) if f]
            walkers = []
            for fn in frames:
                walkers += sorted(users.get(fn, ()))
            splat = {"line": re.sub(r"^\[[ \d.]+\]\s*", "", line.strip()),
                     "step": step,
                     "walker": walkers[0] if walkers else None,
                     "frames": frames[:12],
                     "log": "\n".join(l.rstrip() for l in trace[:40])}
            break
    failed_steps = re.findall(r"pgwalk-step-(?:failed|skipped): (.*)", text)
    return {"counts": counts, "splat": splat,
            "done": "pgwalk-init: done" in text,
            "workload": sorted(set(failed_steps))}


def run_one(ab, ref, initramfs, workdir, label, tables, users, args,
            say):
    kernel = build_kernel(ab, ref, say)
    log = os.path.join(workdir, "console-%s.log" % label)
    say("boot: booting %s (%s)" % (label, ref[:12]))
    status, secs = boot(kernel, initramfs, log, args.timeout, args.accel, say)
    with open(log, encoding="utf-8", errors="replace") as f:
        text = f.read()
    result = parse_console(text, tables, users)
    result.update(ref=ref, status=status, seconds=round(secs, 1), log=log)
    if not result["done"]:
        result["tail"] = "\n".join(text.splitlines()[-30:])
    say("boot: %s: %s in %.0f s, %d tables walked%s" % (
        label, status, secs, len(result["counts"]),
        ", splat: " + result["splat"]["line"] if result["splat"] else ""))
    return result


def verdict(tables, skip, series, baseline):
    rows, problems = [], []
    for name in sorted(tables, key=lambda n: (tables[n]["file"], n)):
        t = tables[name]
        count = series["counts"].get(name, 0)
        row = {"table": name, "file": t["file"], "mode": t["mode"],
               "reached": count,
               "baseline": baseline["counts"].get(name, 0) if baseline
               else None}
        if name in skip:
            row["status"] = "not exercised"
            row["why"] = skip[name]
        elif count:
            row["status"] = "reached"
        else:
            row["status"] = "NOT REACHED"
            problems.append("%s (%s) was not walked" % (name, t["mode"]))
        rows.append(row)
    if not series["done"]:
        problems.insert(0, "the kernel did not finish the workload (%s)"
                        % series["status"])
    if series["splat"]:
        s = series["splat"]
        problems.insert(0, "%s, walker %s (mode %s), during step %s" % (
            s["line"], s["walker"] or "?",
            tables.get(s["walker"], {}).get("mode", "?"), s["step"]))
    return rows, problems


def write_report(outdir, rows, problems, series, baseline):
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "boot-report.json"), "w") as f:
        json.dump({"tables": rows, "problems": problems, "series": series,
                   "baseline": baseline}, f, indent=1, sort_keys=True)
        f.write("\n")
    lines = ["%-34s %-22s %-14s %8s %8s" % ("table", "mode", "status",
                                           "walks", "base")]
    for r in rows:
        lines.append("%-34s %-22s %-14s %8d %8s" % (
            r["table"], r["mode"], r["status"], r["reached"],
            "-" if r["baseline"] is None else r["baseline"]))
        if r.get("why"):
            lines.append("    " + r["why"])
    text = "\n".join(lines)
    with open(os.path.join(outdir, "boot-report.md"), "w") as f:
        f.write("```\n%s\n```\n" % text)
        for p in problems:
            f.write("\n- FAIL: %s\n" % p)
        if series.get("splat"):
            f.write("\n```\n%s\n```\n" % series["splat"]["log"])
    return text


def main(argv=None):
    p = argparse.ArgumentParser(prog="boot-test.sh")
    p.add_argument("tree")
    p.add_argument("ref", nargs="?", default=gitops.SERIES_BRANCH)
    p.add_argument("--out")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    # A boot and the workload take seconds under TCG: five minutes means
    # the kernel hangs.
    p.add_argument("--timeout", type=int, default=300,
                   help="seconds a boot may take (default 300)")
    p.add_argument("--accel", choices=("auto", "kvm", "tcg"), default="tcg")
    p.add_argument("--no-baseline", action="store_true")
    args = p.parse_args(argv)
    say = lambda m: print(m, file=sys.stderr, flush=True)
    tree = os.path.abspath(args.tree)
    outdir = os.path.abspath(args.out or os.path.join(
        REPO, "generated", os.path.basename(tree.rstrip("/")), "boot"))
    t0 = time.monotonic()
    try:
        for tool, pkg in (("qemu-system-x86_64", "qemu-system-x86"),
                          ("busybox", "busybox-static")):
            if not shutil.which(tool) and not os.path.exists("/bin/" + tool):
                raise BuildError("no %s: apt-get install -y %s" % (tool, pkg))
        if not os.path.isdir(tree):
            raise BuildError("%s: not a directory" % args.tree)
        ref = gitops.git(tree, "rev-parse", "--verify", "-q",
                         args.ref + "^{commit}", check=False).strip()
        if not ref:
            raise BuildError("%s: not a commit in %s" % (args.ref, tree))
        base = gitops.git(tree, "merge-base", "HEAD", ref).strip()
        tables, users = tables_at(tree, ref)
        if not tables:
            raise BuildError("%s: no struct mm_walk_ops sets walk_lock: "
                             "nothing to prove" % args.ref)
        skip = not_exercised(tables)
        kbuild.lock_cache(say)
        src = kbuild.SourceCheckout(tree)
        ab = kbuild.ArchBuild(src, None, "x86_64", X86, args.jobs,
                              kbuild.Launcher(), say,
                              out=os.path.join(kbuild.ROOT, "boot-x86_64"))
        workdir = os.path.join(outdir, "work")
        os.makedirs(workdir, exist_ok=True)
        # One initramfs (the workload does not depend on the kernel).
        initramfs = make_initramfs(workdir, say)
        series = run_one(ab, ref, initramfs, workdir, "series", tables,
                         users, args, say)
        baseline = None
        if not args.no_baseline and base != ref:
            baseline = run_one(ab, base, initramfs, workdir, "base", tables,
                               users, args, say)
    except (BuildError, gitops.GitError) as e:
        print("boot-test: error: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("boot-test: interrupted", file=sys.stderr)
        return 130
    rows, problems = verdict(tables, skip, series, baseline)
    print(write_report(outdir, rows, problems, series, baseline))
    for prob in problems:
        print("boot-test: FAIL: %s" % prob, file=sys.stderr)
    if series.get("tail"):
        print("console tail:\n" + series["tail"], file=sys.stderr)
    if series["workload"]:
        print("workload: " + "; ".join(series["workload"]), file=sys.stderr)
    print("boot-test: %s in %.0f s (report in %s)" % (
        "FAIL" if problems else "PASS", time.monotonic() - t0, outdir),
        file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
