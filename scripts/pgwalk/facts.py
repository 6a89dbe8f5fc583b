"""Facts: run semantic-patches/facts.cocci on candidate files, in parallel.

Each spatch run prints one "PGWALK {json}" line per fact.  The rule tracks
the lock state of calls to a set of callees; that set starts as the
walkers and grows, round by round, with the functions whose walks (or
calls) are reached with no lock event of their own, so their callers are
read next.  Everything is returned as plain data for decisions.py.
"""

import concurrent.futures
import json
import os
import re
import subprocess
import tempfile


REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
FACTS_COCCI = os.path.join(REPO, "semantic-patches", "facts.cocci")
CALLEES_LINE = re.compile(r"^identifier f = \{[^}]*\};$", re.M)
WALKERS_LINE = re.compile(r"^identifier w = \{[^}]*\};$", re.M)
# A function spatch gives up on is not analysed; one minute per file is
# far above what any file of Linux 6.1 needs (about 2 s).
SPATCH_TIMEOUT = 120


class FactsError(Exception):
    """spatch failed on a file."""


def rule_for(callees, walkers=None):
    """facts.cocci with the sets of tracked callees and of the tree's
    walkers (candidates.walkers()) replaced."""
    with open(FACTS_COCCI) as f:
        text = f.read()
    line = "identifier f = {%s};" % ", ".join(sorted(callees))
    text = CALLEES_LINE.sub(line, text)
    if walkers:
        text = WALKERS_LINE.sub("identifier w = {%s};" %
                                ", ".join(sorted(walkers)), text)
    return text


def run_spatch(tree, relpaths, cocci_path, calls_only=False):
    """Facts of a batch of files as a list of dicts.

    One spatch for many files: its start-up (parsing the rule, starting
    python) costs more than the analysis of a typical file.
    """
    proc = subprocess.run(
        ["spatch", "--very-quiet", "--no-includes", "--timeout",
         str(SPATCH_TIMEOUT), "--sp-file", cocci_path] +
        (["-D", "calls_only"] if calls_only else []) + list(relpaths),
        capture_output=True, text=True, cwd=tree)
    facts = []
    for line in proc.stdout.splitlines():
        if line.startswith("PGWALK "):
            fact = json.loads(line[len("PGWALK "):])
            if "file" in fact:
                fact["file"] = os.path.normpath(fact["file"])
            facts.append(fact)
    if proc.returncode != 0:
        raise FactsError("spatch failed on %s: %s" %
                         (" ".join(relpaths), proc.stderr.strip()[-300:]))
    return facts


def collect(tree, files, callees, jobs, calls_only=False, walkers=None):
    """Facts of many files, in `jobs` parallel spatch processes.

    calls_only: only the lock states of calls (and the lock and function
    facts that explain them), for the rounds that follow callers.
    """
    if not files:
        return []
    sizes = {f: os.path.getsize(os.path.join(tree, f)) for f in files}
    groups = [[] for _ in range(max(1, min(jobs, len(files))))]
    load = [0] * len(groups)
    for relpath in sorted(files, key=lambda f: (-sizes[f], f)):
        i = load.index(min(load))
        groups[i].append(relpath)
        load[i] += sizes[relpath]
    with tempfile.TemporaryDirectory(prefix="pgwalk-facts-") as tmp:
        cocci = os.path.join(tmp, "facts.cocci")
        with open(cocci, "w") as f:
            f.write(rule_for(callees, walkers))
        with concurrent.futures.ThreadPoolExecutor(len(groups)) as pool:
            results = list(pool.map(
                lambda g: run_spatch(tree, sorted(g), cocci, calls_only),
                groups))
    out = [fact for facts in results for fact in facts]
    # Disjunctions can report one fact twice; keep each once, in order.
    seen, unique = set(), []
    for fact in sorted(out, key=lambda f: json.dumps(f, sort_keys=True)):
        key = json.dumps(fact, sort_keys=True)
        if key not in seen:
            seen.add(key)
            unique.append(fact)
    return unique
