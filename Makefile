# SPDX-License-Identifier: GPL-2.0
# Page-walk locking series toolkit.  `make help` lists the targets: each
# one's line is the "## " comment on its rule below.
#
# Variables: TREE=<kernel tree> (default: the cached 6.1 tree),
# TREE_NEW=<a tree that carries the conversion, for check> (default: 6.12),
# OUT=<series dir>, JOBS=<n>, ARCH_LIST=<arches for build-check>,
# PREVIOUS=<the rc before TREE, for bench-build> (default: Debian's 6.1.190,
# two stable releases before the default tree).

SHELL := /bin/bash
JOBS ?= $(shell nproc)
PKG ?= linux-source-6.1
PREVIOUS_PKG ?= linux-source-6.1=6.1.190-1
ARCH_LIST ?= x86_64
PYTEST := /usr/bin/python3 -m pytest
# The unit tests in parallel, one process per core, when pytest-xdist is
# installed (scripts/install-deps.sh installs it).
XDIST := $(shell /usr/bin/python3 -c 'import xdist' 2>/dev/null && \
	echo "-n auto --dist loadgroup")
# The tests start Python hundreds of times (apply.sh, verify-build.sh...):
# each compiles every module again when the environment sets
# PYTHONDONTWRITEBYTECODE (0.44 s to a refused apply.sh, 0.18 s with
# compiled modules).  They are kept in the run's scratch directory, never
# beside the source.
pycache = env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX="$$scratch/pycache"
# TREE is resolved at run time so that `make check` alone never downloads.
tree = $${TREE:-$$(scripts/fetch-tree.sh $(PKG))}

.PHONY: all deps series build-check check check-fast check-one-core \
	check-busy lint bench bench-build bench-boot bench-tests audit clean help

all: build-check ## deps, fetch Linux 6.1, write its series, build-check it

deps: ## install the Debian packages the toolkit needs
	@scripts/install-deps.sh

series: deps ## write the series to generated/, no build check
	@t=$(tree) && out=$${OUT:-generated/$$(basename "$$t")} && \
	scripts/apply.sh --jobs $(JOBS) "$$t" "$$out"

# The series again once it is built (a warm run, seconds): its cover
# letter's Testing section then says what was built, not "not built".
build-check: series ## build each commit of the series for ARCH_LIST
	@t=$(tree) && out=$${OUT:-generated/$$(basename "$$t")} && \
	scripts/verify-build.sh --arch $(ARCH_LIST) --jobs $(JOBS) \
		--out "$$out/build" "$$t" && \
	echo "build-check: the cover letter's Testing section, from" \
		"$$out/build" && \
	scripts/apply.sh --quiet --jobs $(JOBS) "$$t" "$$out"

# The tests also use a tree that already carries the conversion (6.12).
# Their files go to a private directory removed at the end, as check-fast's:
# a run makes about 8 GB of kernel tree copies, and pytest's own
# /tmp/pytest-of-$USER keeps the last three runs (a CI run once failed on
# a full disk that old runs had filled).
check: deps ## run every test tier: unit, tree, build, boot
	@t=$(tree) && n=$${TREE_NEW:-$$(scripts/fetch-tree.sh linux-source-6.12)} && \
	scratch=$$(mktemp -d) && \
	PGWALK_TREE=$$t PGWALK_TREE_NEW=$$n $(pycache) $(PYTEST) -q \
		--basetemp "$$scratch/tmp" tests; \
	status=$$?; rm -rf "$$scratch"; exit $$status

# The suite on a busy machine (issue 20): on one core, and beside a CPU
# hog per core.  Tests wait for events, not for times.
check-one-core: ## make check on one core (taskset -c 0)
	taskset -c 0 $(MAKE) check

check-busy: ## make check beside a CPU hog on every core
	@hogs=; for i in $$(seq $$(nproc)); do \
		sh -c 'while :; do :; done' & hogs="$$hogs $$!"; done; \
	$(MAKE) check; status=$$?; kill $$hogs; exit $$status

# No deps and no tree: nothing here may reach the network.  The scratch
# directory is private and removed at the end: pytest's own rotation of
# /tmp/pytest-of-$USER would also delete what earlier runs left there
# (copies of kernel trees, minutes of work for the disk).  It is on tmpfs
# (/dev/shm) when that runs programs: the unit tests make thousands of
# small files and processes, which waited on a disk other jobs kept busy.
check-fast: ## the unit tests only: no tree, network, build or QEMU
	@scratch=$$(mktemp -d -p /dev/shm 2>/dev/null) && \
	printf '#!/bin/sh\n' > "$$scratch/exec" && chmod +x "$$scratch/exec" && \
	"$$scratch/exec" && rm "$$scratch/exec" || \
	{ rm -rf "$$scratch"; scratch=$$(mktemp -d); } && \
	env -u PGWALK_TREE -u PGWALK_TREE_NEW $(pycache) \
		$(PYTEST) -q -m unit $(XDIST) \
		--basetemp "$$scratch" tests; \
	status=$$?; rm -rf "$$scratch"; exit $$status

lint: deps ## shellcheck, flake8, SPDX lines, checkpatch.pl
	@scripts/lint.sh

audit: deps ## declared modes vs the analysis (default: 6.12)
	@t=$${TREE:-$$(scripts/fetch-tree.sh linux-source-6.12)} && \
	scripts/apply.sh --audit --jobs $(JOBS) "$$t"

bench: deps ## time apply.sh; figures into docs/benchmarks.md
	@scripts/bench.sh "$(tree)" "$$(scripts/fetch-tree.sh linux-source-6.12)"

bench-build: series ## time verify-build; figures into docs/benchmarks.md
	@scripts/bench-build.sh "$(tree)" \
		"$${PREVIOUS:-$$(scripts/fetch-tree.sh $(PREVIOUS_PKG))}"

bench-boot: deps ## time the boot test; figures into docs/benchmarks.md
	@scripts/bench-boot.sh $${TREE:-$$(scripts/fetch-tree.sh linux-source-6.12)}

bench-tests: deps ## time check-fast, empty cache then warm; into docs/benchmarks.md
	@scripts/bench-tests.sh

clean: ## remove the generated series and the harness build
	rm -rf generated/*/ tests/harness/build

help: ## this list
	@sed -n 's/^\([a-z-]*\):.*## \(.*\)/\1\t\2/p' $(MAKEFILE_LIST) | \
		awk -F'\t' '{ printf "  make %-12s %s\n", $$1, $$2 }'
