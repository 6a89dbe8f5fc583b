# SPDX-License-Identifier: GPL-2.0
"""Lock state on one path to a walk, as a small lattice.

A path reaches a walk holding some of the mm's locks.  Two independent
parts say what holds:

- Mmap: the mmap lock -- NONE < READ < WRITE.  A write lock downgraded
  (mmap_write_downgrade()) is READ: from the downgrade on, readers may
  run beside the walk, so a path through one counts as read, and
  LockState.downgraded keeps that it was once write (for the evidence).
- Vma: what holds of the walked VMA -- NONE; READ (a per-VMA read lock
  taken, lock_vma_under_rcu() and the like); WRITE_LOCKED (write-locked,
  which needs the mmap lock for write); CHANGED (changed under that write
  lock: its flags written, which write-locks it in trees with per-VMA
  locks).  NONE < READ and NONE < WRITE_LOCKED < CHANGED; READ and
  WRITE_LOCKED are not ordered (one does not give the other).

A trylock counts only on its success paths: the facts give those (a walk
under `if (mmap_read_trylock(mm))`), failure paths leave without the lock.

The meet of two states (what holds on both of two paths) is the weakest
of each part; "a mode's contract holds on every path" is the contract
holding of the meet of the paths' states, which is what satisfies()
answers for one state.

A contract is (mmap need, vma action), the columns of the modes' table
(the walker contract, contract.py, derives it from the tree's
core): mmap need "none", "read" (held) or "write" (held for write); vma
action "none", "lock-write" (the core write-locks each VMA: needs the
mmap lock for write), "verify-write" (asserts each VMA write-locked),
"verify-read" (asserts each VMA locked, read or write).
"""

import enum


class ChainState(str, enum.Enum):
    """The lock a path to a walk holds from its start on (paths.Chain.state,
    the "lock" of a chain in decisions.json).  A closed set: the stages
    after the analysis test these, never the words that explain them.  A
    str, so that decisions.json stays as it was."""
    WRITE = "write"         # the mmap lock for write
    READ = "read"           # the mmap lock for read (or downgraded to it)
    VMA_READ = "vma_read"   # a per-VMA read lock, no mmap lock
    NONE = "none"           # no lock: the walker would reject the path
    UNSEEN = "unseen"       # the start could not be followed
    # The mmap lock held, for read or for write: the path asserts it
    # (mmap_assert_locked()) rather than takes it.  Only in the words of
    # a chain (decisions.json, the messages); the analysis reasons with
    # READ, what such a path holds at least.
    HELD = "held"

    # The word, not "ChainState.READ", wherever it is printed.
    __str__ = str.__str__
    __format__ = str.__format__


def asserts_held(prim):
    """Does a lock primitive (lock, strength, action) of locks.conf only
    assert that the mmap lock is held, for read or for write?  A path
    from it is ChainState.HELD in words (decisions.Words, claims)."""
    return tuple(prim) == ("mmap", "read", "assert")


class Mmap(enum.IntEnum):
    NONE = 0
    READ = 1
    WRITE = 2


class Vma(enum.Enum):
    NONE = "none"
    READ = "read"
    WRITE_LOCKED = "write-locked"
    CHANGED = "changed"


# What each Vma state gives: the states at or below it.
_VMA_BELOW = {
    Vma.NONE: {Vma.NONE},
    Vma.READ: {Vma.NONE, Vma.READ},
    Vma.WRITE_LOCKED: {Vma.NONE, Vma.WRITE_LOCKED},
    Vma.CHANGED: {Vma.NONE, Vma.WRITE_LOCKED, Vma.CHANGED},
}


def vma_leq(a, b):
    """Does b give everything a gives?"""
    return a in _VMA_BELOW[b]


def vma_meet(a, b):
    """The strongest Vma state both a and b give."""
    common = _VMA_BELOW[a] & _VMA_BELOW[b]
    for v in (Vma.CHANGED, Vma.WRITE_LOCKED, Vma.READ):
        if v in common:
            return v
    return Vma.NONE


class LockState:
    """What holds on one path (immutable)."""

    __slots__ = ("mmap", "vma", "downgraded", "trylock")

    def __init__(self, mmap=Mmap.NONE, vma=Vma.NONE, downgraded=False,
                 trylock=False):
        if vma in (Vma.WRITE_LOCKED, Vma.CHANGED) and mmap != Mmap.WRITE:
            raise ValueError("a VMA is write-locked only under the mmap "
                             "lock held for write")
        object.__setattr__(self, "mmap", Mmap(mmap))
        object.__setattr__(self, "vma", Vma(vma))
        object.__setattr__(self, "downgraded", bool(downgraded))
        object.__setattr__(self, "trylock", bool(trylock))

    def __setattr__(self, name, value):
        raise AttributeError("LockState is immutable")

    def _key(self):
        return (self.mmap, self.vma, self.downgraded, self.trylock)

    def __eq__(self, other):
        return isinstance(other, LockState) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        extra = "".join([", downgraded" if self.downgraded else "",
                         ", trylock" if self.trylock else ""])
        return "LockState(%s, %s%s)" % (
            self.mmap.name, self.vma.name, extra)

    def __le__(self, other):
        """self is weaker than (or equal to) other."""
        return self.mmap <= other.mmap and vma_leq(self.vma, other.vma)

    def meet(self, other):
        mmap = min(self.mmap, other.mmap)
        vma = vma_meet(self.vma, other.vma)
        if mmap != Mmap.WRITE and vma in (Vma.WRITE_LOCKED, Vma.CHANGED):
            vma = Vma.NONE
        return LockState(mmap, vma, self.downgraded or other.downgraded,
                         self.trylock or other.trylock)

    # --------------------------------------------------- transitions

    def take(self, lock, strength):
        """After a lock of locks.conf is taken (or asserted) on the path."""
        if lock == "mmap":
            mmap = Mmap.WRITE if strength == "write" else Mmap.READ
            vma = self.vma if mmap == Mmap.WRITE else (
                Vma.READ if self.vma == Vma.READ else Vma.NONE)
            return LockState(mmap, vma, False, self.trylock)
        if strength == "read":
            return LockState(self.mmap, Vma.READ if self.vma == Vma.NONE
                             else self.vma, self.downgraded, self.trylock)
        # A VMA write-locked (or its flags written) under the write lock.
        return LockState(self.mmap, Vma.CHANGED, self.downgraded,
                         self.trylock)

    def downgrade(self):
        """mmap_write_downgrade(): the write lock becomes a read lock."""
        return LockState(Mmap.READ, Vma.NONE, True, self.trylock)

    def release(self, lock):
        if lock == "mmap":
            return LockState(Mmap.NONE, Vma.READ if self.vma == Vma.READ
                             else Vma.NONE, False, self.trylock)
        return LockState(self.mmap, Vma.NONE if self.vma == Vma.READ
                         else self.vma, self.downgraded, self.trylock)

    # --------------------------------------------------- the analysis'

    # The lock a chain's origin gives (paths.Chain.state) as a state.
    _CHAIN = {
        ChainState.WRITE: (Mmap.WRITE, Vma.NONE),
        ChainState.READ: (Mmap.READ, Vma.NONE),
        ChainState.HELD: (Mmap.READ, Vma.NONE),
        ChainState.VMA_READ: (Mmap.NONE, Vma.READ),
        ChainState.NONE: (Mmap.NONE, Vma.NONE),
    }

    @classmethod
    def of_chain(cls, state, downgraded=False, vma_changed=False):
        """The state of a chain (a ChainState); None for UNSEEN (no state
        is known)."""
        if state not in cls._CHAIN:
            return None
        mmap, vma = cls._CHAIN[state]
        if vma_changed and mmap == Mmap.WRITE:
            vma = Vma.CHANGED
        return cls(mmap, vma, downgraded and mmap == Mmap.READ)

    def word(self):
        """The ChainState the evidence uses for this state."""
        if self.mmap == Mmap.WRITE:
            return ChainState.WRITE
        if self.mmap == Mmap.READ:
            return ChainState.READ
        return ChainState.VMA_READ if self.vma == Vma.READ else \
            ChainState.NONE


MMAP_NEEDS = {"none": Mmap.NONE, "read": Mmap.READ, "write": Mmap.WRITE}


def satisfies(state, mmap_need, vma_action):
    """Does a path in this state meet a mode's contract (mmap need, vma
    action)?  The core's assertions must pass and its VMA action must be
    allowed: write-locking a VMA needs the mmap lock for write."""
    if state.mmap < MMAP_NEEDS[mmap_need]:
        return False
    if vma_action == "none":
        return True
    if vma_action == "lock-write":
        return state.mmap == Mmap.WRITE
    if vma_action == "verify-write":
        return state.vma in (Vma.WRITE_LOCKED, Vma.CHANGED)
    if vma_action == "verify-read":
        return state.vma != Vma.NONE
    raise ValueError("unknown VMA action %r" % vma_action)


def meet_all(states):
    """What holds on every one of the paths (None for no path)."""
    out = None
    for s in states:
        out = s if out is None else out.meet(s)
    return out


def contracts_holding(states, rows):
    """The modes of rows ((mode, mmap need, vma action), in order) whose
    contract holds on every one of the paths' states."""
    states = list(states)
    return [mode for mode, mmap, vma in rows
            if states and all(satisfies(s, mmap, vma) for s in states)]
