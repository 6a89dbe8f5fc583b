#!/bin/bash
# bench.sh TREE: print how long the series takes, next to its yardstick.
#
# Runs scripts/apply.sh on a fresh unpacked copy of TREE (plain tree, so the
# git-init stage is included, as a user sees it), then once more on the now
# git copy (a re-run), then one bare `spatch --dir` pass of the annotation
# rule over the same tree.  The issue's bounds: apply.sh <= 60 s and <= 3x
# the bare pass.  Figures are printed, never asserted: a slow machine is
# not a failing test.
set -e
tree=$(cd "${1:?usage: bench.sh TREE}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
jobs=${JOBS:-$(nproc)}
work=$(mktemp -d "${TMPDIR:-/tmp}/pgwalk-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "bench: copying $tree (not timed)" >&2
mkdir -p "$work/tree"
# A plain copy: without .git, as the tarball unpacks.
tar -C "$tree" --exclude=./.git -cf - . | tar -C "$work/tree" -xf -

t0=$(date +%s.%N)
"$here/apply.sh" --jobs "$jobs" "$work/tree" "$work/out" 2> "$work/apply.log" >/dev/null
t1=$(date +%s.%N)
"$here/apply.sh" --jobs "$jobs" "$work/tree" "$work/out2" 2> "$work/apply2.log" >/dev/null
t2=$(date +%s.%N)
mapfile -t cmd < <(PYTHONPATH="$here" python3 -c '
import sys
from pgwalk import edits
for a in edits.bare_annotate_cmd(sys.argv[1], sys.argv[2]):
    print(a)' "$work/tree" "$work/out/decisions.json")
"${cmd[@]}" > /dev/null 2> "$work/bare.log"
t3=$(date +%s.%N)
# The same pass with spatch's default of one process.
args=("${cmd[@]}")
for i in "${!args[@]}"; do
	[ "${args[$i]}" = "-j" ] && args[$((i + 1))]=1
done
"${args[@]}" > /dev/null 2>> "$work/bare.log"
t4=$(date +%s.%N)

echo "apply.sh stage times (first run, plain tree):"
sed -n '/^[a-z-]* *[0-9.]* s$/p' "$work/apply.log" | sed 's/^/  /'
echo "apply.sh stage times (re-run, git tree):"
sed -n '/^[a-z-]* *[0-9.]* s$/p' "$work/apply2.log" | sed 's/^/  /'
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v e="$t4" -v j="$jobs" '
BEGIN {
	first = b - a; again = c - b; bare = d - c; bare1 = e - d
	printf "apply.sh, plain tree:        %6.1f s wall (bound 60 s)\n", first
	printf "apply.sh, re-run (git tree): %6.1f s wall\n", again
	printf "bare spatch --dir pass:      %6.1f s wall (-j %d)\n", bare, j
	printf "bare spatch --dir pass:      %6.1f s wall (-j 1)\n", bare1
	printf "ratio plain/bare(-j %d):      %6.2f (bound 3.00)\n", j, first / bare
	printf "ratio re-run/bare(-j %d):     %6.2f\n", j, again / bare
	printf "ratio plain/bare(-j 1):      %6.2f\n", first / bare1
}'
if cmp -s <(cat "$work"/out/*.patch) <(cat "$work"/out2/*.patch); then
	echo "re-run: identical patches"
else
	echo "re-run: PATCHES DIFFER"
fi
