#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench-build.sh TREE [ARCHES]: time verify-build on the series, cold and warm.
#
# Cold: a new, empty cache (no O= directories, no checkout, empty ccache),
# so configs, prepare and every compile are counted.  Warm: the same run
# again with nothing changed.  Then the number of objects the per-commit
# check compiled, next to the number a --full build of the same
# architectures compiles (kbuild's dry run; not timed).  The issue's bounds:
# cold <= 15 min, warm <= 3 min for the five default architectures.
# Last, x86_64 tinyconfig: --full (every object of the kernel, then the
# selection check against kbuild's records) beside the affected-only run,
# each cold and warm in a cache of its own.  PARTS="arches tiny" (default)
# picks the parts.  Figures are printed, never asserted.
set -e
tree=$(cd "${1:?usage: bench-build.sh TREE [ARCHES]}" && pwd)
arches=${2:-x86_64,arm64,powerpc,riscv,s390}
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

# run NAME [verify-build options]: seconds of one verify-build run.
run() {
	local t0 t1 name=$1
	shift
	t0=$(date +%s.%N)
	"$here/verify-build.sh" --jobs "$jobs" "$@" \
		--out "$work/$name" "$tree" > "$work/$name.txt" \
		2> "$work/$name.log" ||
		{ echo "bench-build: verify-build failed ($name):" >&2
		  tail -5 "$work/$name.log" >&2; exit 1; }
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }'
}

# The longest time verify-build said nothing, from its [m:ss] stamps.
silence() {
	sed -n 's/^\[ *\([0-9]*\):\([0-9]*\)\].*/\1 \2/p' "$work/$1.log" |
		awk '{ t = $1 * 60 + $2; if (NR > 1 && t - p > m) m = t - p; p = t }
		     END { printf "%d", m }'
}

# The x86_64 tinyconfig figures: affected-only beside --full.
tiny_figures() {
	printf "x86_64 tinyconfig, affected objects only: cold %5d s, warm %5d s\n" \
		"$tiny_affected_cold" "$tiny_affected_warm"
	printf "x86_64 tinyconfig, --full (whole kernel): cold %5d s, warm %5d s\n" \
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
			run "tiny-$mode-cold" "${opts[@]}")
		echo "bench-build: x86_64 tinyconfig, $mode, warm" >&2
		t_warm=$(PGWALK_CACHE="$work/tiny-$mode" \
			CCACHE_DIR="$work/tiny-$mode-ccache" \
			run "tiny-$mode-warm" "${opts[@]}")
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

echo "bench-build: cold run on $arches (new cache in $work)" >&2
cold=$(run cold --arch "$arches")
echo "bench-build: warm run" >&2
warm=$(run warm --arch "$arches")
echo "bench-build: counting what --full compiles (kbuild dry run)" >&2
PYTHONPATH="$here" python3 - "$work/cold/build-report.json" "$tree" <<'EOF'
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
grep "in [0-9]* s:" "$work/cold.log" | sed 's/^/  cold: /'
grep "in [0-9]* s:" "$work/warm.log" | sed 's/^/  warm: /'
# Keep the reports of both runs next to the series.
keep="$(dirname "$here")/generated/$(basename "$tree")/bench-build"
mkdir -p "$keep"
for run in cold warm; do
	cp "$work/$run/build-report.md" "$keep/$run-build-report.md"
	cp "$work/$run/build-report.json" "$keep/$run-build-report.json"
	cp "$work/$run.log" "$keep/$run.log"
done
echo "reports: $keep"
printf "verify-build, cold (configs, prepare, all compiles): %5d s (bound 900 s)\n" "$cold"
printf "verify-build, warm (nothing changed):                %5d s (bound 180 s)\n" "$warm"
printf "longest silence (cold run):                          %5d s\n" \
	"$(silence cold)"
if [[ " $parts " == *" tiny "* ]]; then
	tiny_figures
fi
record
