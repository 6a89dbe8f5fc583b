# SPDX-License-Identifier: GPL-2.0
"""What changed since the previous posting of the series.

    apply.sh --previous DIR [-v N] TREE [OUTDIR]

DIR is an earlier OUTDIR.  Its decisions.json says which tables had which
mode: the cover letter gets a "Changes in vN" section (tables added,
removed, mode changed).  Review tags that reviewers gave on that posting
and the maintainer added to its patch files (Acked-by, Reviewed-by,
Tested-by) go to the new patch with the same change (the same
`git patch-id`); a tag whose patch changed is dropped, and the new patch
says so after its `---` line.  Its patches are turned back into commits on
their base-commit (with plumbing: a private index and `git apply --cached`, the
user's branch, index and files are not touched) so that `git range-diff`
can compare the two series, as b4 and reviewers do; the range-diff goes to
OUTDIR/range-diff.txt.
"""

import glob
import json
import os
import re
import tempfile

from pgwalk.errors import PgwalkError
from pgwalk import convention, gitops, runner
from pgwalk.series import mail
from pgwalk.table import Action, Decisions, DecisionsError


class RevisionError(PgwalkError):
    pass


class Previous:
    """An earlier OUTDIR, read before this run may overwrite it."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        decisions = os.path.join(self.path, "decisions.json")
        self.patches = sorted(glob.glob(os.path.join(
            self.path, "[0-9][0-9][0-9][0-9]-*.patch")))
        if not os.path.isfile(decisions) or not self.patches:
            raise RevisionError("%s: not an apply.sh output directory (no "
                                "decisions.json and patches)" % path)
        try:
            self.decisions = Decisions.from_json(_json(decisions))
        except DecisionsError as e:
            raise RevisionError("%s: not the decisions.json apply.sh "
                                "writes: %s" % (decisions, e)) from None
        self.texts = []
        for p in self.patches:
            try:
                with open(p, encoding="utf-8") as f:
                    self.texts.append(f.read())
            except UnicodeDecodeError as e:
                raise RevisionError("%s: not UTF-8 text (byte %d)" % (
                    p, e.start)) from None
        self.series = {}
        meta = os.path.join(self.path, SERIES_JSON)
        if os.path.isfile(meta):
            self.series = _json(meta)
            if not isinstance(self.series, dict):
                raise RevisionError("%s: not the %s apply.sh writes" % (
                    meta, SERIES_JSON))
        m = re.search(r"^base-commit: ([0-9a-f]{40})$", self.texts[0], re.M)
        self.base = self.series.get("base") or (m and m.group(1))
        if not self.base:
            raise RevisionError("%s: no %s and no base-commit line in the "
                                "cover letter" % (path, SERIES_JSON))
        self.reroll = self.series.get("reroll") or 1
        self.info = [patch_info(t) for t in self.texts[1:]]


def _json(path):
    """A JSON file of an earlier OUTDIR; a truncated or edited one is said
    with its path."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (ValueError, UnicodeDecodeError) as e:
        raise RevisionError("%s: not valid JSON (truncated or edited?): %s"
                            % (path, e)) from None


SERIES_JSON = "series.json"
REVIEW_TAGS = ("Acked-by", "Reviewed-by", "Tested-by")


def patch_info(text):
    """Files, change id, subject and review tags of one patch file."""
    message = text.split("\n---\n", 1)[0]
    tags = re.findall(r"^((?:%s): .+)$" % "|".join(REVIEW_TAGS), message,
                      re.M)
    files = sorted(set(re.findall(r"^diff --git a/(\S+) ", text, re.M)))
    headers, _body = mail.split(text)      # unfolded
    subject = next((re.match(r"^Subject: (?:\[[^]]*\] )?(.*)$", h)
                    for h in headers if h.startswith("Subject: ")), None)
    pid = runner.run(["git", "patch-id", "--stable"],
                     input=text).stdout.split()
    return {"files": files, "tags": tags, "patch_id": pid[0] if pid else None,
            "subject": subject.group(1) if subject else "?"}


def carry_tags(prev, reroll=None):
    """carry(patch_id, files) -> (tags, dropped lines) for make_commits.

    Tags of a previous patch with the same change go to the new one; a
    previous patch with tags that touched the same files but whose change
    differs gives one line per tag it loses.
    """
    old = "v%d" % prev.reroll

    def carry(patch_id, files):
        tags, dropped = [], []
        for info in prev.info:
            if not info["tags"]:
                continue
            if info["patch_id"] == patch_id:
                tags += [t for t in info["tags"] if t not in tags]
            elif set(info["files"]) & set(files):
                for tag in info["tags"]:
                    kind, who = tag.split(": ", 1)
                    dropped.append("Dropped %s from %s (given on %s to "
                                   "\"%s\"): the change differs." % (
                                       kind, who, old, info["subject"]))
        dropped = [d for d in dropped
                   if not any(d.split(" from ", 1)[1].startswith(
                       t.split(": ", 1)[1]) for t in tags)]
        return tags, dropped
    return carry


def _modes(decisions):
    """{(file, table): mode} of the tables a series sets, twins included
    (a local table whose file has another of its name: function:name)."""
    out = {}
    for t in decisions.tables:
        if t.action == Action.NONE:
            continue
        out[(t.file, convention.table_key(t))] = t.mode
        if t.split:
            out[(t.file, t.split["write_name"])] = t.split["write_mode"]
    return out


def changes(old, new):
    """Lines saying what the new series changes against the old one (two
    Decisions)."""
    a, b = _modes(old), _modes(new)
    lines = []
    for key in sorted(set(a) | set(b)):
        where = "%s (%s)" % (key[1], key[0])
        if key not in a:
            lines.append("added: %s, %s" % (where, b[key]))
        elif key not in b:
            lines.append("removed: %s (was %s)" % (where, a[key]))
        elif a[key] != b[key]:
            lines.append("mode changed: %s, %s -> %s" % (where, a[key],
                                                         b[key]))
    if old.has_core != new.has_core:
        lines.append("core patch %s" % ("dropped (the tree has it now)"
                                        if new.has_core else "added"))
    return lines


def import_series(tree, prev):
    """Commits of the previous patches on their base; returns the head."""
    if not gitops.git(tree, "cat-file", "-t", prev.base, check=False).strip():
        raise RevisionError("the previous series' base %s is not in %s" % (
            prev.base[:12], tree))
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, GIT_INDEX_FILE=os.path.join(tmp, "index"))
        gitops.git(tree, "read-tree", prev.base, env=env)
        parent = prev.base
        for path, text in zip(prev.patches[1:], prev.texts[1:]):
            msg, patch = os.path.join(tmp, "msg"), os.path.join(tmp, "patch")
            info = gitops.git(tree, "mailinfo", msg, patch, input=text)
            fields = dict(l.split(": ", 1) for l in info.splitlines()
                          if ": " in l)
            r = gitops.git_proc(tree, "apply", "--cached", patch, env=env)
            if r.returncode != 0:
                raise RevisionError("%s does not apply to its base: %s" % (
                    os.path.basename(path), r.stderr.strip()[:300]))
            tree_id = gitops.git(tree, "write-tree", env=env).strip()
            with open(msg) as f:
                body = f.read()
            # The committer too: a machine without a git identity still
            # compares its series with the previous one.
            cenv = dict(env, GIT_AUTHOR_NAME=fields.get("Author", ""),
                        GIT_AUTHOR_EMAIL=fields.get("Email", ""),
                        GIT_COMMITTER_NAME=fields.get("Author", ""),
                        GIT_COMMITTER_EMAIL=fields.get("Email", ""),
                        GIT_AUTHOR_DATE=fields.get("Date", ""),
                        GIT_COMMITTER_DATE=fields.get("Date", ""))
            parent = gitops.git(
                tree, "commit-tree", tree_id, "-p", parent,
                input="%s\n\n%s" % (fields.get("Subject", ""), body),
                env=cenv).strip()
    return parent


def range_diff(tree, prev, base, head, outdir):
    """Write OUTDIR/range-diff.txt; (True when every patch is unchanged,
    the range-diff text)."""
    old_head = import_series(tree, prev)
    out = gitops.git(tree, "range-diff", "--no-color",
                     "%s..%s" % (prev.base, old_head),
                     "%s..%s" % (base, head))
    with open(os.path.join(outdir, "range-diff.txt"), "w") as f:
        f.write(out)
    same = all(re.match(r"^\s*\d+:\s+\w+ = ", l) for l in out.splitlines()
               if l.strip() and re.match(r"^\s*(\d+|-):", l))
    return same, out
