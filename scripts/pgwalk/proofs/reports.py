# SPDX-License-Identifier: GPL-2.0
"""The testing section's facts: build and boot reports of this series.

verify-build.sh writes OUTDIR/build/build-report.json (a commit x
architecture matrix), boot-test.sh OUTDIR/boot/boot-report.json (the
tables the booted kernel walked, with lockdep on).  A report counts only
when it is about this very series: the build report lists exactly the
commits base..head, the boot report booted head.  `apply.sh --prove`
runs both (pgwalk.proofs.build and pgwalk.proofs.boottest, as their
scripts do).
"""

import json
import logging
import os
import sys

from pgwalk import REPO, gitops, runner

BUILD_REPORT = os.path.join("build", "build-report.json")
BOOT_REPORT = os.path.join("boot", "boot-report.json")
SCRIPTS = os.path.join(REPO, "scripts")
LOG = logging.getLogger(__name__)


def _load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def build_summary(report):
    """The figures of a build report (messages.py words them)."""
    cells = [c["cells"][a] for c in report["commits"]
             for a in report["arches"] if a in c["cells"]]
    bad = sum(1 for c in cells if c["status"] in ("FAIL", "WARN"))
    return {"commits": len(report["commits"]), "arches": report["arches"],
            "cells": len(cells), "bad": bad,
            "built": sum(1 for c in cells
                         if c["status"] in ("OK", "WARN", "FAIL")),
            "objects": sum(len(c.get("objects") or []) for c in cells),
            "kept": sum(c.get("kept") or 0 for c in cells),
            "full": {a: f["status"] for a, f in
                     sorted((report.get("full") or {}).items())},
            "extra_checks": any("W=1" in c.get("where", "") for c in cells),
            "sweep": sweep_summary(report.get("sweep")),
            "ok": not bad and all(f["status"] != "FAIL" for f in
                                  (report.get("full") or {}).values()) and
            all(c["status"] in ("OK", "skipped") for c in
                (report.get("sweep") or {}).get("configs", []))}


def sweep_summary(sweep):
    """The configurations the sweep tried (None: no sweep ran)."""
    if not sweep:
        return None
    return {"arch": sweep["arch"], "config": sweep["config"],
            "configs": [{"symbol": c["symbol"], "to": c["to"],
                         "also": c["also"], "status": c["status"],
                         "not_built": c.get("not_built") or [],
                         "findings": len(c.get("findings") or [])}
                        for c in sweep["configs"]]}


def boot_summary(report):
    """The figures of a boot report (messages.py words them): the series'
    verdict per table as pgwalk.proofs.boottest writes it; a table counts as
    reached when the census saw it walked."""
    series = report.get("series") or {}
    rows = series.get("rows") or []
    reached = [r for r in rows if r["walks"]]
    problems = series.get("problems")
    if problems is None:
        problems = ["the boot report has no verdict on the series"]
    return {"reached": len(reached),
            "walks": sum(r["walks"] for r in reached),
            "skipped": sum(1 for r in rows if r["status"] == "not exercised"),
            "consistent": sum(1 for r in rows
                              if r["status"] == "consistent"),
            "findings": series.get("findings") or [],
            "problems": problems, "ok": not problems}


def find(tree, outdir, base, head):
    """{"build": ..., "boot": ...} from reports about base..head."""
    proof = {}
    commits = gitops.git(tree, "rev-list", "--reverse",
                         "%s..%s" % (base, head)).split()
    build = _load(os.path.join(outdir, BUILD_REPORT))
    if build and [c["commit"] for c in build.get("commits", [])] == commits:
        proof["build"] = build_summary(build)
    boot = _load(os.path.join(outdir, BOOT_REPORT))
    if boot and (boot.get("series") or {}).get("ref") == head:
        proof["boot"] = boot_summary(boot)
    return proof


def prove(tree, outdir, base, head, arches, jobs):
    """Run the build check and the boot test; True when both pass."""
    env = dict(os.environ, PYTHONPATH=SCRIPTS + (
        os.pathsep + os.environ["PYTHONPATH"]
        if os.environ.get("PYTHONPATH") else ""))
    build = [sys.executable, "-m", "pgwalk.proofs.build", "--jobs", str(jobs),
             "--out", os.path.join(outdir, "build"), tree,
             "%s..%s" % (base, head)]
    if arches:
        build[5:5] = ["--arch", arches]
    boot = [sys.executable, "-m", "pgwalk.proofs.boottest",
            "--jobs", str(jobs), "--out", os.path.join(outdir, "boot"),
            tree, head]
    ok = True
    for name, cmd in (("verify-build", build), ("boot-test", boot)):
        LOG.info("prove: %s", " ".join(cmd[2:]))
        # Their progress goes straight to the user's terminal.
        r = runner.run(cmd, env=env, stdout=sys.stderr)
        if r.returncode != 0:
            LOG.info("prove: %s exited with %d", name, r.returncode)
            ok = False
    return ok
