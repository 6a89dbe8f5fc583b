#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# bench-record.sh NAME LOAD < FIGURES: print a bench's figures and keep
# them in docs/benchmarks.md under "## NAME", with the date, the machine
# and the load (LOAD, /proc/loadavg's first three fields at the start of
# the bench, and the same now, at its end).  The other benches' sections
# stay as they were: each bench rewrites its own.  BENCH_DOC names
# another file (the tests).
here=$(cd "$(dirname "$0")" && pwd)
doc=${BENCH_DOC:-$here/../docs/benchmarks.md}
exec /usr/bin/python3 - "${1:?usage: bench-record.sh NAME LOAD}" \
	"${2:?usage: bench-record.sh NAME LOAD}" "$doc" 3<&0 <<'PY'
import datetime, os, platform, re, sys, textwrap

name, load_start, doc = sys.argv[1:4]
figures = os.fdopen(3).read()
sys.stdout.write(figures)


def cpu():
    with open("/proc/cpuinfo") as f:
        m = re.search(r"^model name\s*:\s*(.*)$", f.read(), re.M)
    return m.group(1).strip() if m else platform.machine()


def memory():
    with open("/proc/meminfo") as f:
        kib = int(re.search(r"^MemTotal:\s*(\d+)", f.read(), re.M).group(1))
    return "%.0f GiB" % (kib / 1024 / 1024)


with open("/proc/loadavg") as f:
    load_end = " ".join(f.read().split()[:3])
when = datetime.datetime.now(datetime.timezone.utc).strftime(
    "%Y-%m-%d %H:%M UTC")
said = textwrap.fill(
    "Measured %s on %s (%d cores), %s, Linux %s; load average (1, 5, 15 "
    "min) %s at the start, %s at the end." % (
        when, cpu(), os.cpu_count(), memory(), platform.release(),
        load_start, load_end), 72)
section = "## %s\n\n%s\n\n```\n%s```\n" % (
    name, said, figures if figures.endswith("\n") or not figures
    else figures + "\n")
head = ("# Benchmarks\n\n"
        "Written by the bench scripts themselves (scripts/bench-record.sh):"
        "\neach `make bench*` run replaces its own section.  Figures are "
        "wall\nseconds unless a line says otherwise; they depend on the "
        "machine and\nits load, both given with them.\n")
text = open(doc).read() if os.path.exists(doc) else head
# Sections start at "## "; this bench's is replaced, or added at the end.
parts = re.split(r"(?m)^(?=## )", text)
for i, part in enumerate(parts):
    if part.startswith("## %s\n" % name):
        parts[i] = section + ("\n" if i + 1 < len(parts) else "")
        break
else:
    parts[-1] = parts[-1].rstrip("\n") + "\n\n"
    parts.append(section)
os.makedirs(os.path.dirname(os.path.abspath(doc)), exist_ok=True)
with open(doc + ".tmp", "w") as f:
    f.write("".join(parts))
os.replace(doc + ".tmp", doc)
print("figures kept in %s" % os.path.relpath(doc), file=sys.stderr)
PY
