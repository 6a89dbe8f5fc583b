#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench-boot.sh [TREE]: time the boot test: cold, cold with ccache reused
# from another tree, and warm.
#
# TREE (default: Debian's linux-source-6.12, fetched) is copied twice, as
# plain trees, into a scratch directory:
#   linux/     the tree as it is, with the series apply.sh writes for it;
#   stripped/  the tree with every .walk_lock initializer removed
#              (tests/cocci/strip-walk-lock.cocci: as before the
#              conversion), with the series the analysis regenerates.
# The applies are not timed.  Three boot-test runs (build with the lock
# census, boot, workload; the series' head, then its base):
#   cold        linux/, empty build cache and empty ccache: every object
#               compiled;
#   new tree    stripped/, a new empty build cache (its own checkout and
#               O= directory, every kbuild step run), ccache kept from
#               the cold run: what a maintainer's second tree costs;
#   warm        stripped/ again, nothing changed.
# The issue's bounds on 2 cores: cold <= 8 min with ccache reused across
# trees (the new-tree run), warm <= 2 min.  Figures are printed, never
# asserted.
set -e
here=$(cd "$(dirname "$0")" && pwd)
tree=${1:-$("$here/fetch-tree.sh" linux-source-6.12)}
tree=$(cd "$tree" && pwd)
work=$(mktemp -d "${TMPDIR:-/var/tmp}/pgwalk-bench-boot.XXXXXX")
trap 'rm -rf "$work"' EXIT
export CCACHE_DIR="$work/ccache"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# copy DIR: TREE as a plain tree in $work/DIR.
copy() {
	mkdir "$work/$1"
	tar -C "$tree" --exclude=./.git -cf - . | tar -C "$work/$1" -xf -
}

# series DIR: apply.sh's series for $work/DIR, in its own cache; prints
# the ref to boot (a tree that is already fully converted gets no series:
# its HEAD).
series() {
	PGWALK_CACHE="$work/cache-apply" "$here/apply.sh" --no-checkpatch \
		"$work/$1" "$work/$1-series" > "$work/$1-apply.log" 2>&1 ||
		{ echo "bench-boot: apply.sh failed on $1:" >&2
		  tail -20 "$work/$1-apply.log" >&2; exit 1; }
	if git -C "$work/$1" rev-parse -q --verify pgwalk/series >/dev/null
	then
		echo pgwalk/series
	else
		echo HEAD
	fi
}

echo "bench-boot: copying $tree twice and generating the series in $work" >&2
copy linux
copy stripped
# The files whose tables declare a mode: tests/cocci's semantic patch
# removes those initializers.
(cd "$work/stripped" &&
	grep -rl --include=*.c -F .walk_lock -- * | grep -v "^tools/" |
	xargs -r spatch --very-quiet -D patch --in-place --sp-file \
		"$here/../tests/cocci/strip-walk-lock.cocci" > /dev/null)
ref_linux=$(series linux)
ref_stripped=$(series stripped)

# run NAME DIR REF CACHE: boot-test.sh on $work/DIR at REF with the build
# cache CACHE; prints its wall seconds.
run() {
	local t0 t1
	t0=$(date +%s.%N)
	PGWALK_CACHE="$4" "$here/boot-test.sh" --out "$work/$1" \
		"$work/$2" "$3" > "$work/$1.txt" 2> "$work/$1.log" ||
		{ echo "bench-boot: boot-test failed ($1):" >&2
		  tail -20 "$work/$1.log" >&2; exit 1; }
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }'
}

echo "bench-boot: cold run (empty build cache and ccache)" >&2
cold=$(run cold linux "$ref_linux" "$work/cache-cold")
echo "bench-boot: new tree (the stripped copy; new build cache, ccache kept)" >&2
newtree=$(run newtree stripped "$ref_stripped" "$work/cache-new")
echo "bench-boot: warm run" >&2
warm=$(run warm stripped "$ref_stripped" "$work/cache-new")
# The figures: kept aside until the bench ends well, then printed and
# written into docs/benchmarks.md by bench-record.sh.
exec 3>&1 > "$work/figures"
for r in cold newtree warm; do
	grep -E "(^|] )boot: (bzImage in|series:|base:)|^boot-test:" \
		"$work/$r.log" | sed "s/^/  $r: /"
done
name=$(basename "$tree")
printf "boot-test of %s, cold (empty ccache; build, boot, workload; series + base): %4d s\n" \
	"$name" "$cold"
printf "boot-test of %s stripped, new tree (new build dir, ccache of the cold run): %4d s (bound 480 s)\n" \
	"$name" "$newtree"
printf "boot-test of %s stripped, warm (nothing changed):                          %4d s (bound 120 s)\n" \
	"$name" "$warm"
exec 1>&3 3>&-
"$here/bench-record.sh" "make bench-boot" "$load_start" < "$work/figures"
