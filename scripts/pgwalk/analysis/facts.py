# SPDX-License-Identifier: GPL-2.0
"""Facts: semantic-patches/facts.cocci run on C files, cached per file.

The facts of a file do not depend on which walk is being explained, so
each file is analysed once and its facts are cached by the file's git blob
id and the hash of the rule text and of the emit() it imports (outside
the repository, beside the tree cache): regenerating the series on a new
rc pays only for the files that changed.  The rule's lock sets come from
scripts/locks.conf; a file that calls a function of the tree which
returns with a lock held gets that function added to the sets (so its
cache entry differs).

spatch runs without a timeout: a result that depends on how loaded the
machine is would be worse than a slow one.  A region Coccinelle could not
parse is recorded per file (parse_failures) so that the analysis fails
when a call it needs sits in one, instead of losing the fact.
"""

import concurrent.futures
import hashlib
import json
import os
import re
import tempfile

from pgwalk.errors import PgwalkError
from pgwalk import cocci, memo, REPO, runner
from pgwalk.analysis import candidates, lockdata

FACTS_COCCI = os.path.join(REPO, "semantic-patches", "facts.cocci")
SET_RE = re.compile(r"\bPGWALK_SET_(\w+)\b")
FORMAT = 2      # bump when the shape of a cached entry changes


class FactsError(PgwalkError):
    """spatch could not be run on a file."""


def cache_dir():
    return os.path.join(memo.cache_root(), "facts")


def blob_id(path):
    """The file's git blob id, computed as git does (no repository needed)."""
    with open(path, "rb") as f:
        data = f.read()
    h = hashlib.sha1(b"blob %d\0" % len(data))
    h.update(data)
    return h.hexdigest()


CALLS_COCCI = os.path.join(REPO, "semantic-patches", "calls.cocci")


def _rule_path(path):
    """A rule file, from PGWALK_SEMANTIC_PATCHES when set (the tests
    point it at a copy with a rule taken out)."""
    other = os.environ.get("PGWALK_SEMANTIC_PATCHES")
    return os.path.join(other, os.path.basename(path)) if other else path


def rule_text(walkers, helpers=None, names=None, path=FACTS_COCCI):
    """A rule with its PGWALK_SET_* sets filled in.

    walkers: names of the tree's page walkers; helpers: {name: [(lock,
    strength)]} of the tree's functions that return with a lock held,
    for files that call them; names: the functions calls.cocci reports.
    """
    sets = lockdata.rule_sets(lockdata.primitives(), {
        n: [tuple(k) for k in kinds] for n, kinds in (helpers or {}).items()})
    sets["walkers"] = sorted(walkers)
    sets["names"] = sorted(names) if names is not None else ["PGWALK_NAMES"]
    with open(_rule_path(path)) as f:
        text = f.read()

    def fill(m):
        got = sets.get(m.group(1))
        if got is None:
            raise FactsError("%s names an unknown set %s" % (
                os.path.basename(path), m.group(0)))
        # An empty set still has to parse: a name nothing calls.
        return ", ".join(got) if got else "pgwalk_no_such_function"
    return cocci.without_clashes(SET_RE.sub(fill, text),
                                 {n for names in sets.values()
                                  for n in names})


def _hash(text):
    return hashlib.sha1(text.encode()).hexdigest()


def _rule_key(text):
    """The cache key of a rule's text: with the module it imports beside
    it (both rules live in one directory), whose emit() writes the facts,
    and this module, which decides what a file's rule carries (which
    helpers, which names) and splits its answer by name.  Without it, an
    answer that an earlier version of this module stored under the same
    rule text was read back, and lacked a call that a fresh run finds."""
    return _hash(text + memo.file_digest(cocci.library(
        _rule_path(FACTS_COCCI))) + memo.file_digest(__file__))


class Cache:
    """Facts per (rule hash, blob id), one JSON file each."""

    def __init__(self, enabled=True):
        self._enabled = enabled
        self.root = cache_dir()
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self):
        # memo's: off for the run too once the cache cannot be written.
        return self._enabled and memo.enabled()

    def path(self, rule_hash, blob):
        return os.path.join(self.root, rule_hash[:16], blob[:2],
                            blob + ".json")

    def get(self, rule_hash, blob):
        if not self.enabled:
            return None
        entry = memo.read_entry(self.path(rule_hash, blob))
        return entry if isinstance(entry, dict) and \
            entry.get("format") == FORMAT else None

    def _asked_path(self, rule_hash, rel):
        return os.path.join(self.root, rule_hash[:16], "asked",
                            _hash(rel) + ".json")

    def asked(self, rule_hash, rel):
        """The names calls.cocci was last asked about at this path, in
        whatever contents it had then."""
        if not self.enabled:
            return set()
        names = memo.read_entry(self._asked_path(rule_hash, rel))
        return set(names) if isinstance(names, list) else set()

    def put_asked(self, rule_hash, rel, names):
        if not self.enabled:
            return
        self.put_file(self._asked_path(rule_hash, rel), sorted(names))

    def put(self, rule_hash, blob, entry):
        self.put_file(self.path(rule_hash, blob), entry)

    def put_file(self, path, entry):
        if self.enabled:
            memo.write_entry(path, entry)   # whole, or caching off


def _parse_failures(stderr):
    """{file: [text lines of each region spatch could not parse]}."""
    out, current = {}, None
    for line in stderr.splitlines():
        if line.startswith("HANDLING: "):
            current = os.path.normpath(line[len("HANDLING: "):].strip())
        elif current and line.startswith(("bad:", "BAD:!!!!!")):
            text = line.split(":", 1)[1]
            if text.startswith("!!!!!"):
                text = text[len("!!!!!"):]
            out.setdefault(current, []).append(text[1:] if
                                               text.startswith(" ") else text)
    return out


def _bad_lines(tree, relpath, texts):
    """Line numbers of the unparsed region, located by its exact text."""
    if not texts:
        return []
    with open(os.path.join(tree, relpath), encoding="utf-8",
              errors="replace") as f:
        lines = f.read().split("\n")
    found = set()
    first = texts[0]
    for start, line in enumerate(lines):
        if line != first:
            continue
        if lines[start:start + len(texts)] == texts:
            found.update(range(start + 1, start + len(texts) + 1))
    return sorted(found)


def _spatch_error(stderr):
    """The lines of spatch's stderr that say what went wrong."""
    lines = [line for line in stderr.splitlines()
             if line.strip() and not line.startswith(
                 ("bad:", "BAD:", "HANDLING:", "init_defs", "warning:",
                  "parse error", " = error in", "badcount"))]
    return " ".join(lines[-3:])[-300:] or "exit status without a message"


def run_spatch(tree, relpaths, cocci_path):
    """{relpath: entry} for a batch of files, from one spatch process.

    One spatch for many files: its start-up (parsing the rule, starting
    python) costs more than the analysis of a typical file.
    """
    cmd = cocci.argv(cocci_path, *relpaths, quiet="--quiet",
                     extra=["--parse-error-msg"])
    try:
        proc = runner.run(cmd, cwd=tree)
    except OSError as e:
        raise FactsError("cannot run spatch: %s" % e)
    if proc.returncode != 0:
        if len(relpaths) > 1:
            # Name the file that fails: each one alone.
            out = {}
            for rel in relpaths:
                out.update(run_spatch(tree, [rel], cocci_path))
            return out
        raise FactsError("spatch failed on %s: %s" % (
            relpaths[0], _spatch_error(proc.stderr)))
    entries = {r: {"format": FORMAT, "facts": [], "unparsed": []}
               for r in relpaths}
    for line in proc.stdout.splitlines():
        if not line.startswith("PGWALK "):
            continue
        fact = json.loads(line[len("PGWALK "):])
        rel = os.path.normpath(fact["file"])
        fact["file"] = rel
        if rel in entries:
            entries[rel]["facts"].append(fact)
    for rel, texts in _parse_failures(proc.stderr).items():
        if rel in entries:
            entries[rel]["unparsed"] = _bad_lines(tree, rel, texts)
    for entry in entries.values():
        # Disjunctions can report one fact twice; keep each once, in order.
        seen, unique = set(), []
        for fact in entry["facts"]:
            key = json.dumps(fact, sort_keys=True)
            if key not in seen:
                seen.add(key)
                unique.append(fact)
        entry["facts"] = sorted(unique, key=lambda f: (
            f["line"], f.get("col", 0), json.dumps(f, sort_keys=True)))
    return entries


class Extractor:
    """Facts of files of one tree, from the cache or from spatch."""

    def __init__(self, tree, walkers, jobs=2, cache=None):
        self.tree = tree
        self.walkers = sorted(walkers)
        self.jobs = max(1, jobs)
        self.cache = cache or Cache()
        self.spatch_files = 0
        self._blobs = {}

    def blob(self, rel):
        if rel not in self._blobs:
            self._blobs[rel] = blob_id(os.path.join(self.tree, rel))
        return self._blobs[rel]

    def collect_base(self, files):
        """{relpath: {"facts", "unparsed"}} of facts.cocci."""
        text = rule_text(self.walkers)
        key = _rule_key(text)
        out, todo = {}, []
        for rel in files:
            entry = self.cache.get(key, self.blob(rel))
            if entry is None:
                todo.append(rel)
                self.cache.misses += 1
            else:
                self.cache.hits += 1
                out[rel] = self._relocate(entry, rel)
        if todo:
            fresh = self._run(text, todo)
            for rel in todo:
                self.cache.put(key, self.blob(rel), fresh[rel])
                out[rel] = fresh[rel]
        return out

    def collect_calls(self, wanted, helpers=None):
        """{relpath: [facts]} of calls.cocci for {relpath: names}.

        Cached per file and name: a later question about other names of
        the same file costs only those names."""
        helpers = helpers or {}
        out = {}
        groups = {}
        for rel, names in sorted(wanted.items()):
            hkey = json.dumps(helpers.get(rel, {}), sort_keys=True)
            groups.setdefault(hkey, []).append((rel, set(names)))
        runs = []   # (rule text, cache key, todo, names asked)
        for hkey, items in sorted(groups.items()):
            hel = json.loads(hkey)
            key = _rule_key(rule_text(self.walkers, hel,
                                      path=CALLS_COCCI))
            todo, todo_names = [], set()
            for rel, names in items:
                entry = self.cache.get(key, self.blob(rel))
                asked = self.cache.asked(key, rel)
                if entry is None:
                    # New contents (a file changed since the last run):
                    # the names asked about it then are likely asked
                    # again in later rounds; one spatch answers them all.
                    entry = {"format": FORMAT, "names": {}}
                    todo_names |= asked - names
                have = entry["names"]
                if not names <= asked:
                    self.cache.put_asked(key, rel, asked | names)
                missing = names - set(have)
                facts_ = [f for n in sorted(names & set(have))
                          for f in have[n]]
                out.setdefault(rel, []).extend(
                    self._relocate({"facts": facts_}, rel)["facts"])
                if missing:
                    todo.append((rel, entry, missing))
                    todo_names |= missing
                    self.cache.misses += 1
                else:
                    self.cache.hits += 1
            if todo:
                runs.append((hel, key, todo, todo_names))
        # Files that call different lock helpers need different rules;
        # those whose files do not name each other's helpers share one
        # (one spatch start-up instead of several), and the rest share
        # the cores, not one after another.
        merged = self._merge_runs(runs)
        fresh = self._run_all([
            (rule_text(self.walkers, hel, names=names, path=CALLS_COCCI),
             [rel for i in members for rel, _e, _m in runs[i][2]])
            for hel, names, members in merged])
        got_of = {}
        for (_hel, _names, members), got in zip(merged, fresh):
            for i in members:
                got_of[i] = got
        for i, (_hel, key, todo, todo_names) in enumerate(runs):
            got = got_of[i]
            for rel, entry, missing in todo:
                by_name = _by_name(got[rel]["facts"], todo_names)
                for name in todo_names:
                    entry["names"][name] = by_name.get(name, [])
                self.cache.put(key, self.blob(rel), entry)
                out[rel].extend(f for n in sorted(missing)
                                for f in by_name.get(n, []))
        return out

    def _merge_runs(self, runs):
        """[(helpers, names, [index in runs])]: runs (one per set of lock
        helpers) put together where that changes no file's answer.  A
        file's rule may carry another run's helper only when the file
        never names it (a name that is not in a file matches nothing
        there), and a helper two runs share must be of one kind."""
        batches = []    # {"hel", "names", "members", "files": {rel: hel}}
        for i, (hel, _key, todo, names) in enumerate(runs):
            files = {rel: hel for rel, _e, _m in todo}
            for b in batches:
                if any(b["hel"][h] != hel[h]
                       for h in set(b["hel"]) & set(hel)):
                    continue
                joined = dict(b["hel"], **hel)
                every = dict(b["files"], **files)
                if any(self._names_any(rel, set(joined) - set(own))
                       for rel, own in every.items()):
                    continue
                b["hel"], b["files"] = joined, every
                b["names"] = b["names"] | names
                b["members"].append(i)
                break
            else:
                batches.append({"hel": dict(hel), "names": set(names),
                                "members": [i], "files": files})
        return [(b["hel"], b["names"], b["members"]) for b in batches]

    def _names_any(self, rel, names):
        """Does file rel name any of names (as a word: git grep -w)?"""
        return bool(names) and bool(candidates.word_hits(
            self.tree, names, only=[rel]))

    @staticmethod
    def _relocate(entry, rel):
        """A cached entry may come from the same contents at another path."""
        for fact in entry["facts"]:
            fact["file"] = rel
        return entry

    def _run(self, text, files):
        return self._run_all([(text, files)])[0]

    def _run_all(self, rules):
        """[{relpath: entry}] for [(rule text, files)]: each rule's files
        in up to `jobs` batches balanced by size, every batch of every
        rule sharing `jobs` spatch processes at a time, largest first."""
        batches = []    # (bytes, rule index, files)
        for i, (_text, files) in enumerate(rules):
            self.spatch_files += len(files)
            sizes = {f: os.path.getsize(os.path.join(self.tree, f))
                     for f in files}
            batches += [(size, i, group)
                        for size, group in cocci.batches(sizes, self.jobs)]
        batches.sort(key=lambda b: (-b[0], b[1], b[2]))
        outs = [{} for _ in rules]
        if not batches:
            return outs
        with tempfile.TemporaryDirectory(prefix="pgwalk-facts-") as tmp:
            paths = []
            for i, (text, _files) in enumerate(rules):
                os.mkdir(os.path.join(tmp, str(i)))
                paths.append(os.path.join(tmp, str(i), "rule.cocci"))
                cocci.write_rule(paths[-1], text, _rule_path(FACTS_COCCI))
            workers = max(1, min(self.jobs, len(batches)))
            with concurrent.futures.ThreadPoolExecutor(workers) as pool:
                results = list(pool.map(
                    lambda b: (b[1], run_spatch(self.tree, b[2],
                                                paths[b[1]])),
                    batches))
        for i, r in results:
            outs[i].update(r)
        return outs


def _by_name(facts_, names):
    """Calls facts split by the name they answer for: a call by its
    callee, a passed function by its target, a lock state by the call at
    its position."""
    callee_at = {}
    for f in facts_:
        if f["kind"] == "call":
            callee_at[(f["line"], f["col"])] = f["callee"]
    out = {}
    for f in facts_:
        if f["kind"] == "call":
            name = f["callee"]
        elif f["kind"] == "passed":
            name = f["target"]
        else:
            name = callee_at.get((f["line"], f["col"]))
        if name in names:
            out.setdefault(name, []).append(f)
    return out
