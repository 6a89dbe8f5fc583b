# SPDX-License-Identifier: GPL-2.0
"""The minitree posted once: tests/fixtures/minitree as a git repository
with stand-ins for the tree's checkpatch.pl and get_maintainer.pl, and
apply.sh's series of it from an empty cache and with every cache off.

The cache tests (test_memo.py, test_facts_cache.py) compare their runs
with these two instead of each making them again: a cold run is most of
an apply.sh run's time.  conftest.py's session fixture posted_minitree
makes them; a test copies the tree and the cache (copy()) before it
changes either, so that the next test finds them as they were.
"""

import json
import os
import shutil
import stat
import subprocess

from conftest import FIXTURES, git_repo, run_apply

MINITREE = os.path.join(FIXTURES, "minitree")

# Stand-ins for the tree's own scripts: each run is logged in
# $FAKE_SCRIPT_LOGS/<name>.log, so a test sees whether the cache answered
# instead.  Where the log goes is not in the script's text: the text is
# part of the checkpatch verdicts' key, and the same for every test.
FAKE_CHECKPATCH = r"""#!/usr/bin/perl
open(my $log, ">>", "$ENV{FAKE_SCRIPT_LOGS}/checkpatch.pl.log") or die;
for my $f (@ARGV) {
    next if $f =~ /^--/;
    print $log "$f\n";
    print "total: 0 errors, 0 warnings, 10 lines checked\n";
}
"""
FAKE_GET_MAINTAINER = r"""#!/usr/bin/perl
open(my $log, ">>", "$ENV{FAKE_SCRIPT_LOGS}/get_maintainer.pl.log") or die;
print $log "$ARGV[-1]\n";
print "Ann Maintainer <ann@example.org> (maintainer:MEMORY MANAGEMENT)\n";
print "linux-mm\@kvack.org (open list:MEMORY MANAGEMENT)\n";
"""


def git(tree, *args):
    subprocess.run(["git", "-C", tree, *args], check=True,
                   capture_output=True)


def git_tree(path):
    """The minitree with the stand-in scripts at path, one commit."""
    shutil.copytree(MINITREE, path)
    os.makedirs(os.path.join(path, "scripts"))
    for name, text in (("checkpatch.pl", FAKE_CHECKPATCH),
                       ("get_maintainer.pl", FAKE_GET_MAINTAINER)):
        script = os.path.join(path, "scripts", name)
        with open(script, "w") as f:
            f.write(text)
        os.chmod(script, os.stat(script).st_mode | stat.S_IXUSR)
    return git_repo(path)


def runs(logs, name):
    """How many patches the stand-in `name` was run on with these logs."""
    path = os.path.join(logs, name + ".log")
    if not os.path.exists(path):
        return 0
    with open(path) as f:
        return len(f.read().splitlines())


def series(out):
    """The series as bytes that matter: every message, and the modes."""
    names = sorted(p for p in os.listdir(out) if p.endswith(".patch"))
    assert names
    texts = []
    for name in names:
        with open(os.path.join(out, name)) as f:
            texts.append(f.read())
    with open(os.path.join(out, "decisions.json")) as f:
        texts.append(json.dumps(json.load(f)["tables"], sort_keys=True))
    return texts


def apply(tree, out, cache, logs, *options, **env):
    """apply.sh on tree into out with this cache; the stand-ins log into
    logs."""
    os.makedirs(logs, exist_ok=True)
    r = run_apply(*options, tree, out, env=dict(
        os.environ, PGWALK_CACHE=str(cache), FAKE_SCRIPT_LOGS=str(logs),
        **env))
    assert r.returncode == 0, r.stderr[-2000:]
    return r


def post(work):
    """The posted minitree in work: {"tree", "cache", "cold", "off"} (the
    last two: the series from an empty cache and with the caches off) and
    how many patches each run had checked and addressed."""
    work = str(work)
    tree = git_tree(os.path.join(work, "tree"))
    posted = {"tree": tree, "cache": os.path.join(work, "cache")}
    for name, cache, env in (
            ("cold", posted["cache"], {}),
            ("off", os.path.join(work, "unused-cache"),
             {"PGWALK_NO_CACHE": "1"})):
        logs = os.path.join(work, "logs-" + name)
        posted[name] = os.path.join(work, name)
        apply(tree, posted[name], cache, logs, **env)
        posted[name + "-checked"] = runs(logs, "checkpatch.pl")
        posted[name + "-addressed"] = runs(logs, "get_maintainer.pl")
    return posted


def copy(posted, where):
    """(tree, cache): copies of the posted tree and its warm cache in
    where, for a test that changes them."""
    tree = os.path.join(str(where), "tree")
    cache = os.path.join(str(where), "cache")
    shutil.copytree(posted["tree"], tree, symlinks=True)
    shutil.copytree(posted["cache"], cache, symlinks=True)
    return tree, cache


def changed(posted, where, relpath, edit, message):
    """(tree, cache): copies as copy() gives, relpath of the tree changed
    by edit (its text in, the new text out) and committed as message:
    a new base the warm cache has not seen."""
    tree, cache = copy(posted, where)
    path = os.path.join(tree, relpath)
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(edit(text))
    git(tree, "commit", "-qam", message)
    return tree, cache
