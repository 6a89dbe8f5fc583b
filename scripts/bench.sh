#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench.sh TREE [NEWER_TREE]: print how long the series takes, next to its
# yardstick.  Figures are printed, never asserted: a slow machine is not a
# failing test.
#
# On a git copy of TREE (Linux 6.1), with its own facts cache:
#   cold      apply.sh with an empty facts cache
#   warm      apply.sh again (facts cached by blob id)
#   one file  apply.sh after a commit that changes one file with a table
#   uncached  apply.sh with the cache off, on the same tree: its patches
#             must be the one-file run's, byte for byte (a cache never
#             changes the output)
# On a git copy of NEWER_TREE (Debian's 6.12) with every .walk_lock line
# removed, apply.sh with an empty facts cache (the regenerated series).
# Then one bare `spatch --dir` pass of the annotation rule over TREE.
# Bounds (issue 21): warm <= 2 s, one file <= 5 s, cold 6.12 <= 45 s, on
# an idle 2-core machine.
set -e
tree=$(cd "${1:?usage: bench.sh TREE [NEWER_TREE]}" && pwd)
newer=${2:+$(cd "$2" && pwd)}
here=$(cd "$(dirname "$0")" && pwd)
jobs=${JOBS:-$(nproc)}
work=$(mktemp -d "${TMPDIR:-/tmp}/pgwalk-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
export PGWALK_CACHE="$work/cache"

now() { date +%s.%N; }

timed() {	# timed NAME OUTDIR [env...]: apply.sh on $work/tree
	# Prints "wall (cpu)" seconds: the CPU time of apply.sh and all it
	# ran says what the run costs even when other work shares the cores.
	local name=$1 out=$2
	shift 2
	env "$@" /usr/bin/python3 -c '
import resource, subprocess, sys, time
t0 = time.monotonic()
with open(sys.argv[2], "w") as log:
    rc = subprocess.call(sys.argv[3:], stdout=subprocess.DEVNULL,
                         stderr=log)
wall = time.monotonic() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.1f (%.0f)" % (wall, ru.ru_utime + ru.ru_stime))
sys.exit(rc)' - "$work/$name.log" "$here/apply.sh" --jobs "$jobs" \
		"$work/tree" "$out" ||
		{ echo "bench: apply.sh failed ($name):" >&2
		  tail -5 "$work/$name.log" >&2; exit 1; }
}

# Figures from a busy machine mean little: the load is printed with them.
load() { cut -d' ' -f1-3 /proc/loadavg; }
load_start=$(load)

"$here/bench-git-copy.sh" "$tree" "$work/tree"
cold=$(timed cold "$work/out-cold")
warm=$(timed warm "$work/out-warm")
# One file changes, as between two rc's.
table_file=$(cd "$work/tree" && git grep -l "struct mm_walk_ops" -- mm/*.c |
	     head -n 1)
echo "/* bench: a new rc */" >> "$work/tree/$table_file"
git -C "$work/tree" -c user.name=bench -c user.email=bench@localhost \
	commit -qam "bench: change $table_file"
one=$(timed one "$work/out-one")
uncached=$(timed uncached "$work/out-uncached" PGWALK_NO_CACHE=1)

if [ -n "$newer" ]; then
	rm -rf "$work/tree"
	"$here/bench-git-copy.sh" "$newer" "$work/tree"
	# Every .walk_lock initializer removed: the series to regenerate.
	git -C "$work/tree" grep -l -E '^[[:space:]]*\.walk_lock[[:space:]]*=' \
		-- '*.c' | while read -r f; do
		sed -i -E '/^[[:space:]]*\.walk_lock[[:space:]]*=/d' \
			"$work/tree/$f"
	done
	git -C "$work/tree" -c user.name=bench -c user.email=bench@localhost \
		commit -qam "bench: walk_lock removed"
	rm -rf "$PGWALK_CACHE"
	newer_cold=$(timed newer "$work/out-newer")
fi

mapfile -t cmd < <(PYTHONPATH="$here" /usr/bin/python3 -c '
import sys
from pgwalk.series import edits
for a in edits.bare_annotate_cmd(sys.argv[1], sys.argv[2]):
    print(a)' "$tree" "$work/out-warm/decisions.json")
t0=$(now)
"${cmd[@]}" > /dev/null 2> "$work/bare.log"
bare=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')

# The figures: kept aside until the bench ends well, then printed and
# written into docs/benchmarks.md by bench-record.sh.
exec 3>&1 > "$work/figures"
echo "load average (1, 5, 15 min): $load_start at the start, $(load) at the end"
echo "apply.sh stage times (warm run):"
sed -n '/^[a-z-]* *[0-9.]* s$/p' "$work/warm.log" | sed 's/^/  /'
grep '^facts: [0-9]* files' "$work/cold.log" "$work/warm.log" \
	"$work/one.log" | sed "s|$work/||; s/^/  /"
echo "seconds: wall (CPU, all processes)"
printf "apply.sh, 6.1 git tree, cold facts cache: %12s s\n" "$cold"
printf "apply.sh, 6.1, warm (cache filled):       %12s s (bound 2 s)\n" \
	"$warm"
printf "apply.sh, 6.1, one file changed:          %12s s (bound 5 s)\n" "$one"
printf "apply.sh, 6.1, cache off:                 %12s s\n" "$uncached"
[ -n "$newer" ] &&
printf "apply.sh, 6.12 stripped, cold cache:      %12s s (bound 45 s)\n" \
	"$newer_cold"
printf "bare spatch --dir pass (6.1, -j %d):       %6s s\n" "$jobs" "$bare"
# The uncached run is on the tree of the one-file run: same base, so the
# same bytes expected.
if cmp -s <(cat "$work"/out-one/*.patch) \
	  <(cat "$work"/out-uncached/*.patch); then
	echo "cached and uncached series: identical patches"
else
	echo "cached and uncached series: PATCHES DIFFER"
fi
exec 1>&3 3>&-
"$here/bench-record.sh" "make bench" "$load_start" < "$work/figures"
