# SPDX-License-Identifier: GPL-2.0
"""The conversion's vocabulary, written once: the locking modes a table
can carry, the name of the write twin a split table gets, and how a
function's local table is named when its file has another of its name."""

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


def local_key(function, name):
    """The name of function's local table `name` when its file has
    another table of that name (a local of another function, or a file
    scope one): "function:name".  No C name has a ":"."""
    return "%s:%s" % (function, name)


def table_key(table):
    """The name the edits (annotate-ops.cocci's modes) and the pins give
    a decided table (a decisions.json record, as a dict or a Table)."""
    get = table.get if isinstance(table, dict) else \
        lambda k: getattr(table, k, None)
    if get("shared_name") and get("function"):
        return local_key(get("function"), get("name"))
    return get("name")


def plain_name(key):
    """The table name of a table_key()."""
    return key.rpartition(":")[2]
