# SPDX-License-Identifier: GPL-2.0
"""The conversion's vocabulary."""

import pytest

from pgwalk import convention

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("name, twin", [
    # Upstream's own twin (Linux 6.5, mm/mempolicy.c).
    ("queue_pages_walk_ops", "queue_pages_lock_vma_walk_ops"),
    ("flag_ops", "flag_lock_vma_ops"),
    ("walker", "walker_lock_vma"),
])
def test_twin_name(name, twin):
    assert convention.twin_name(name) == twin


def test_modes_are_the_enum_in_its_order():
    with open(convention.__file__.replace(
            "scripts/pgwalk/convention.py", "reference/pagewalk.h")) as f:
        text = f.read()
    enum = text[text.index("enum page_walk_lock"):]
    enum = enum[:enum.index("};")]
    assert [m for m in convention.MODES if m in enum] == \
        list(convention.MODES)
    assert sorted(convention.MODES, key=enum.index) == \
        list(convention.MODES)
