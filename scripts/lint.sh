#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Lint the toolkit (make lint): shellcheck on its shell scripts, flake8 on
# its Python (settings in .flake8), and the kernel's own checkpatch.pl
# (--no-tree -f) on its C files.  Every finding is printed; the exit
# status is 1 when there is one.
#
# Usage: scripts/lint.sh [--tree TREE] [DIR]
#   DIR   the checkout to lint (default: this one; the tests lint a copy
#         with mistakes planted in it)
#   TREE  a kernel tree whose scripts/checkpatch.pl is used (default:
#         $TREE, else Debian's linux-source-6.1 from scripts/fetch-tree.sh,
#         downloaded once and cached)
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
tree=${TREE:-}
while [ $# -gt 0 ]; do
	case $1 in
	--tree) tree=$2; shift 2 ;;
	-*) echo "lint: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
dir=${1:-$here}
cd "$dir" || exit 2
if [ -z "$tree" ]; then
	tree=$("$here/scripts/fetch-tree.sh" linux-source-6.1) || exit 2
fi
checkpatch=$tree/scripts/checkpatch.pl
if [ ! -f "$checkpatch" ]; then
	echo "lint: no scripts/checkpatch.pl in $tree" >&2
	exit 2
fi
for tool in shellcheck flake8; do
	command -v "$tool" >/dev/null || {
		echo "lint: $tool not installed (scripts/install-deps.sh)" >&2
		exit 2
	}
done

status=0
mapfile -t scripts < <(grep -lE '^#!.*\b(ba)?sh\b' .ci/run scripts/*.sh \
	scripts/boot/*.sh 2>/dev/null)
echo "lint: shellcheck, ${#scripts[@]} shell scripts" >&2
if [ ${#scripts[@]} -gt 0 ]; then
	shellcheck "${scripts[@]}" || status=1
fi

mapfile -t python < <(find scripts/pgwalk semantic-patches tests \
	-name '*.py' 2>/dev/null | sort)
echo "lint: flake8, ${#python[@]} Python files" >&2
if [ ${#python[@]} -gt 0 ]; then
	flake8 "${python[@]}" || status=1
fi

# Every source file says its licence on its first line (the second
# after a #! line), as the kernel's own do.  The fixtures imitate kernel
# files line for line and are left out (checkpatch below skips them too).
mapfile -t sources < <(find Makefile .ci scripts semantic-patches reference \
	tests -path tests/fixtures -prune -o -type f \( -name '*.py' -o \
	-name '*.sh' -o -name '*.cocci' -o -name '*.[ch]' -o -name Makefile \
	-o -path .ci/run \) -print 2>/dev/null | sort)
echo "lint: SPDX-License-Identifier, ${#sources[@]} files" >&2
for f in "${sources[@]}"; do
	line=$(sed -n '1{/^#!/!p};2p' "$f" | head -1)
	case $line in
	*"SPDX-License-Identifier: GPL-2.0"*) ;;
	*) echo "$f:1: no SPDX-License-Identifier: GPL-2.0 line"; status=1 ;;
	esac
done

mapfile -t cfiles < <(find reference scripts tests -name '*.[ch]' \
	2>/dev/null | sort)
echo "lint: checkpatch.pl --no-tree -f, ${#cfiles[@]} C files" >&2
plain=() fixtures=() compiled=() userspace=()
for f in "${cfiles[@]}"; do
	case $f in
	# A deliberate syntax error: the analysis must refuse it.
	tests/fixtures/analysis/unparsable.c) ;;
	# Imitations of kernel files, cut down: the line numbers the tests
	# name start at line 1, with no licence line before them.  The rest
	# of the kernel's style holds for them.
	# A small kbuild tree that is compiled at W=1: its .c files declare
	# their functions' prototypes themselves (-Wmissing-prototypes), and
	# its kconfig.h defines IS_ENABLED() as the kernel's own does.
	tests/fixtures/cctree/*) compiled+=("$f") ;;
	tests/fixtures/*) fixtures+=("$f") ;;
	# A userspace program: a flag its signal handler sets must be
	# volatile sig_atomic_t (C11 7.14.1.1), which checkpatch's kernel
	# rule against volatile does not know.
	scripts/boot/workload.c) userspace+=("$f") ;;
	*) plain+=("$f") ;;
	esac
done
checkpatch() {
	[ $# -le 1 ] && return 0	# no files in this group
	perl "$checkpatch" --no-tree -f --terse --no-color --no-summary "$@"
}
checkpatch -- "${plain[@]}" || status=1
checkpatch --ignore SPDX_LICENSE_TAG -- "${fixtures[@]}" || status=1
checkpatch --ignore VOLATILE -- "${userspace[@]}" || status=1
checkpatch --ignore SPDX_LICENSE_TAG,AVOID_EXTERNS,IS_ENABLED_CONFIG -- \
	"${compiled[@]}" || status=1
[ $status = 0 ] && echo "lint: clean" >&2
exit $status
