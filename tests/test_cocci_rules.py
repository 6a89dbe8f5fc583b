# SPDX-License-Identifier: GPL-2.0
"""The semantic patches stand alone, as the kernel's scripts/coccinelle/
rules do: each runs with plain spatch and the options of its own
`// Options:` line (pgwalk/cocci.py builds every command line of the
toolkit from that line and the rule's `virtual` ones), with no
environment of ours; and every path a header comment names exists."""

import ast
import glob
import os
import re
import shutil
import subprocess

import pytest

from conftest import FIXTURES, REPO
from pgwalk import cocci

pytestmark = pytest.mark.unit

RULES = sorted(glob.glob(os.path.join(REPO, "semantic-patches", "*.cocci")) +
               glob.glob(os.path.join(REPO, "tests", "cocci", "*.cocci")))
MINITREE = os.path.join(FIXTURES, "minitree")


def run_alone(rule, tree=MINITREE):
    """spatch on a fixture tree with the rule's own options, its patch (or
    report) mode, and no PGWALK_* variable: (status, stderr)."""
    options, virtuals = cocci.header(rule)
    mode = [v for v in ("patch", "report") if v in virtuals][:1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PGWALK")}
    proc = subprocess.run(cocci.argv(rule, "--dir", tree, define=mode),
                          capture_output=True, text=True, env=env,
                          timeout=300)
    failed = proc.returncode != 0 or re.search(
        r"Python failure|Traceback|Error", proc.stderr)
    return failed, proc.stderr


@pytest.mark.parametrize("rule", RULES, ids=os.path.basename)
def test_each_rule_runs_alone(rule):
    options, _ = cocci.header(rule)
    assert "--no-includes" in options, "%s: no // Options: line" % rule
    failed, err = run_alone(rule)
    assert not failed, err[-2000:]


def test_a_rule_that_needs_its_environment_fails_alone(tmp_path):
    """split-ops.cocci as it was: a KeyError without PGWALK_SPLITS."""
    with open(os.path.join(REPO, "semantic-patches", "split-ops.cocci")) as f:
        text = f.read()
    fixed = re.search(r"SPLITS = \{\}\nif os.*?json.load\(f\)\n", text,
                      re.S)
    assert fixed, "split-ops.cocci no longer reads PGWALK_SPLITS this way"
    rule = tmp_path / "split-ops.cocci"
    rule.write_text(text.replace(fixed.group(0), "SPLITS = json.load(open("
                                 "os.environ[\"PGWALK_SPLITS\"]))\n"))
    failed, err = run_alone(str(rule))
    assert failed and "KeyError: 'PGWALK_SPLITS'" in err, err


def test_the_command_line_is_the_rules_own(tmp_path):
    rule = tmp_path / "r.cocci"
    rule.write_text("// Options: --no-includes --include-headers\n"
                    "virtual patch\nvirtual per_vma_lock\n")
    assert cocci.argv(str(rule), "a.c", define=["patch"]) == [
        "spatch", "--very-quiet", "--no-includes", "--include-headers",
        "--use-coccigrep", "-D", "patch", "--sp-file", str(rule), "a.c"]
    # A file changed in place: no diff of it on stdout.
    assert cocci.argv(str(rule), "--in-place", "a.c")[:6] == [
        "spatch", "--very-quiet", "--no-includes", "--include-headers",
        "--use-coccigrep", "--no-show-diff"]
    with pytest.raises(cocci.CocciError) as err:
        cocci.argv(str(rule), "a.c", define=["report"])
    assert "-D report: not a virtual of the rule" in str(err.value)


def test_the_runners_options_change_no_answer():
    """--use-coccigrep only finds in spatch's own process the files whose
    tokens the rule needs: tables.cocci (which needs some) prints the same
    facts of the minitree's files with it as without."""
    rule = os.path.join(REPO, "semantic-patches", "tables.cocci")
    tree = MINITREE
    files = sorted(os.path.relpath(os.path.join(d, n), tree)
                   for d, _, names in os.walk(tree) for n in names
                   if n.endswith((".c", ".h")))
    ours = cocci.argv(rule, *files)
    plain = [a for a in ours if a not in cocci.RUNNER_OPTIONS]
    assert plain != ours
    out = [subprocess.run(a, cwd=tree, capture_output=True, text=True,
                          check=True).stdout for a in (ours, plain)]
    assert out[0] and out[0] == out[1]


# Paths of the toolkit a header may name; scripts/checkpatch.pl and the
# like are the kernel tree's own and are not checked here.
OURS = re.compile(r"(?<![\w/.-])((?:scripts/pgwalk|pgwalk|semantic-patches|"
                  r"reference|tests|docs|decisions)/[\w./*-]*[\w*]|"
                  r"scripts/[\w-]+\.(?:sh|conf))")
HEADERS = ("semantic-patches/*.cocci", "tests/cocci/*.cocci",
           "scripts/**/*.py", "scripts/*.sh", "scripts/boot/*.sh",
           "tests/*.py", "Makefile")


def header(path):
    """The module docstring of a Python file, the leading comment lines of
    any other."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith(".py"):
        return ast.get_docstring(ast.parse(text)) or ""
    lines = []
    for line in text.splitlines():
        if line.strip() and not line.startswith(("#", "//")):
            break
        lines.append(line)
    return "\n".join(lines)


def missing_paths(root):
    out = []
    for pattern in HEADERS:
        for path in sorted(glob.glob(os.path.join(root, pattern),
                                     recursive=True)):
            for m in OURS.finditer(header(path)):
                named = m.group(1).rstrip(".")
                if named.startswith("pgwalk/"):
                    named = "scripts/" + named
                if not glob.glob(os.path.join(root, named)):
                    out.append("%s: %s" % (os.path.relpath(path, root),
                                           named))
    return out


def test_every_path_a_header_names_exists():
    assert missing_paths(REPO) == []


def test_a_moved_path_in_a_header_is_found(tmp_path):
    (tmp_path / "semantic-patches").mkdir()
    (tmp_path / "scripts" / "pgwalk" / "series").mkdir(parents=True)
    (tmp_path / "scripts" / "pgwalk" / "series" / "edits.py").write_text("")
    (tmp_path / "semantic-patches" / "r.cocci").write_text(
        "/// Run by scripts/pgwalk/edits.py, which moved, and by\n"
        "/// scripts/pgwalk/series/edits.py, which did not.\n\n@r@\n@@\n")
    assert missing_paths(str(tmp_path)) == [
        "semantic-patches/r.cocci: scripts/pgwalk/edits.py"]


def test_emit_is_written_once():
    """The rules that print facts with emit() import it, none copies it."""
    emitting = set()
    for rule in RULES:
        with open(rule) as f:
            text = f.read()
        assert "def emit" not in text, rule
        if "emit(" in text:
            assert "from pgwalk_emit import" in text, rule
            emitting.add(os.path.basename(rule))
    assert emitting == {"bool-facts.cocci", "calls.cocci", "contract.cocci",
                        "facts.cocci", "tables.cocci"}


def test_a_copy_of_a_rule_runs_alone_from_anywhere(tmp_path, monkeypatch):
    """What facts.py runs: a rule's text written elsewhere, with its
    library beside it (write_rule()), and spatch started in a third
    directory with a relative --sp-file."""
    rule = os.path.join(REPO, "semantic-patches", "tables.cocci")
    (tmp_path / "rules").mkdir()
    (tmp_path / "cwd").mkdir()
    with open(rule) as f:
        cocci.write_rule(str(tmp_path / "rules" / "t.cocci"), f.read(), rule)
    monkeypatch.chdir(tmp_path / "cwd")
    proc = subprocess.run(cocci.argv("../rules/t.cocci", "--dir", MINITREE),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, \
        proc.stderr[-2000:]
    assert '"kind": "table"' in proc.stdout
    # No bytecode beside the rules: the checkout stays as it is.
    assert sorted(os.listdir(tmp_path / "rules")) == [cocci.LIBRARY,
                                                      "t.cocci"]


def test_a_changed_library_changes_the_digest(tmp_path):
    """Caches keyed on a rule (contract.py, edits.py) key on emit()'s
    file too."""
    shutil.copytree(os.path.join(REPO, "semantic-patches"),
                    tmp_path / "sp")
    rule = str(tmp_path / "sp" / "contract.cocci")
    before = cocci.digest(rule)
    with open(cocci.library(rule), "a") as f:
        f.write("# changed\n")
    assert cocci.digest(rule) != before


def test_small_files_share_one_spatch_process():
    """A batch is split off only when it has a start-up's worth of
    bytes to read: two small files take one process, not two; large
    ones are shared out by size between the jobs."""
    small = {"a.c": 4000, "b.c": 3000}
    assert cocci.batches(small, 2) == [(7000, ["a.c", "b.c"])]
    big = cocci.MIN_BATCH_BYTES
    large = {"a.c": 3 * big, "b.c": 2 * big, "c.c": big}
    assert cocci.batches(large, 2) == [(3 * big, ["a.c"]),
                                       (3 * big, ["b.c", "c.c"])]
    assert cocci.batches(large, 8) == [(3 * big, ["a.c"]),
                                       (2 * big, ["b.c"]), (big, ["c.c"])]
    assert cocci.batches({}, 2) == []
