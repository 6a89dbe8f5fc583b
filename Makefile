# Page-walk locking series toolkit.
#
#   make            install what is missing, fetch Linux 6.1 (Debian's
#                   linux-source-6.1, cached outside the repo), generate the
#                   series into generated/ and build-check it for x86_64
#   make check      run the tests (every tier: unit, tree, build, boot)
#   make check-fast run the unit tests only: no kernel tree, no network,
#                   no kernel build, no QEMU
#   make lint       shellcheck, flake8 and the kernel's checkpatch.pl on
#                   the toolkit's own shell, Python and C (scripts/lint.sh)
#   make bench      print stage times of apply.sh and the spatch yardstick
#   make bench-build  time verify-build on the series, five architectures,
#                   cold and warm, and count its objects against --full;
#                   then x86_64 tinyconfig --full beside its affected-only
#                   run (PARTS="arches tiny" picks the parts)
#   make bench-boot time the boot test (series + base of Debian's 6.12 by
#                   default, on a copy), cold and warm
#   make audit      audit a tree that already carries walk_lock (default:
#                   Debian's linux-source-6.12): declared vs inferred modes
#
# Variables: TREE=<kernel tree> (default: the cached 6.1 tree),
# OUT=<series dir>, JOBS=<n>, ARCH_LIST=<arches for build-check>.

SHELL := /bin/bash
JOBS ?= $(shell nproc)
PKG ?= linux-source-6.1
ARCH_LIST ?= x86_64
PYTEST := /usr/bin/python3 -m pytest
# The unit tests in parallel, one process per core, when pytest-xdist is
# installed (scripts/install-deps.sh installs it).
XDIST := $(shell /usr/bin/python3 -c 'import xdist' 2>/dev/null && \
	echo "-n auto --dist loadgroup")
# TREE is resolved at run time so that `make check` alone never downloads.
tree = $${TREE:-$$(scripts/fetch-tree.sh $(PKG))}

.PHONY: all deps series build-check check check-fast lint bench bench-build \
	bench-boot audit clean

all: build-check

deps:
	@scripts/install-deps.sh

series: deps
	@t=$(tree) && out=$${OUT:-generated/$$(basename "$$t")} && \
	scripts/apply.sh --jobs $(JOBS) "$$t" "$$out"

build-check: series
	@t=$(tree) && out=$${OUT:-generated/$$(basename "$$t")} && \
	scripts/verify-build.sh --arch $(ARCH_LIST) --jobs $(JOBS) \
		--out "$$out/build" "$$t"

# The tests also use a tree that already carries the conversion (6.12).
check: deps
	@t=$(tree) && n=$$(scripts/fetch-tree.sh linux-source-6.12) && \
	PGWALK_TREE=$$t PGWALK_TREE_NEW=$$n $(PYTEST) -q tests

# No deps and no tree: nothing here may reach the network.  The scratch
# directory is private and removed at the end: pytest's own rotation of
# /tmp/pytest-of-$USER would also delete what earlier runs left there
# (copies of kernel trees, minutes of work for the disk).  It is on tmpfs
# (/dev/shm) when that runs programs: the unit tests make thousands of
# small files and processes, which waited on a disk other jobs kept busy.
check-fast:
	@scratch=$$(mktemp -d -p /dev/shm 2>/dev/null) && \
	printf '#!/bin/sh\n' > "$$scratch/exec" && chmod +x "$$scratch/exec" && \
	"$$scratch/exec" && rm "$$scratch/exec" || \
	{ rm -rf "$$scratch"; scratch=$$(mktemp -d); } && \
	env -u PGWALK_TREE -u PGWALK_TREE_NEW $(PYTEST) -q -m unit $(XDIST) \
		--basetemp "$$scratch" tests; \
	status=$$?; rm -rf "$$scratch"; exit $$status

lint: deps
	@scripts/lint.sh

audit: deps
	@t=$${TREE:-$$(scripts/fetch-tree.sh linux-source-6.12)} && \
	scripts/apply.sh --audit --jobs $(JOBS) "$$t"

bench: deps
	@scripts/bench.sh "$(tree)" "$$(scripts/fetch-tree.sh linux-source-6.12)"

bench-build: series
	@scripts/bench-build.sh "$(tree)"

bench-boot: deps
	@scripts/bench-boot.sh $${TREE:-$$(scripts/fetch-tree.sh linux-source-6.12)}

clean:
	rm -rf generated/*/ tests/harness/build
