# SPDX-License-Identifier: GPL-2.0
"""The conversion's vocabulary, written once: the locking modes a table
can carry, and the name of the write twin a split table gets."""

RDLOCK, WRLOCK, WRLOCK_VERIFY = ("PGWALK_RDLOCK", "PGWALK_WRLOCK",
                                 "PGWALK_WRLOCK_VERIFY")
# In the order of enum page_walk_lock (reference/pagewalk.h).
MODES = (RDLOCK, WRLOCK, WRLOCK_VERIFY)
# The modes under which the walker holds the mmap lock for writing.
WRITE_MODES = (WRLOCK, WRLOCK_VERIFY)


def twin_name(name):
    """The write twin of a table used both ways, named as upstream names
    such twins: "_lock_vma" before the table's "_walk_ops" (or "_ops")
    suffix, or after a name without one."""
    for suffix in ("_walk_ops", "_ops"):
        if name.endswith(suffix):
            return name[:-len(suffix)] + "_lock_vma" + suffix
    return name + "_lock_vma"


# The bool a split table's walking function takes to choose between the
# table and its twin (true: the twin), as upstream names it.
TWIN_FLAG = "lock_vma"
