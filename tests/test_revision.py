# SPDX-License-Identifier: GPL-2.0
"""Regenerations (scripts/pgwalk/series/revision.py): apply.sh --previous DIR
compares the new series with an earlier posting of it, on the minitree
posted once (v1) as test_audit.py posts it."""

import re

import pytest

from conftest import run_apply
from test_audit import commit_all, edit, post_minitree

pytestmark = pytest.mark.unit


@pytest.fixture
def posted(tmp_path):
    return post_minitree(tmp_path)


def test_regeneration_against_itself_reports_no_changes(posted, tmp_path):
    v1 = str(tmp_path / "v1")
    r = run_apply("--no-checkpatch", "--previous", v1, posted,
                  str(tmp_path / "v2"))
    assert r.returncode == 0, r.stderr
    assert "no changes; range-diff: every patch unchanged" in r.stdout
    cover = open(tmp_path / "v2" / "0000-cover-letter.patch").read()
    assert "Changes since the previous posting: none" in cover
    rd = (tmp_path / "v2" / "range-diff.txt").read_text()
    assert rd.count(" = ") == 3, rd       # core, mincore, mprotect
    # Into the previous directory itself: read before it is rewritten.
    r = run_apply("--no-checkpatch", "--previous", v1, posted, v1)
    assert r.returncode == 0 and "no changes" in r.stdout, r.stderr


def test_regeneration_says_what_changed(posted, tmp_path):
    edit(posted, "mm/mincore.c", "mmap_read_lock(mm);",
         "mmap_write_lock(mm);")
    edit(posted, "mm/mincore.c", "mmap_read_unlock(mm);",
         "mmap_write_unlock(mm);")
    commit_all(posted, "mincore takes the lock for write")
    r = run_apply("--no-checkpatch", "--previous", str(tmp_path / "v1"),
                  posted, str(tmp_path / "v2"))
    assert r.returncode == 0, r.stderr
    line = "mode changed: mincore_walk_ops (mm/mincore.c), PGWALK_RDLOCK " \
        "-> PGWALK_WRLOCK"
    assert line in r.stdout
    cover = open(tmp_path / "v2" / "0000-cover-letter.patch").read()
    assert line in " ".join(cover.split())      # wrapped at 72 columns
    rd = (tmp_path / "v2" / "range-diff.txt").read_text()
    assert re.search(r"^\d+:\s+\w+ ! \d+:\s+\w+ mm/mincore", rd, re.M), rd


def test_previous_that_is_not_a_series_is_refused(posted, tmp_path):
    (tmp_path / "empty").mkdir()
    r = run_apply("--previous", str(tmp_path / "empty"), posted)
    assert r.returncode == 1
    assert "not an apply.sh output directory" in r.stderr
