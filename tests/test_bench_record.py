# SPDX-License-Identifier: GPL-2.0
"""scripts/bench-record.sh: a bench's figures, printed and kept in its
own section of docs/benchmarks.md with the date, the machine and the
load; the other benches' sections are left as they were."""

import os
import re
import subprocess

import pytest

from conftest import REPO

pytestmark = pytest.mark.unit

RECORD = os.path.join(REPO, "scripts", "bench-record.sh")


def record(doc, name, figures, load="0.50 0.40 0.30"):
    return subprocess.run([RECORD, name, load], input=figures, text=True,
                          capture_output=True, check=True,
                          env=dict(os.environ, BENCH_DOC=str(doc)))


def sections(text):
    return {m.group(1): m.group(2) for m in re.finditer(
        r"(?ms)^## (.*?)\n(.*?)(?=^## |\Z)", text)}


def test_each_bench_rewrites_its_own_section(tmp_path):
    doc = tmp_path / "docs" / "benchmarks.md"
    r = record(doc, "make bench", "cold 39.3 s\n")
    assert r.stdout == "cold 39.3 s\n"
    record(doc, "make bench-boot", "warm 35 s\n")
    record(doc, "make bench", "cold 41.0 s\nwarm 1.2 s\n", "1.00 2.00 3.00")
    text = doc.read_text()
    assert text.startswith("# Benchmarks\n")
    got = sections(text)
    assert list(got) == ["make bench", "make bench-boot"]
    assert "cold 41.0 s\nwarm 1.2 s\n" in got["make bench"]
    assert "39.3" not in text
    assert "warm 35 s\n" in got["make bench-boot"]
    said = " ".join(got["make bench"].split())
    assert re.search(r"Measured \d{4}-\d\d-\d\d \d\d:\d\d UTC on .* \(%d "
                     r"cores\)" % os.cpu_count(), said), said
    assert "1.00 2.00 3.00 at the start" in said
    assert re.search(r"[\d.]+ [\d.]+ [\d.]+ at the end", said), said


def test_the_repository_doc_has_a_section_per_bench():
    with open(os.path.join(REPO, "docs", "benchmarks.md")) as f:
        got = sections(f.read())
    for name in ("make bench", "make bench-build", "make bench-boot"):
        assert name in got
    for script in ("bench.sh", "bench-build.sh", "bench-boot.sh"):
        with open(os.path.join(REPO, "scripts", script)) as f:
            assert "bench-record.sh" in f.read(), script
