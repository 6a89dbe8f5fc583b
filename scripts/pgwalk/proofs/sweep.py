# SPDX-License-Identifier: GPL-2.0
"""The configuration sweep: each object the series changes, built with each
Kconfig symbol that decides whether its changes are compiled flipped.

allmodconfig turns every option on, so the off side of an option is never
built: a table the series leaves used only under one #ifdef is an unused
static const there, and W=1 says so only where that #ifdef is off.  For each
.c file the series changes:
  - the lines that matter: the changed lines, and the places the file uses
    the file-scope symbols those lines define or redefine (a table, a
    function's signature): semantic-patches/changed-symbols.cocci;
  - the symbols that decide them: the CONFIG_ macros the preprocessor
    tests or expands in the file (gcc -E -dU on kbuild's recorded command),
    each one flipped on the preprocessor's command line (-include of a file
    that #undefs or #defines it, after kbuild's autoconf.h): when the text
    of a line that matters comes out different (gone, or another
    IS_ENABLED() value), the symbol decides it; and the symbol of the
    object's own obj-$(CONFIG_...) line in its directory's Makefile;
  - each such symbol flipped in the base configuration (scripts/config, then
    olddefconfig; when Kconfig selects it back on, the symbols that select
    it are turned off too, and said; when Kconfig still forbids the flip it
    is skipped, and said), the object compiled at the base and at the series
    head in that configuration at W=1 with sparse, and what the head adds
    reported.
The builds happen in one O= directory per architecture beside the base's,
copied from it once (host tools, objtool), so a flip costs kbuild's
incremental rebuild of what depends on the flipped options.
"""

import concurrent.futures
import json
import logging
import os
import re
import shlex
import shutil
import tempfile
import time

from pgwalk import cocci, REPO, runner
from pgwalk.proofs.kbuild import SWEEP_SUFFIX, BuildError, recorded_command
from pgwalk.progress import step
from pgwalk import gitops, memo
from pgwalk.proofs import affected

COCCI = os.path.join(REPO, "semantic-patches", "changed-symbols.cocci")
LOG = logging.getLogger(__name__)
# How many rounds of "turn off what selects it" a flip to n may take.
SELECT_ROUNDS = 3


def versions(ab):
    """The versions of the compiler and of sparse the sweep runs."""
    found = []
    for argv in ([(ab.spec["cross"] or "") + "gcc", "-dumpfullversion"],
                 ["sparse", "--version"]):
        try:
            found.append(runner.run(argv).stdout.strip())
        except OSError:
            found.append(None)
    return found


def changed_lines(tree, base, head, path):
    """The line numbers of path at head that the series adds or changes
    (from the hunk headers of git's diff)."""
    diff = gitops.git(tree, "diff", "--no-renames", "-U0", base, head,
                      "--", path)
    lines = set()
    for m in re.finditer(r"^@@ -\S+ \+(\d+)(?:,(\d+))? @@", diff, re.M):
        first, count = int(m.group(1)), int(m.group(2) or 1)
        lines.update(range(first, first + count))
    return lines


def symbols_and_uses(srcdir, path, lines):
    """({changed symbol: (first line, last line)}, {line of a use}) of
    path in the checkout srcdir, from changed-symbols.cocci."""
    env = dict(os.environ, PGWALK_LINES=",".join(map(str, sorted(lines))))
    proc = runner.run(cocci.argv(COCCI, path, quiet="--quiet"),
                      cwd=srcdir, env=env)
    if proc.returncode != 0:
        raise BuildError("spatch failed on %s: %s" % (
            path, proc.stderr.strip().splitlines()[-1:]))
    symbols, uses = {}, set()
    for line in proc.stdout.splitlines():
        if not line.startswith("PGWALK "):
            continue
        fact = json.loads(line[len("PGWALK "):])
        if fact["kind"] == "use":
            uses.add(fact["line"])
        else:
            symbols[fact["name"]] = (fact["line"], fact["end"])
    return symbols, uses


def preprocessor_argv(out, obj):
    """kbuild's recorded compile command of obj as an argv that writes
    nothing (no -o, no dependency file), or None."""
    cmd = recorded_command(out, obj)
    if not cmd:
        return None
    lexer = shlex.shlex(cmd, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    argv, skip = [], False
    for tok in lexer:
        if tok in (";", "&&", "||", "|", "&"):
            break
        if skip:
            skip = False
        elif tok == "-o":
            skip = True
        elif tok != "-c" and not tok.startswith(("-Wp,-MMD", "-Wp,-MD")):
            argv.append(tok)
    return argv


def preprocessed(argv, out, env, source, extra=()):
    """({line: text} of source's own lines in the preprocessor's output,
    stdout) for argv plus extra options."""
    proc = runner.run(argv + list(extra) + ["-E", "-o", "-"], cwd=out,
                      env=env, errors="replace")
    if proc.returncode != 0:
        raise BuildError("the preprocessor failed on %s: %s" % (
            source, (proc.stderr.strip().splitlines() or ["?"])[-1]))
    text, current, num = {}, None, 0
    for line in proc.stdout.splitlines():
        # '# N "file" flags': the next line is line N of file.
        if line.startswith("# ") and '"' in line:
            parts = line.split('"')
            try:
                num = int(parts[0][2:].strip())
            except ValueError:
                continue
            current = parts[1]
            continue
        if current is not None and os.path.abspath(
                os.path.join(out, current)) == source:
            if line.strip():
                text[num] = text.get(num, "") + line.strip()
        num += 1
    return text, proc.stdout


def tested_symbols(stdout, out, source):
    """The CONFIG_ symbols the preprocessor tested or expanded in source
    itself: -dU's #define/#undef lines, at their place in the output."""
    found, current = set(), None
    for line in stdout.splitlines():
        if line.startswith("# ") and '"' in line:
            current = line.split('"')[1]
            continue
        if not line.startswith(("#define CONFIG_", "#undef CONFIG_")):
            continue
        if current is None or os.path.abspath(
                os.path.join(out, current)) != source:
            continue
        name = line.split()[1][len("CONFIG_"):]
        if name.endswith("_MODULE"):
            name = name[:-len("_MODULE")]
        found.add(name)
    return found


def direct_headers(stdout, out, source):
    """The headers source itself includes, in order, from the line markers
    of its preprocessed output (flag 1: a file entered)."""
    found, current = [], None
    for line in stdout.splitlines():
        if not (line.startswith("# ") and '"' in line):
            continue
        parts = line.split('"')
        name = os.path.abspath(os.path.join(out, parts[1]))
        if "1" in parts[2].split() and current == source and \
                name not in found:
            found.append(name)
        current = name
    return found


def tested_in_file(argv, out, env, source, stdout, tmp):
    """The CONFIG_ symbols source's own lines test or expand.

    The preprocessor's -dU shows a macro once, where it is first used:
    mostly in a header.  So the file's headers are read first (-include,
    their guards make the file's own #include lines no-ops), then every
    CONFIG_ macro is defined again, as it was (-dM's list): a new macro,
    shown again where the file itself uses it.  When reading the headers
    first fails (a header meant to be read twice), the symbols shown in
    the file's own context are taken, and that is said."""
    defs = runner.run(argv + ["-E", "-dM", "-o", "-"], cwd=out, env=env,
                      errors="replace").stdout
    reset = os.path.join(tmp, "reset.h")
    with open(reset, "w") as f:
        for line in defs.splitlines():
            if line.startswith("#define CONFIG_"):
                f.write("#undef %s\n%s\n" % (line.split()[1], line))
    extra = []
    for header in direct_headers(stdout, out, source):
        extra += ["-include", header]
    try:
        _, dumped = preprocessed(argv, out, env, source,
                                 extra + ["-include", reset, "-dU"])
    except BuildError as e:
        LOG.info("sweep: %s: its headers cannot be read ahead of it (%s): "
                 "only the options first used in it are tried", source, e)
        _, dumped = preprocessed(argv, out, env, source, ["-dU"])
    return tested_symbols(dumped, out, source), dumped


def deciding_symbols(ab, path, lines):
    """{symbol: "on"/"off" in the base} of the CONFIG_ symbols whose flip
    changes the preprocessed text of any of lines in path.

    The symbols are flipped in groups, halved only where the text changes:
    a file tests dozens and few decide, so this costs a few preprocessor
    runs per deciding symbol, not one per tested symbol.  A group whose
    flip changes the text while neither half's does (#if A || B) decides
    through no single symbol: the sweep flips one symbol at a time, so it
    is left out."""
    obj = path[:-2] + ".o"
    argv = preprocessor_argv(ab.out, obj)
    if not argv:
        raise BuildError("%s: no recorded command for %s in %s" % (
            ab.name, obj, ab.out))
    source = os.path.join(ab.src.dir, path)
    base_text, stdout = preprocessed(argv, ab.out, ab.env, source)
    with tempfile.TemporaryDirectory() as tmp:
        names, dumped = tested_in_file(argv, ab.out, ab.env, source, stdout,
                                       tmp)
        state = {}
        for name in names:
            state[name] = "on" if ("#define CONFIG_%s " % name) in dumped \
                or ("#define CONFIG_%s_MODULE " % name) in dumped else "off"
        flip = os.path.join(tmp, "flip.h")

        def changes(group):
            with open(flip, "w") as f:
                for name in group:
                    if state[name] == "on":
                        f.write("#undef CONFIG_%s\n#undef CONFIG_%s_MODULE\n"
                                % (name, name))
                    else:
                        f.write("#define CONFIG_%s 1\n" % name)
            try:
                text, _ = preprocessed(argv, ab.out, ab.env, source,
                                       ["-include", flip])
            except BuildError:
                # An #error for a combination no config has: look closer;
                # one symbol alone that does so decides nothing it shows.
                return len(group) > 1
            return any(text.get(n) != base_text.get(n) for n in lines)

        def search(group):
            if not group or not changes(group):
                return []
            if len(group) == 1:
                return group
            half = len(group) // 2
            return search(group[:half]) + search(group[half:])
        return {name: state[name] for name in search(sorted(state))}


def object_symbol(srcdir, path):
    """The symbol of the obj-$(CONFIG_X) line of path's directory Makefile
    that names its object, or None (obj-y, or not found)."""
    d, name = os.path.split(path)
    obj = name[:-2] + ".o"
    try:
        with open(os.path.join(srcdir, d, "Makefile")) as f:
            text = f.read().replace("\\\n", " ")
    except OSError:
        return None
    for line in text.splitlines():
        m = re.match(r"\s*obj-\$\(CONFIG_(\w+)\)\s*[+:]?=(.*)", line)
        if m and obj in m.group(2).split():
            return m.group(1)
    return None


def config_value(config, name):
    """y, m or n: the value of CONFIG_name in a .config file."""
    with open(config) as f:
        for line in f:
            if line.startswith("CONFIG_%s=" % name):
                return line.strip().split("=", 1)[1]
    return "n"


def selectors(tree, commit, srcdir, name):
    """The symbols whose Kconfig entry has "select name" (srcdir: the
    checkout of commit)."""
    out = gitops.git(tree, "grep", "-n", "-E",
                     r"^\s*select\s+%s(\s|$)" % re.escape(name), commit,
                     "--", "*Kconfig*", check=False)
    found = set()
    for hit in out.splitlines():
        _commit, path, num = hit.split(":")[:3]
        with open(os.path.join(srcdir, path)) as f:
            head = f.readlines()[:int(num)]
        for line in reversed(head):
            m = re.match(r"(?:menu)?config\s+(\w+)", line)
            if m:
                found.add(m.group(1))
                break
    return found


class Sweep:
    """The sweep's O= directory of one architecture: the base's, copied."""

    def __init__(self, tree, base, ab):
        self.tree, self.base, self.ab = tree, base, ab
        self.base_config = os.path.join(ab.out, ".config")
        self.out = ab.out + SWEEP_SUFFIX

    def prepare(self):
        if not os.path.isdir(self.out):
            with step("%s: sweep: copying %s" % (self.ab.name, self.ab.out)):
                shutil.copytree(self.ab.out, self.out + ".new",
                                symlinks=True)
                os.replace(self.out + ".new", self.out)

    def flip(self, name, to):
        """Set CONFIG_name to `to` (y or n) from the base config; (True,
        what else changed) or (False, why not)."""
        ab = self.ab
        config = os.path.join(self.out, ".config")
        shutil.copy(self.base_config, config)
        tool = os.path.join(ab.src.dir, "scripts", "config")
        off, also = [name], []
        for _round in range(SELECT_ROUNDS + 1):
            args = [tool, "--file", config]
            for s in off:
                args += ["--enable" if to == "y" else "--disable", s]
            runner.run(args, check=True)
            self.make("olddefconfig")
            if config_value(config, name) == to or \
                    (to == "y" and config_value(config, name) == "m"):
                return True, also
            if to == "y":
                return False, "Kconfig does not allow CONFIG_%s=y here " \
                    "(a dependency is off)" % name
            # Kconfig turned it back on: what selects it must go too.
            on = sorted(s for s in set().union(*(
                selectors(self.tree, self.base, ab.src.dir, o)
                for o in off))
                if config_value(config, s) in ("y", "m") and s not in off)
            if not on:
                break
            also += on
            off += on
        return False, "Kconfig keeps CONFIG_%s=%s (it cannot be turned " \
            "off from this configuration)" % (name,
                                              config_value(config, name))

    def make(self, *targets, check=True):
        saved = self.ab.out
        self.ab.out = self.out
        try:
            return self.ab.make(*targets, check=check)
        finally:
            self.ab.out = saved

    def configured(self, path):
        saved = self.ab.out
        self.ab.out = self.out
        try:
            return bool(self.ab.configured([path]))
        finally:
            self.ab.out = saved

    def compile(self, path):
        saved = self.ab.out
        self.ab.out = self.out
        try:
            return self.ab.compile([path], kbuild_only=True)
        finally:
            self.ab.out = saved


def findings(res, path):
    """{key: line} of the W=1 warnings and sparse diagnostics of a sweep
    compile, the sparse ones marked."""
    found = dict(res["warnings"].get(path, {}))
    found.update({"sparse: " + k: "sparse: " + v
                  for k, v in res["sparse"].get(path, {}).items()})
    return found


def file_keys(tree, base, head, paths, common):
    """{path: key} of what the sweep finds for each file: the file at
    head and every header the series changes (at head), on top of
    common (the base, architecture, config, compilers, the sweep's own
    code).  Two series on the same base that differ only in other files
    (a table's mode changed in one file) find the same for this one."""
    headers = [f for f in affected.changed_files_between(tree, base, head)
               if not f.endswith(".c")]

    def blob(f):
        try:
            return gitops.git(tree, "rev-parse", "%s:%s" % (head, f)).strip()
        except gitops.GitError:
            return None     # removed by the series
    shared = [(h, blob(h)) for h in sorted(headers)]
    return {p: memo.key(common, p, blob(p), shared) for p in paths}


def sweep(tree, ab, base, head, paths, keys=None, kept=None):
    """{"files": {path: {"lines", "symbols", "uses", "decided"}},
    "configs": [{"symbol", "to", "also", "status", "findings", ...}],
    "seconds"} of the sweep of these .c files on ab's architecture.

    keys: {path: key} (file_keys()); kept: a memo.Memo of earlier
    results by those keys: what a file was found to depend on, and what
    each configuration found in it, are taken from there, and only the
    configurations with a file not found there are built."""
    t0 = time.monotonic()
    keys = keys or {}
    ab.src.checkout(head)
    wanted, objects = {}, set()
    with step("%s: sweep: finding the symbols that decide %d changed "
              "files" % (ab.name, len(paths))):
        files = {p: _kept(kept, keys, p, "file") for p in paths}
        todo = [p for p in paths if files[p] is None]
        # Each file is a spatch run and a few dozen preprocessor runs,
        # one after the other: ab.jobs files at a time.
        pool = concurrent.futures.ThreadPoolExecutor(max(1, ab.jobs))
        try:
            for path, got in zip(todo, pool.map(
                    lambda p: _file_facts(tree, ab, base, head, p), todo)):
                files[path] = got
                _keep(kept, keys, path, "file", got)
        except BaseException:
            # An error, or Ctrl-C: start no further file.
            pool.shutdown(cancel_futures=True)
            raise
        pool.shutdown()
        for path, got in files.items():
            if "skipped" in got:
                continue
            if got["own_added"]:
                objects.add(got["object_symbol"])
            for name, state in got["decided"].items():
                wanted.setdefault((name, "n" if state == "on" else "y"),
                                  []).append(path)
    # The options that decide lines first: those of an obj- line only
    # take the whole object away.
    order = sorted(wanted, key=lambda k: (k[0] in objects, k))
    LOG.info("%s: sweep: %d configurations to try (%s)", ab.name,
             len(wanted), ", ".join("%s=%s" % k for k in order))
    sw = Sweep(tree, base, ab)
    configs = []
    if wanted:
        sw.prepare()
    for name, to in order:
        paths_of = wanted[(name, to)]
        t1 = time.monotonic()
        entry = {"symbol": name, "to": to, "files": sorted(paths_of),
                 "also": [], "findings": [], "not_built": []}
        configs.append(entry)
        what = "config %s=%s" % (name, to)
        old = {p: _kept(kept, keys, p, what) for p in paths_of}
        known = {p: v for p, v in old.items() if v is not None}
        if len(known) == len(old) or any(
                v.get("status") == "skipped" for v in known.values()):
            # Every file's result in this configuration is known (or
            # Kconfig forbids it: that depends on the base alone).
            entry.update(_joined(known), kept=True)
            LOG.info("%s: sweep: %s", ab.name, config_text(entry))
            continue
        # Only the files whose result is not known are built again.
        paths_of = sorted(p for p in paths_of if p not in known)
        ab.src.checkout(base)
        with step("%s: sweep: CONFIG_%s=%s" % (ab.name, name, to)):
            ok, also = sw.flip(name, to)
            if not ok:
                entry.update(status="skipped", why=also,
                             seconds=round(time.monotonic() - t1, 1))
                for p in paths_of:
                    _keep(kept, keys, p, what, {
                        "status": "skipped", "why": also,
                        "seconds": entry["seconds"]})
                LOG.info("%s: sweep: CONFIG_%s=%s skipped: %s", ab.name,
                         name, to, also)
                continue
            # kbuild's dry run reads the new config without prepare:
            # a config that builds none of the files needs none.
            # (also and not_built reach the entry through _joined().)
            built = [p for p in sorted(paths_of) if sw.configured(p)]
            if built:
                sw.make("prepare")
            before = {}
            for path in built:
                res = sw.compile(path)
                if res["errors"]:
                    raise BuildError(
                        "%s: sweep: the base %s does not build with "
                        "CONFIG_%s=%s: %s (not the series' fault)" % (
                            ab.name, base[:12], name, to, res["errors"][0]))
                else:
                    before[path] = findings(res, path)
            ab.src.checkout(head)
            per_file = {p: {"errors": [], "findings": [],
                            "not_built": p not in built}
                        for p in paths_of}
            for path in sorted(before):
                res = sw.compile(path)
                per_file[path]["errors"] = res["errors"]
                per_file[path]["findings"] = sorted(
                    line for key, line in findings(res, path).items()
                    if key not in before[path])
        seconds = round(time.monotonic() - t1, 1)
        for p, r in per_file.items():
            r.update(also=also, seconds=seconds)
            _keep(kept, keys, p, what, r)
        entry.update(_joined(dict(known, **per_file)))
        entry["seconds"] = seconds
        LOG.info("%s: sweep: %s", ab.name, config_text(entry))
    return {"arch": ab.name, "config": os.path.basename(ab.config["name"]),
            "files": files, "configs": configs,
            "seconds": round(time.monotonic() - t0, 1)}


def _file_facts(tree, ab, base, head, path):
    """What decides whether the series' changes to path are compiled."""
    obj = path[:-2] + ".o"
    if not recorded_command(ab.out, obj):
        return {"skipped": "not built in %s on %s" % (
            os.path.basename(ab.config["name"]), ab.name)}
    lines = changed_lines(tree, base, head, path)
    symbols, uses = symbols_and_uses(ab.src.dir, path, lines)
    decided = deciding_symbols(ab, path, lines | uses)
    own = object_symbol(ab.src.dir, path)
    added = bool(own) and own not in decided
    if added:
        decided[own] = "on"
    return {"lines": len(lines), "symbols": sorted(symbols),
            "uses": sorted(uses), "decided": decided,
            "object_symbol": own, "own_added": added}


def _kept(kept, keys, path, what):
    if kept is None or path not in keys:
        return None
    return kept.get(memo.key(keys[path], what))


def _keep(kept, keys, path, what, value):
    if kept is not None and path in keys:
        kept.put(memo.key(keys[path], what), value)


def _joined(results):
    """One configuration's entry from its files' results ({path:
    result})."""
    first = next(iter(results.values()))
    if first.get("status") == "skipped":
        return {"status": "skipped", "why": first["why"],
                "seconds": first["seconds"]}
    errors = [e for p in sorted(results) for e in results[p]["errors"]]
    found = sorted(line for r in results.values() for line in r["findings"])
    out = {"also": first["also"], "findings": found,
           "not_built": sorted(p for p, r in results.items()
                               if r["not_built"]),
           "seconds": max(r["seconds"] for r in results.values())}
    out["status"] = "FAIL" if errors else "WARN" if found else "OK"
    if errors:
        out["error"] = errors[0]
    return out


def config_text(entry):
    """One line for a configuration the sweep tried."""
    what = "CONFIG_%s=%s" % (entry["symbol"], entry["to"])
    if entry["also"]:
        what += " (with %s off: they select it)" % ", ".join(
            "CONFIG_" + s for s in entry["also"])
    if entry["status"] == "skipped":
        return "%s: skipped: %s" % (what, entry["why"])
    done = "%s: %s, %ss" % (what, entry["status"], entry["seconds"])
    if entry.get("kept"):
        # Built by an earlier run, with these files as they are now.
        done += " (kept from an earlier build of the same files)"
    if entry["not_built"]:
        done += "; not built there: " + ", ".join(entry["not_built"])
    if entry.get("error"):
        done += "; " + entry["error"]
    for line in entry["findings"]:
        done += "; new: " + line
    return done
