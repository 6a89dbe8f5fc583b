#!/bin/bash
# bench-boot.sh TREE: time the boot test of the series, cold and warm.
#
# Cold: a new, empty cache and ccache (tinyconfig + fragment, the whole
# kernel build, the boot and the workload, then the same for the base as
# the baseline).  Warm: the same run again with nothing changed.  The
# issue's bounds: cold <= 8 min, warm <= 2 min.  Figures are printed, never
# asserted.
set -e
tree=$(cd "${1:?usage: bench-boot.sh TREE}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/var/tmp}/pgwalk-bench-boot.XXXXXX")
trap 'rm -rf "$work"' EXIT
export PGWALK_CACHE="$work/cache" CCACHE_DIR="$work/ccache"

run() {
	local t0 t1
	t0=$(date +%s.%N)
	"$here/boot-test.sh" --out "$work/$1" "$tree" > "$work/$1.txt" \
		2> "$work/$1.log" ||
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
	grep -E "^boot: (bzImage in|series:|base:)|^boot-test:" "$work/$r.log" |
		sed "s/^/  $r: /"
done
printf "boot-test, cold (config, build, boot, workload; series + base): %4d s (bound 480 s)\n" "$cold"
printf "boot-test, warm (nothing changed):                              %4d s (bound 120 s)\n" "$warm"
