#!/bin/bash
# bench-boot.sh [TREE]: time the boot test, cold and warm.
#
# TREE (default: Debian's linux-source-6.12, fetched) is copied, as a plain
# tree, into a scratch directory and apply.sh writes its series there (the
# copy's apply is not timed).  Cold: a new, empty build cache and ccache
# (tinyconfig + fragments, the whole kernel build with the lock census,
# the boot and the workload, then the base the same way as the baseline).
# Warm: the same run again with nothing changed.  The issue's bounds on 2
# cores: cold <= 8 min, warm <= 2 min.  Figures are printed, never
# asserted.
set -e
here=$(cd "$(dirname "$0")" && pwd)
tree=${1:-$("$here/fetch-tree.sh" linux-source-6.12)}
tree=$(cd "$tree" && pwd)
work=$(mktemp -d "${TMPDIR:-/var/tmp}/pgwalk-bench-boot.XXXXXX")
trap 'rm -rf "$work"' EXIT
export PGWALK_CACHE="$work/cache" CCACHE_DIR="$work/ccache"

echo "bench-boot: copying $tree and generating its series in $work" >&2
mkdir "$work/linux"
tar -C "$tree" --exclude=./.git -cf - . | tar -C "$work/linux" -xf -
"$here/apply.sh" --no-checkpatch "$work/linux" "$work/series" \
	> "$work/apply.log" 2>&1 ||
	{ echo "bench-boot: apply.sh failed:" >&2
	  tail -20 "$work/apply.log" >&2; exit 1; }
# A tree that is already fully converted gets no series: boot its HEAD.
ref=pgwalk/series
git -C "$work/linux" rev-parse -q --verify "$ref" >/dev/null || ref=HEAD

run() {
	local t0 t1
	t0=$(date +%s.%N)
	"$here/boot-test.sh" --out "$work/$1" "$work/linux" "$ref" \
		> "$work/$1.txt" 2> "$work/$1.log" ||
		{ echo "bench-boot: boot-test failed ($1):" >&2
		  tail -20 "$work/$1.log" >&2; exit 1; }
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }'
}

echo "bench-boot: cold run (new cache in $work)" >&2
cold=$(run cold)
echo "bench-boot: warm run" >&2
warm=$(run warm)
for r in cold warm; do
	grep -E "(^|] )boot: (bzImage in|series:|base:)|^boot-test:" "$work/$r.log" |
		sed "s/^/  $r: /"
done
printf "boot-test of %s, cold (config, build, boot, workload; series + base): %4d s (bound 480 s)\n" \
	"$(basename "$tree")" "$cold"
printf "boot-test of %s, warm (nothing changed):                              %4d s (bound 120 s)\n" \
	"$(basename "$tree")" "$warm"
