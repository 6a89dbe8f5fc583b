#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# bench-tests.sh: time `make check-fast` twice, in a cache of its own:
# from an empty one (a fresh machine, CI, or the first run after a change
# to the analysis' rules or its facts code, which key the facts cache),
# then with what that run left (a developer's next run).  Wall and CPU
# seconds (the tests' child processes included) go to docs/benchmarks.md
# through bench-record.sh.
set -e
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT INT TERM
load=$(cut -d' ' -f1-3 /proc/loadavg)

# host_speed: CPU seconds a fixed loop takes.  These machines share their
# host: the same run is a third slower at some hours than at others, and
# this says how fast the host was around the figures.
host_speed() {
	/usr/bin/python3 -c 'import time
t = time.process_time()
s = 0
for i in range(20000000):
    s += i
print("%.2f" % (time.process_time() - t))'
}

# run NAME: one `make check-fast` in the bench's cache; "wall cpu tests".
run() {
	echo "bench-tests: make check-fast, $1" >&2
	if ! /usr/bin/time -f "%e %U %S" -o "$scratch/time" \
		env PGWALK_CACHE="$scratch/cache" \
		make -s -C "$here/.." check-fast >"$scratch/log" 2>&1; then
		tail -20 "$scratch/log" >&2
		echo "bench-tests: error: make check-fast failed ($1)" >&2
		exit 1
	fi
	tests=$(sed -n 's/^\([0-9]*\) passed.*/\1/p' "$scratch/log" | tail -1)
	awk -v t="$tests" '{printf "%.0f %.0f %s\n", $1, $2 + $3, t}' \
		"$scratch/time"
}

speed_start=$(host_speed)
run "empty cache" >"$scratch/cold"
run "the cache the first run left" >"$scratch/warm"
speed_end=$(host_speed)
read -r cold_wall cold_cpu tests <"$scratch/cold"
read -r warm_wall warm_cpu _ <"$scratch/warm"
{
	echo "make check-fast: $tests tests, $(nproc) cores (pytest-xdist)"
	echo "seconds: wall (CPU, the tests' processes and their children)"
	printf "empty cache (fresh machine, CI):  %5s (%s) s\n" \
		"$cold_wall" "$cold_cpu"
	printf "the next run (cache warm):        %5s (%s) s (bound 120 s)\n" \
		"$warm_wall" "$warm_cpu"
	echo "host speed: a fixed loop of 20,000,000 Python additions took" \
		"$speed_start CPU-s before the runs, $speed_end after"
} | "$here/bench-record.sh" "make bench-tests" "$load"
