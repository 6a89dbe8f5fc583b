# SPDX-License-Identifier: GPL-2.0
"""The lock census: what the kernel saw at each walk, and the verdict per
table against its declared mode.

The kernel (scripts/boot/census/pgwalk_census.c) prints one line per slot,
a slot being (table, walker, lock context, workload step):

  pgwalk-census: ops=pagemap_ops walker=range mmap=read
      vma_write_locked=no vma_read_locked=no lockdep=on step=pagemap
      count=3 pid=91 trace=walk_page_range+0x0/0x1b0<pagemap_read+...

between pgwalk-census-begin and pgwalk-census-end: read from debugfs after
the workload, or printed by a panic notifier when the kernel dies.

Verdict per table, from the contexts observed and the declared mode:
  consistent      every context satisfies the mode, and a PGWALK_RDLOCK
                  table was not walked under the mmap write lock only
  over-declared   a context violates the mode (the mode promises a lock
                  the walk did not hold), or a splat is attributed to it
  under-declared  PGWALK_RDLOCK, but every observed walk by a walker that
                  honours walk_lock held the mmap lock for write: a write
                  mode the analysis may have missed (a finding; a failure
                  only with --strict).  Walks by the walkers that ignore
                  the field (below) are no such evidence: no mode changes
                  what they do
  not exercised   x86 cannot run it (with the reason)
  not reached     the workload did not walk it (or the kernel died first)
"""

import re

from pgwalk import convention

RDLOCK, WRLOCK, VERIFY = (convention.RDLOCK, convention.WRLOCK,
                          convention.WRLOCK_VERIFY)
KNOWN_MODES = (RDLOCK, WRLOCK, VERIFY)
CONTEXT_KEYS = ("walker", "mmap", "vma_write_locked", "vma_read_locked",
                "lockdep")
# The walkers the census probes that ignore walk_lock (pgwalk_census.c):
# those of kernel page tables, which assert the mmap lock themselves.
IGNORING = ("novma", "debug", "kernel")
STAMP = re.compile(r"^\[\s*\d+\.\d+\]\s*")
FIELD = re.compile(r"(\w+)=(\S*)")


class Problem(str):
    """A problem of a booted kernel, in words, with the table it is about
    (None: the kernel's, or a splat no table declares): the bisect reads
    the table, never the words."""

    def __new__(cls, text, table=None):
        problem = super().__new__(cls, text)
        problem.table = table
        return problem


def table_name(symbol):
    """A table local to a function is "mlock_walk_ops.36" to kallsyms."""
    return symbol.split(".")[0]


def parse(text):
    """{"slots": [...], "last": {pid: {...}}, "dropped": n, "complete"}
    from the console, or None when it holds no census block."""
    lines = [STAMP.sub("", l.rstrip("\r")) for l in text.splitlines()]
    try:
        first = max(i for i, l in enumerate(lines)
                    if l.strip() == "pgwalk-census-begin")
    except ValueError:
        return None
    slots, last, dropped, complete = [], {}, None, False
    for line in lines[first + 1:]:
        line = line.strip()
        if line == "pgwalk-census-end":
            complete = True
            break
        if line.startswith("pgwalk-census: "):
            f = dict(FIELD.findall(line[len("pgwalk-census: "):]))
            trace = f.pop("trace", "")
            f["ops"] = table_name(f["ops"])
            f["count"] = int(f["count"])
            f["pid"] = int(f["pid"])
            f["trace"] = [fr for fr in trace.split("<") if fr]
            slots.append(f)
        elif line.startswith("pgwalk-census-last: "):
            f = dict(FIELD.findall(line))
            last[int(f["pid"])] = {"ops": table_name(f["ops"]),
                                   "step": f["step"]}
        elif line.startswith("pgwalk-census-dropped: "):
            dropped = int(line.split(":", 1)[1])
    return {"slots": slots, "last": last, "dropped": dropped,
            "complete": complete}


def contexts(census, table):
    """[{context..., "count", "steps": {step: count}, "trace"}] of table,
    one per distinct lock context, most walks first."""
    out = {}
    for s in census["slots"] if census else ():
        if s["ops"] != table:
            continue
        key = tuple(s.get(k) for k in CONTEXT_KEYS)
        c = out.setdefault(key, dict(zip(CONTEXT_KEYS, key), count=0,
                                     steps={}, trace=s["trace"]))
        c["count"] += s["count"]
        c["steps"][s["step"]] = c["steps"].get(s["step"], 0) + s["count"]
    return sorted(out.values(), key=lambda c: -c["count"])


def violation(mode, ctx):
    """Why ctx does not satisfy mode, or None."""
    if ctx["mmap"] == "none":
        return "walked without the mmap lock"
    if mode in (WRLOCK, VERIFY) and ctx["mmap"] != "write":
        return "the mmap lock was held for %s, not for write" % ctx["mmap"]
    if mode == VERIFY and ctx["vma_write_locked"] in ("no", "some"):
        return "the walked VMA was not write-locked before the walk " \
            "(vma_write_locked=%s)" % ctx["vma_write_locked"]
    return None


def describe(ctx):
    """One context in words, for the report."""
    words = "mmap %s" % ctx["mmap"]
    if ctx["vma_write_locked"] != "n/a":
        words += ", VMA write-locked before: %s, per-VMA read lock: %s" % (
            ctx["vma_write_locked"], ctx["vma_read_locked"])
    if ctx["lockdep"] == "off":
        words += " (lockdep off: from the rwsem)"
    return words


def first_frames(trace, n=6):
    """The trace from the walker down, without offsets."""
    return [f.split("+")[0] for f in trace[:n]]


def judge(name, mode, ctxs):
    """(status, why) of one table from its contexts."""
    if mode not in KNOWN_MODES:
        return "unknown mode", "%s is not a mode this census knows" % mode
    for c in ctxs:
        why = violation(mode, c)
        if why:
            return "over-declared", "%s: %s in step %s (%d walks); first " \
                "walk: %s" % (mode, why, ", ".join(sorted(c["steps"])),
                              c["count"], " <- ".join(first_frames(
                                  c["trace"])))
    honouring = [c for c in ctxs if c["walker"] not in IGNORING]
    if mode == RDLOCK and honouring and \
            all(c["mmap"] == "write" for c in honouring):
        ctxs = honouring
        c = ctxs[0]
        steps = sorted({s for c in ctxs for s in c["steps"]})
        return "under-declared", "PGWALK_RDLOCK, but every walk (%d) " \
            "held the mmap lock for write, in step %s: a write mode the " \
            "analysis may have missed; one such walk: %s" % (
                sum(c["count"] for c in ctxs), ", ".join(steps),
                " <- ".join(first_frames(c["trace"], 8)))
    note = None
    if mode == WRLOCK and ctxs and all(
            c["vma_write_locked"] == "yes" for c in ctxs):
        note = "every walk found its VMAs already write-locked: " \
            "PGWALK_WRLOCK_VERIFY would hold too"
    return "consistent", note


def attribute_splat(splat, census, users):
    """The table a splat belongs to: a frame of its trace that names one
    table, else the last walk of the task that splatted (the census keeps
    it), else a frame naming several.  (table, how) or (None, None)."""
    candidates = []
    for fn in splat.get("frames", ()):
        names = sorted(users.get(fn, ()))
        if len(names) == 1:
            return names[0], "%s() in its trace uses it" % fn
        candidates += names
    last = (census or {}).get("last", {}).get(splat.get("pid"))
    if last and (last["step"] == splat.get("step") or
                 not splat.get("step")):
        return last["ops"], "the last walk of PID %d before the splat" % (
            splat["pid"])
    if candidates:
        return candidates[0], "a function in its trace uses it (one of %s)" \
            % ", ".join(candidates)
    return None, None


def verdict(tables, skip, run, users, strict=False):
    """(rows, problems, findings) for one booted kernel.

    tables: {name: {"file", "mode"}} declared at the commit; skip: {name:
    reason}; run: parse_console()'s result with "census"."""
    census = run.get("census")
    rows, problems, findings = [], [], []
    died = None
    if not run["done"]:
        died = run.get("step") or "boot"
    splat_table = None
    if run.get("splat"):
        splat_table, how = attribute_splat(run["splat"], census, users)
        run["splat"]["table"], run["splat"]["attributed"] = splat_table, how
    for name in sorted(tables, key=lambda n: (tables[n]["file"], n)):
        t = tables[name]
        ctxs = contexts(census, name)
        row = {"table": name, "file": t["file"], "mode": t["mode"],
               "walks": sum(c["count"] for c in ctxs), "contexts": ctxs}
        if name in skip:
            row["status"], row["why"] = "not exercised", skip[name]
        elif name == splat_table:
            s = run["splat"]
            row["status"] = "over-declared"
            row["why"] = "%s during step %s (%s)" % (s["line"], s["step"],
                                                     s["attributed"])
            judged, why = judge(name, t["mode"], ctxs)
            if judged == "over-declared":
                row["why"] += "; " + why
        elif not ctxs:
            row["status"] = "not reached"
            if died:
                row["why"] = "not reached because the kernel died in " \
                    "step %s" % died
            elif census is None:
                row["why"] = "no census from this kernel"
            else:
                row["why"] = "the workload did not walk it"
                problems.append(Problem("%s (%s) was not walked" % (
                    name, t["mode"]), name))
        else:
            row["status"], row["why"] = judge(name, t["mode"], ctxs)
        if row["status"] in ("over-declared", "unknown mode"):
            problems.append(Problem("%s: %s: %s" % (
                name, row["status"], row["why"]), name))
        elif row["status"] == "under-declared":
            (problems if strict else findings).append(Problem(
                "%s: under-declared: %s" % (name, row["why"]), name))
        rows.append(row)
    if run.get("splat") and splat_table not in tables:
        s = run["splat"]
        problems.insert(0, "%s during step %s (%s)" % (
            s["line"], s["step"], "attributed to %s, which declares no "
            "mode here: %s" % (splat_table, s["attributed"]) if splat_table
            else "no table it can be attributed to"))
    if not run["done"] and run["status"] == "exited":
        # QEMU ended (panic=-1 reboots) before the workload did.
        problems.insert(0, "the kernel died in step %s" % died)
    elif not run["done"]:
        problems.insert(0, "the kernel did not finish the workload (%s%s)"
                        % (run["status"], ", in step %s" % died
                           if died != "boot" else ""))
    elif census is None:
        problems.insert(0, "the kernel printed no census")
    elif census.get("dropped"):
        problems.insert(0, "the census ran out of slots: %d walks "
                        "uncounted" % census["dropped"])
    return rows, problems, findings


def other_walks(census, tables):
    """Tables the census saw that declare no mode here (the base of a
    series, or tables the tree leaves alone): {table: walks}."""
    out = {}
    for s in census["slots"] if census else ():
        if s["ops"] not in tables:
            out[s["ops"]] = out.get(s["ops"], 0) + s["count"]
    return out
