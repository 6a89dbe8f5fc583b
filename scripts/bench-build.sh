#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench-build.sh TREE PREVIOUS: time verify-build on the series of each
# tree, as a maintainer meets it from one rc to the next.
#
# Both trees are copied into git repositories and given their series by
# apply.sh (not timed).  Then verify-build on every commit, for ARCHES
# (default the five of verify-build), each run timed wall and CPU:
#   cold      PREVIOUS (the last rc), every cache empty: configs, prepare
#             and every compile counted
#   new rc    TREE, with the caches the cold run left (ccache, O= dirs)
#   warm      TREE again, nothing changed
#   one table TREE after one table's mode changes (a pin, the series made
#             again): its commit and those after it are built again
# Then the number of objects the per-commit check compiled, next to the
# number a --full build of the same architectures compiles (kbuild's dry
# run; not timed).  Bounds (issue 18, idle 2-core machine): cold <= 15
# min, new rc <= 5 min, warm <= 60 s, one table <= 90 s.
# Last, x86_64 tinyconfig: --full (every object of the kernel, then the
# selection check against kbuild's records) beside the affected-only run,
# each cold and warm in a cache of its own.  PARTS="arches tiny" (default)
# picks the parts.  Figures are printed, never asserted.
set -e
usage="usage: bench-build.sh TREE PREVIOUS"
tree=$(cd "${1:?$usage}" && pwd)
previous=$(cd "${2:?$usage}" && pwd)
arches=${ARCHES:-x86_64,arm64,powerpc,riscv,s390}
here=$(cd "$(dirname "$0")" && pwd)
jobs=${JOBS:-$(nproc)}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/pgwalk-bench-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
# The dry-run counts outlive the bench: they depend on the tree only.
export PGWALK_COUNTS="${PGWALK_CACHE:-$HOME/.cache/pgwalk-series}/build"
export PGWALK_CACHE="$work/cache" CCACHE_DIR="$work/ccache"

parts=${PARTS:-arches tiny}

# The figures (stdout) are kept aside until the bench ends well, then
# printed and written into docs/benchmarks.md by bench-record.sh.
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
exec 3>&1 > "$work/figures"
record() {
	exec 1>&3 3>&-
	"$here/bench-record.sh" "make bench-build" "$load_start" \
		< "$work/figures"
}

# run NAME TREE [verify-build options]: "wall (CPU)" seconds of one
# verify-build run; CPU counts every process it ran (make, gcc, sparse).
run() {
	local name=$1 src=$2
	shift 2
	/usr/bin/python3 -c '
import resource, subprocess, sys, time
t0 = time.monotonic()
with open(sys.argv[1], "w") as log, open(sys.argv[2], "w") as out:
    rc = subprocess.call(sys.argv[3:], stdout=out, stderr=log)
wall = time.monotonic() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.0f (%.0f)" % (wall, ru.ru_utime + ru.ru_stime))
sys.exit(rc)' "$work/$name.log" "$work/$name.txt" \
		"$here/verify-build.sh" --jobs "$jobs" "$@" \
		--out "$work/$name" "$src" ||
		{ echo "bench-build: verify-build failed ($name):" >&2
		  tail -5 "$work/$name.log" >&2; exit 1; }
}


# The longest time verify-build said nothing, from its [m:ss] stamps.
silence() {
	sed -n 's/^\[ *\([0-9]*\):\([0-9]*\)\].*/\1 \2/p' "$work/$1.log" |
		awk '{ t = $1 * 60 + $2; if (NR > 1 && t - p > m) m = t - p; p = t }
		     END { printf "%d", m }'
}

# The x86_64 tinyconfig figures: affected-only beside --full.
tiny_figures() {
	printf "x86_64 tinyconfig, affected objects only: cold %s s, warm %s s\n" \
		"$tiny_affected_cold" "$tiny_affected_warm"
	printf "x86_64 tinyconfig, --full (whole kernel): cold %s s, warm %s s\n" \
		"$tiny_full_cold" "$tiny_full_warm"
	printf "longest silence (cold --full run):          %5d s\n" \
		"$(silence tiny-full-cold)"
}

if [[ " $parts " == *" tiny "* ]]; then
	for mode in affected full; do
		opts=(--config tinyconfig --arch x86_64)
		[ "$mode" = full ] && opts+=(--full)
		echo "bench-build: x86_64 tinyconfig, $mode, cold" >&2
		t_cold=$(PGWALK_CACHE="$work/tiny-$mode" \
			CCACHE_DIR="$work/tiny-$mode-ccache" \
			run "tiny-$mode-cold" "$tree" "${opts[@]}")
		echo "bench-build: x86_64 tinyconfig, $mode, warm" >&2
		t_warm=$(PGWALK_CACHE="$work/tiny-$mode" \
			CCACHE_DIR="$work/tiny-$mode-ccache" \
			run "tiny-$mode-warm" "$tree" "${opts[@]}")
		case $mode in
		affected) tiny_affected_cold=$t_cold tiny_affected_warm=$t_warm ;;
		full) tiny_full_cold=$t_cold tiny_full_warm=$t_warm ;;
		esac
	done
	grep -h "selection check:" "$work/tiny-full-cold.log" | sed 's/^/  /'
	grep -h "full build: [0-9]* objects compiled" "$work/tiny-full-cold.log" |
		sed 's/^/  /'
fi
[[ " $parts " == *" arches "* ]] || {
	tiny_figures
	record
	exit 0
}

# The series of a git copy of a tree, made by apply.sh (not timed); with
# $pins set, through those pinned modes.
series() {
	echo "bench-build: apply.sh on $(basename "$1")${2:+, $2}" >&2
	"$here/apply.sh" --jobs "$jobs" --no-checkpatch --quiet \
		${pins:+--pins "$pins"} "$1" "$1.series" \
		> "$work/apply.log" 2>&1 ||
		{ echo "bench-build: apply.sh failed on $1:" >&2
		  tail -5 "$work/apply.log" >&2; exit 1; }
}

# Cold: the previous rc's series, every cache empty.
"$here/bench-git-copy.sh" "$previous" "$work/prev"
series "$work/prev"
echo "bench-build: cold run on $arches (new cache in $work)" >&2
cold=$(run cold "$work/prev" --arch "$arches")
# A new rc: the default tree, with the caches the cold run left.
"$here/bench-git-copy.sh" "$tree" "$work/tree"
series "$work/tree"
echo "bench-build: new rc, with the cold run's caches" >&2
newrc=$(run newrc "$work/tree" --arch "$arches")
echo "bench-build: warm run" >&2
warm=$(run warm "$work/tree" --arch "$arches")
# One table changes: the first annotated table pinned to another of the
# tree's modes and the series made again, as after a maintainer's review.
pins="$work/pinned.conf"
PYTHONPATH="$here" /usr/bin/python3 -c '
import sys
from pgwalk import table
d = table.load(sys.argv[1])
t = next(t for t in d.tables if t.action == table.Action.ANNOTATE and t.mode)
other = next(m for m in d.modes if m != t.mode)
print("%s:%s %s bench-build: one table changed" % (t.file, t.name, other))' \
	"$work/tree.series/decisions.json" > "$pins"
git -C "$work/tree" branch -q -m pgwalk/series pgwalk/unpinned
series "$work/tree" "$(cut -d' ' -f1-2 "$pins")"
echo "bench-build: one table changed" >&2
one=$(run one "$work/tree" --arch "$arches")
echo "bench-build: counting what --full compiles (kbuild dry run)" >&2
PYTHONPATH="$here" /usr/bin/python3 - "$work/warm/build-report.json" \
	"$work/tree" <<'EOF'
import json, sys
from pgwalk.proofs import build, kbuild
from pgwalk import gitops
report = json.load(open(sys.argv[1]))
tree = sys.argv[2]
arches = build.load_arches()
base = gitops.git(tree, "rev-parse",
                  report["commits"][0]["commit"] + "^^{tree}").strip()
src = kbuild.SourceCheckout(tree)
launcher = kbuild.Launcher()
total_checked = total_full = 0
for name in report["arches"]:
    checked = report["base"][name]["objects"] + sum(
        len(c["cells"][name]["objects"]) for c in report["commits"])
    # The O= directory verify-build used: W=1 and sparse are on by default.
    ab = kbuild.ArchBuild(src, base, name, arches[name], 1, launcher,
                          extra_checks=True)
    full = ab.full_count()
    total_checked += checked
    total_full += full
    print("  %-8s per-commit check compiled %5d objects; --full compiles "
          "%6d" % (name, checked, full))
print("  all       per-commit check compiled %5d objects; --full compiles "
      "%6d" % (total_checked, total_full))
EOF
for r in cold newrc warm one; do
	grep "in [0-9]* s:" "$work/$r.log" | sed "s/^/  $r: /"
done
# Keep the reports of the runs next to the series.
keep="$(dirname "$here")/generated/$(basename "$tree")/bench-build"
mkdir -p "$keep"
for r in cold newrc warm one; do
	cp "$work/$r/build-report.md" "$keep/$r-build-report.md"
	cp "$work/$r/build-report.json" "$keep/$r-build-report.json"
	cp "$work/$r.log" "$keep/$r.log"
done
echo "reports: $keep"
echo "seconds: wall (CPU, all processes), $arches, every commit"
printf "cold, %s, every cache empty: %12s s (bound 900 s)\n" \
	"$(basename "$previous")" "$cold"
printf "new rc, %s, the cold run's caches: %12s s (bound 300 s)\n" \
	"$(basename "$tree")" "$newrc"
printf "warm, nothing changed:                   %12s s (bound 60 s)\n" \
	"$warm"
printf "one table changed (pinned, series again): %11s s (bound 90 s)\n" \
	"$one"
printf "longest silence (cold run):              %12s s\n" \
	"$(silence cold)"
if [[ " $parts " == *" tiny "* ]]; then
	tiny_figures
fi
record
