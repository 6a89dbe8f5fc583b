# SPDX-License-Identifier: GPL-2.0
"""Imports point one way, down the pipeline: a stage may use the shared
modules and the stages before it, never one after it.

    shared modules (scripts/pgwalk/*.py: runner, gitops, memo, ...)
      < analysis/ < series/ < forms/ < proofs/ < apply.py

Shared code that two stages need lives beside runner.py, not inside the
first stage that wrote it.  Every import counts, the ones inside
functions too.
"""

import ast
import functools
import os
import shutil

import pytest

from conftest import REPO

pytestmark = pytest.mark.unit

PACKAGE = os.path.join(REPO, "scripts", "pgwalk")

# Rank of each layer: an import may go to the same rank or a lower one.
SHARED = 0
STAGES = {"analysis": 1, "series": 2, "forms": 3, "proofs": 4}
ENTRY = {"apply": 5}


def rank(module):
    """Layer of a dotted module name under pgwalk (None: not ours)."""
    parts = module.split(".")
    if parts[0] != "pgwalk":
        return None
    if len(parts) == 1:
        return SHARED
    if parts[1] in STAGES:
        return STAGES[parts[1]]
    return ENTRY.get(parts[1], SHARED)


def module_name(root, path):
    rel = os.path.relpath(path, os.path.dirname(root))
    parts = rel[:-len(".py")].split(os.sep)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@functools.lru_cache(maxsize=None)
def _import_nodes(text):
    """The import statements of a module's text, parsed once: the planted
    copies below differ from the package in one file."""
    return tuple(node for node in ast.walk(ast.parse(text))
                 if isinstance(node, (ast.Import, ast.ImportFrom)))


def imported(path, module):
    """(line, dotted name) of every import in a file, relative ones
    resolved; `from pgwalk.x import y` names pgwalk.x.y when y is a
    module, which ranks the same as pgwalk.x unless x is the package."""
    with open(path, encoding="utf-8") as f:
        nodes = _import_nodes(f.read())
    package = module if path.endswith("__init__.py") else \
        module.rpartition(".")[0]
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")
                up = up[:len(up) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            for alias in node.names:
                yield node.lineno, base + "." + alias.name


def back_edges(root):
    """["file:line: A imports B"] for each import that points back up."""
    found = []
    for dirpath, _dirs, files in os.walk(root):
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            path = os.path.join(dirpath, name)
            module = module_name(root, path)
            mine = rank(module)
            for line, target in imported(path, module):
                theirs = rank(target)
                if theirs is not None and theirs > mine:
                    found.append("%s:%d: %s imports %s" % (
                        os.path.relpath(path, root), line, module, target))
    return sorted(found)


def test_imports_point_down_the_pipeline():
    assert back_edges(PACKAGE) == []


def test_every_stage_is_known():
    """A new directory under pgwalk/ gets a place in the order above."""
    dirs = {d for d in os.listdir(PACKAGE)
            if os.path.isfile(os.path.join(PACKAGE, d, "__init__.py"))}
    assert dirs == set(STAGES)


@pytest.mark.parametrize("relpath,planted", [
    ("analysis/decisions.py", "from pgwalk.series import edits\n"),
    ("inputs.py", "from pgwalk.series import commits\n"),
    ("series/edits.py", "    from pgwalk.proofs import build\n"),
    ("runner.py", "import pgwalk.apply\n"),
    ("proofs/census.py", "from .. import apply\n"),
])
def test_a_planted_back_edge_is_found(tmp_path, relpath, planted):
    copy = tmp_path / "pgwalk"
    shutil.copytree(PACKAGE, copy,
                    ignore=shutil.ignore_patterns("__pycache__"))
    path = copy / relpath
    text = path.read_text()
    if planted.startswith(" "):
        # Inside a function: the hidden imports count too.
        planted = "\n\ndef _planted():\n" + planted
        text += planted
    else:
        text = planted + text
    path.write_text(text)
    edges = back_edges(str(copy))
    assert len(edges) == 1, edges
    assert edges[0].startswith(relpath + ":")
