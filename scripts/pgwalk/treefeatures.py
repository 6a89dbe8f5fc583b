# SPDX-License-Identifier: GPL-2.0
"""What a kernel tree already has: the walk_lock core, and per-VMA locks.

The analysis, the edits and the bool form each ask this before they
decide what to write.
"""

import os
import re

HEADER = "include/linux/pagewalk.h"

# Directories of a kernel tree whose C files are not the kernel:
# userspace and host tools (a system call named there is libc's, not a
# caller) and host programs of the build (usr/gen_init_cpio.c).  The
# analysis and the build checks both leave them out.
NOT_KERNEL = ("tools/", "scripts/", "samples/", "Documentation/", "usr/")


def _read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def detect(tree):
    """What the tree already has: the core, and per-VMA locks."""
    header = _read(os.path.join(tree, HEADER)) \
        if os.path.exists(os.path.join(tree, HEADER)) else ""
    mm_h = _read(os.path.join(tree, "include", "linux", "mm.h"))
    return {
        "has_core": "enum page_walk_lock" in header or
                    re.search(r"\bwalk_lock\s*;", header) is not None,
        # 6.4 added per-VMA locks; their writer side is vma_start_write().
        "per_vma_lock":
            re.search(r"\bvma_start_write\s*\(", mm_h) is not None,
    }
