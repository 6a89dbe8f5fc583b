# SPDX-License-Identifier: GPL-2.0
"""The lock-state lattice: order, meet, transitions and mode contracts."""

import pytest

from pgwalk.analysis.lockstate import (ChainState, LockState, Mmap, Vma,
                                       contracts_holding,
                                       meet_all, satisfies)

pytestmark = pytest.mark.unit

ROWS = [("PGWALK_RDLOCK", "read", "none"),
        ("PGWALK_WRLOCK", "write", "lock-write"),
        ("PGWALK_WRLOCK_VERIFY", "write", "verify-write"),
        ("PGWALK_VMA_RDLOCK_VERIFY", "none", "verify-read")]

NONE = LockState()
READ = LockState(Mmap.READ)
WRITE = LockState(Mmap.WRITE)
CHANGED = LockState(Mmap.WRITE, Vma.CHANGED)
VMA_READ = LockState(Mmap.NONE, Vma.READ)


def test_order_and_meet():
    assert NONE <= READ <= WRITE <= CHANGED
    assert not WRITE <= READ
    assert not VMA_READ <= WRITE and not WRITE <= VMA_READ
    assert WRITE.meet(READ) == READ
    assert CHANGED.meet(WRITE) == WRITE
    assert VMA_READ.meet(WRITE) == NONE
    assert meet_all([CHANGED, CHANGED]) == CHANGED
    assert meet_all([]) is None


def test_downgrade_is_read():
    got = WRITE.take("vma", "write").downgrade()
    assert got.mmap == Mmap.READ and got.vma == Vma.NONE and got.downgraded
    assert got.word() == "read"
    assert got <= READ and READ <= got
    # A VMA is write-locked only under the mmap lock held for write.
    with pytest.raises(ValueError):
        LockState(Mmap.READ, Vma.WRITE_LOCKED)


def test_transitions():
    assert NONE.take("mmap", "write") == WRITE
    assert WRITE.take("vma", "write") == CHANGED
    assert NONE.take("vma", "read") == VMA_READ
    assert CHANGED.release("mmap") == NONE
    assert VMA_READ.take("mmap", "read").vma == Vma.READ
    assert VMA_READ.release("vma") == NONE


def test_contracts():
    assert contracts_holding([WRITE], ROWS) == ["PGWALK_RDLOCK",
                                                "PGWALK_WRLOCK"]
    assert contracts_holding([CHANGED], ROWS) == [
        "PGWALK_RDLOCK", "PGWALK_WRLOCK", "PGWALK_WRLOCK_VERIFY",
        "PGWALK_VMA_RDLOCK_VERIFY"]
    assert contracts_holding([WRITE, READ], ROWS) == ["PGWALK_RDLOCK"]
    assert contracts_holding([VMA_READ], ROWS) == ["PGWALK_VMA_RDLOCK_VERIFY"]
    assert contracts_holding([VMA_READ, READ], ROWS) == []
    assert contracts_holding([], ROWS) == []
    assert not satisfies(READ.take("mmap", "write").downgrade(),
                         "write", "lock-write")


def test_of_chain():
    assert LockState.of_chain("write") == WRITE
    assert LockState.of_chain("write", vma_changed=True) == CHANGED
    assert LockState.of_chain("read", downgraded=True).downgraded
    assert LockState.of_chain("vma_read") == VMA_READ
    assert LockState.of_chain("unseen") is None


def test_a_chain_that_asserts_the_read_lock_is_worded_held():
    """A path that asserts mmap_assert_locked() holds the mmap lock for
    read or for write: its words say held, the analysis counts it read;
    a lock taken for read, or an assertion of the write lock, keeps its
    state."""
    from pgwalk.analysis import decisions, paths
    words = decisions.Words({})

    def chain(lock, state):
        return paths.Chain({"kind": "lock", "state": state, "file": "a.c",
                            "function": "f", "at": [1, 1], "lock": lock},
                           [])
    assert words.held(chain("mmap_assert_locked", ChainState.READ)) == \
        ChainState.HELD
    assert words.held(chain("mmap_read_lock", ChainState.READ)) == \
        ChainState.READ
    assert words.held(chain("mmap_assert_write_locked",
                            ChainState.WRITE)) == ChainState.WRITE
    # A callback the kernel calls with the read lock held: a caller may
    # hold it for write.
    cb = paths.Chain({"kind": "callback", "state": ChainState.READ,
                      "struct": "vm_operations_struct", "member": "fault",
                      "var": "v", "function": "f", "file": "a.c",
                      "line": 1}, [])
    assert words.held(cb) == ChainState.HELD
    assert "held, for read or for write" in words.origin(cb.origin)
    assert LockState.of_chain(ChainState.HELD) == \
        LockState.of_chain(ChainState.READ)
