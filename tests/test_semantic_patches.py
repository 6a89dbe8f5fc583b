# SPDX-License-Identifier: GPL-2.0
"""The semantic patches read like the kernel's scripts/coccinelle/: a
licence line, a `///` description, Confidence and Options headers (flags
only, as coccicheck passes them to spatch), and a report mode that prints
what the rule sees as `file:line: message` wherever one is declared."""

import glob
import os
import re
import shutil
import subprocess

import pytest

from conftest import FIXTURES, REPO
from pgwalk import cocci
from pgwalk.analysis import facts

pytestmark = pytest.mark.unit

RULES = sorted(glob.glob(os.path.join(REPO, "semantic-patches", "*.cocci")))
REPORT_LINE = re.compile(r"^local_read\.c:\d+(?::\d+-\d+)?: \S.*$")


@pytest.mark.parametrize("path", RULES, ids=os.path.basename)
def test_headers_are_the_kernels(path):
    with open(path) as f:
        lines = f.read().split("\n")
    assert lines[0] == "// SPDX-License-Identifier: GPL-2.0-only"
    assert lines[1].startswith("/// ")
    headers = {m.group(1): m.group(2) for m in
               (re.match(r"^// (\w+): (.*)$", l) for l in lines) if m}
    assert headers.get("Confidence") in ("High", "Moderate", "Low")
    options = headers.get("Options", "").split()
    assert options and all(o.startswith("--") for o in options), options


def report(tmp_path, rule_text, *options):
    """spatch -D report of a rule on the local-read fixture."""
    shutil.copy(os.path.join(FIXTURES, "analysis", "local_read.c"),
                tmp_path / "local_read.c")
    # With the emit() it imports (every rule here is of one directory).
    cocci.write_rule(str(tmp_path / "rule.cocci"), rule_text,
                     facts.FACTS_COCCI)
    r = subprocess.run(["spatch", "--very-quiet", "--no-includes",
                        *options, "-D", "report", "--sp-file", "rule.cocci",
                        "local_read.c"], cwd=tmp_path, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    out = r.stdout.splitlines()
    assert out and all(REPORT_LINE.match(l) for l in out), out
    return out


def test_every_rule_declaring_report_implements_it():
    declared = {os.path.basename(p) for p in RULES
                if re.search(r"^virtual report$", open(p).read(), re.M)}
    assert declared == {"annotate-ops.cocci", "calls.cocci", "facts.cocci"}


def test_facts_report(tmp_path):
    out = report(tmp_path, facts.rule_text(["walk_page_range"]),
                 "--allow-inconsistent-paths")
    assert "local_read.c:2: table function=local_read_ops " \
        "name=local_read_ops" in out
    assert "local_read.c:10: lock function=local_read " \
        "name=mmap_read_lock" in out


def test_calls_report(tmp_path):
    out = report(tmp_path, facts.rule_text(
        ["walk_page_range"], names=["walk_page_range"],
        path=facts.CALLS_COCCI), "--allow-inconsistent-paths")
    assert "local_read.c:11: call args=mm , 0 , 100 , & local_read_ops , " \
        "NULL callee=walk_page_range function=local_read" in out
    assert "local_read.c:11: state by=[10, 1] function=local_read " \
        "state=read" in out


def test_annotate_ops_report(tmp_path):
    with open(os.path.join(REPO, "semantic-patches",
                           "annotate-ops.cocci")) as f:
        out = report(tmp_path, f.read())
    assert out == ["local_read.c:2:32-46: struct mm_walk_ops local_read_ops "
                   "has no walk_lock"]


def lock_states(rules=None):
    """{(walk line, state, line of the event)} of calls.cocci on
    lock_states.c, and what the fixture's comments say they are."""
    fixture = os.path.join(FIXTURES, "analysis", "lock_states.c")
    with open(fixture) as f:
        lines = f.read().split("\n")
    tags = {m.group(1): n for n, l in enumerate(lines, 1)
            for m in [re.search(r";\t+/\* (\w+) \*/$", l)] if m}
    wanted = {(n + 1, state, tags[tag])
              for n, l in enumerate(lines, 1)
              for m in [re.match(r"^\t/\* in (.*) \*/$", l)] if m
              for state, tag in (w.split("@") for w in m.group(1).split())}
    ex = facts.Extractor(os.path.dirname(fixture), ["walk_page_range"],
                         jobs=1, cache=facts.Cache(enabled=False))
    text = facts.rule_text(ex.walkers, {"try_lock": [["mmap", "read"],
                                                     ["vma", "read"]]},
                           names=["walk_page_range", "walk_page_vma"],
                           path=rules or facts.CALLS_COCCI)
    got = ex._run_all([(text, ["lock_states.c"])])[0]["lock_states.c"]
    return {(f["line"], f["state"], f["by"][0] if f["by"] else None)
            for f in got["facts"] if f["kind"] == "state"}, wanted


def test_calls_lock_states():
    """Each state after the event that starts it, until one that ends
    it: another mmap event ends write and read, any mmap or per-VMA one
    ends released and vma_read; a two-lock helper's two states end
    apart."""
    got, wanted = lock_states()
    assert len(wanted) == 10
    assert got == wanted
