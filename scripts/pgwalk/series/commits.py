# SPDX-License-Identifier: GPL-2.0
"""The commits of the series: which tables go in which patch, in which
order, and the commits themselves.

`plan()` groups the tables (per file, per MAINTAINERS section, per mode,
or all in one) and orders the patches by the tree's MAINTAINERS;
`make_commits()` commits the core and each patch on top of the base
without touching the user's work tree or index (gitops.py).
"""

import logging

from pgwalk.errors import PgwalkError
from pgwalk import gitops
from pgwalk.table import Action
from pgwalk.series import maintainers, messages

LOG = logging.getLogger(__name__)


class SeriesError(PgwalkError):
    """The series could not be made or did not pass its checks."""


GROUPINGS = ("subsystem", "file", "mode", "single")
CORE_FILE = "mm/pagewalk.c"


def changed_tables(decisions):
    return [t for t in decisions["tables"]
            if t["action"] in (Action.ANNOTATE, Action.SPLIT)]


def group_by_file(decisions):
    """{relpath: [tables to change]} for tables whose action is not none."""
    groups = {}
    for table in changed_tables(decisions):
        groups.setdefault(table["file"], []).append(table)
    return groups


def patch_order(tree, files):
    """Stable order: files of the core's section first, then by section.

    The core lives in MEMORY MANAGEMENT; its other files follow it so the
    mm maintainers' part of the series reads in one go.
    """
    return _ordered(files, _titles(tree, files))


def _titles(tree, files):
    """{relpath: MAINTAINERS section} of the files and of the core."""
    return maintainers.sections_of(tree, [CORE_FILE] + list(files))


def _ordered(files, titles):
    def key(relpath):
        section = titles[relpath]
        return (section != titles[CORE_FILE], section, relpath)
    return sorted(files, key=key)


def plan(tree, decisions, grouping="subsystem"):
    """The annotation patches: a list of lists of tables, in order.

    file: one patch per file.  subsystem: one per MAINTAINERS section.
    mode: every table that changes no behaviour in one patch, then each
    table that adds an assertion in its own.  single: one patch.  A
    table is never divided (a split and its callers are in one file and
    go together), so every form is bisect-safe after the core.
    """
    if grouping not in GROUPINGS:
        raise SeriesError("unknown grouping %r (one of %s)" % (
            grouping, ", ".join(GROUPINGS)))
    by_file = group_by_file(decisions)
    # One answer for the order and the grouping: the sections are kept by
    # the set of files asked about.
    titles = _titles(tree, by_file)
    order = _ordered(by_file, titles)
    tables = [t for f in order
              for t in sorted(by_file[f], key=lambda t: t["line"])]
    if not tables:
        return []
    if grouping == "single":
        return [tables]
    if grouping == "file":
        return [sorted(by_file[f], key=lambda t: t["line"]) for f in order]
    if grouping == "subsystem":
        out, seen = [], {}
        for t in tables:
            title = titles[t["file"]]
            if title not in seen:
                seen[title] = len(out)
                out.append([])
            out[seen[title]].append(t)
        return out
    quiet = [t for t in tables if not messages.changes_behaviour([t])]
    loud = [[t] for t in tables if messages.changes_behaviour([t])]
    return ([quiet] if quiet else []) + loud


class Built:
    """What make_commits() made: the head and, per patch, its tables,
    the review tags carried and the lines saying which were dropped."""

    def __init__(self, head):
        self.head = head
        self.patches = []       # [{"tables", "carried", "dropped"}]


def _texts_per_patch(tree, groups, file_texts, partial_edit):
    """{relpath: text} to stage for each patch of `groups`.

    A file whose tables are all in one patch takes its final text; a file
    spread over several patches (the mode grouping) takes, at each of its
    patches, the text with the tables of that patch and the earlier ones.
    """
    total = {}
    for g in groups:
        for t in g:
            total.setdefault(t["file"], []).append(t["name"])
    done = {}
    out = []
    partial = {}
    for i, g in enumerate(groups):
        files = {}
        for t in g:
            done.setdefault(t["file"], []).append(t)
        for relpath in sorted({t["file"] for t in g}):
            if len(done[relpath]) == len(total[relpath]):
                files[relpath] = file_texts[relpath]
            else:
                files[relpath] = None
                partial[(i, relpath)] = list(done[relpath])
        out.append(files)
    if partial:
        if partial_edit is None:
            from pgwalk.series import edits
            partial_edit = edits.edit_files
        for (i, relpath), tables in sorted(partial.items()):
            out[i][relpath] = partial_edit(tree, {relpath: tables})[relpath]
    return out


def make_commits(tree, base, decisions, core_files, file_texts,
                 grouping="subsystem", trailers=(), carry=None,
                 partial_edit=None, built=None):
    """Commit the core (if any) and the annotation patches; return the head.

    trailers: lines added to every message (before the sign-off).
    carry(tree_patch_id, files) -> (tags, dropped lines): review tags of
    a previous posting for the patch with this change.  built: a Built
    to fill in with what each patch got.
    """
    identity = gitops.identity(tree)
    per_vma = decisions.get("per_vma_lock", False)
    builder = gitops.SeriesBuilder(tree, base)
    groups = plan(tree, decisions, grouping)
    texts = _texts_per_patch(tree, groups, file_texts, partial_edit)
    steps = []
    if core_files:
        steps.append((core_files, [],
                      lambda tags: messages.core_message(
                          identity, decisions, list(trailers), tags)))
    subjects = [messages.patch_subject(g) for g in groups]
    for g, files, subject in zip(groups, texts, subjects):
        # Two patches with one subject confuse reviewers and tools.
        twice = subjects.count(subject) > 1
        steps.append((files, g, lambda tags, g=g, twice=twice:
                      messages.patch_message(
                          identity, g, per_vma, list(trailers), tags, twice,
                          decisions.get("contract"))))
    try:
        for files, tables, message in steps:
            LOG.info("commit %s" % ", ".join(sorted(files)))
            before = builder.head_tree()
            tree_id = builder.stage(files)
            tags, dropped = [], []
            if carry:
                tags, dropped = carry(gitops.patch_id(tree, before, tree_id),
                                      sorted(files))
            builder.commit_tree(tree_id, message(tags))
            if built is not None:
                built.patches.append({"tables": tables, "carried": tags,
                                      "dropped": dropped})
        if built is not None:
            built.head = builder.head
        return builder.head
    finally:
        builder.close()
