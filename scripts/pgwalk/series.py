"""Tree in, patch series out: the stages after the decisions.

`make_commits()` turns decisions into commits on a branch of the user's
tree (never touching its work tree or index), grouped as the user asks;
`format_patches()` writes them with git format-patch, fills in the cover
letter, addresses every message and writes the mbox; `checkpatch()` runs
the tree's own checkpatch.pl on every patch.
"""

import concurrent.futures
import glob
import logging
import os
import re

from pgwalk.errors import PgwalkError
from pgwalk import gitops, mail, maintainers, messages, runner
from pgwalk.memo import Memo, file_digest, key

log = logging.getLogger(__name__)


class SeriesError(PgwalkError):
    """The series could not be made or did not pass its checks."""


PATCH_GLOB = "[0-9][0-9][0-9][0-9]-*.patch"
GROUPINGS = ("subsystem", "file", "mode", "single")
CORE_FILE = "mm/pagewalk.c"


def changed_tables(decisions):
    return [t for t in decisions["tables"]
            if t["action"] in ("annotate", "split")]


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
    titles = maintainers.sections_of(tree, [CORE_FILE] + list(files))

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
    order = patch_order(tree, by_file)
    tables = [t for f in order
              for t in sorted(by_file[f], key=lambda t: t["line"])]
    if not tables:
        return []
    if grouping == "single":
        return [tables]
    if grouping == "file":
        return [sorted(by_file[f], key=lambda t: t["line"]) for f in order]
    if grouping == "subsystem":
        titles = maintainers.sections_of(tree, by_file)
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
            from pgwalk import edits
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
                          identity, per_vma, list(trailers), tags)))
    subjects = [messages.patch_subject(g) for g in groups]
    for g, files, subject in zip(groups, texts, subjects):
        # Two patches with one subject confuse reviewers and tools.
        twice = subjects.count(subject) > 1
        steps.append((files, g, lambda tags, g=g, twice=twice:
                      messages.patch_message(identity, g, per_vma,
                                             list(trailers), tags, twice)))
    try:
        for files, tables, message in steps:
            log.info("commit %s" % ", ".join(sorted(files)))
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


def format_patches(tree, base, head, outdir, decisions, ctx=None):
    """Write the series to outdir; return the list of message files.

    ctx (all optional): reroll (N of vN), changes (None: no previous
    posting), dropped, built (a Built: notes and tags per patch), group,
    proof (build/boot results), range_diff (text), mail (False: no
    To/Cc).  The cover letter and the patches get To/Cc, Message-Ids,
    notes after `---`; OUTDIR/series.mbox holds them all.
    """
    ctx = dict(ctx or {})
    os.makedirs(outdir, exist_ok=True)
    for old in glob.glob(os.path.join(outdir, PATCH_GLOB)):
        os.unlink(old)
    public = gitops.base_is_public(tree, base)
    prefix = "PATCH v%d" % ctx["reroll"] if (ctx.get("reroll") or 1) > 1 \
        else "PATCH"
    # --no-signature: the default signature is the local git version,
    # which would make the same series differ from machine to machine.
    # --abbrev=12 for the same reason: git's default length grows with
    # the number of objects in the repository (the kernel's convention
    # is 12).  --base only for a base others have: a private one helps
    # nobody.
    gitops.git(tree, "format-patch", "-q", "--cover-letter",
               "--no-signature", "--abbrev=12",
               "--subject-prefix=%s" % prefix,
               *(["--base=%s" % base] if public else []), "-o",
               os.path.abspath(outdir), "%s..%s" % (base, head))
    paths = sorted(glob.glob(os.path.join(outdir, PATCH_GLOB)))
    built = ctx.get("built")
    notes = [""] * len(paths)
    patches = []
    if built:
        for i, p in enumerate(built.patches):
            notes[i + 1] = messages.notes_below(p["tables"], p["dropped"])
        patches = [(None, p["tables"]) for p in built.patches]
    ctx.setdefault("base_desc", None if public else
                   gitops.base_description(tree, base))
    ctx["patches"] = patches
    subject, body = messages.cover_letter(decisions, ctx)
    date = gitops.git(tree, "log", "-1", "--format=%aD", base).strip()
    email = gitops.identity(tree)[1]
    ids = mail.message_ids(head, len(paths) - 1, ctx.get("reroll"), email)
    everyone_to, everyone_cc = [], []
    headers = []
    # get_maintainer.pl for every patch at once: a perl start-up and a
    # read of MAINTAINERS each, on a cold cache most of this stage.
    addrs = [None] * len(paths)
    if ctx.get("mail", True):
        with concurrent.futures.ThreadPoolExecutor(
                max(1, os.cpu_count() or 1)) as pool:
            addrs[1:] = pool.map(
                lambda p: maintainers.get_maintainers(tree, p), paths[1:])
    for i, path in enumerate(paths):
        with open(path, encoding="utf-8") as f:
            lines, text = mail.split(f.read())
        if i:
            text = mail.add_below_line(text, notes[i])
            addr = addrs[i]
            if addr:
                to, cc = addr
                mail.address(lines, to, cc)
                everyone_to += [a for a in to if a not in everyone_to]
                everyone_cc += [a for a in cc if a not in everyone_cc]
        headers.append((path, lines, text))
    for i, (path, lines, text) in enumerate(headers):
        if i == 0:
            text = text.replace("*** BLURB HERE ***", body)
            lines = [re.sub(r"\*\*\* SUBJECT HERE \*\*\*", subject, l)
                     for l in lines]
            # format-patch stamps the cover letter with the current time;
            # the commits carry the base's date: use it too.
            lines = [("Date: %s" % date) if l.startswith("Date: ") else l
                     for l in lines]
            mail.address(lines, everyone_to,
                         [a for a in everyone_cc if a not in everyone_to])
            if ctx.get("range_diff"):
                text = _add_range_diff(text, ctx["range_diff"],
                                       ctx.get("reroll"))
        mail.thread(lines, ids[i], ids[0] if i else None)
        with open(path, "w", encoding="utf-8") as f:
            f.write(mail.join(lines, text))
    mail.write_mbox(paths, outdir)
    return paths


def _add_range_diff(text, range_diff, reroll):
    """The range-diff after the diffstat, before base-commit, as
    format-patch --range-diff places it."""
    title = "Range-diff against v%d:" % (reroll - 1) if reroll and \
        reroll > 1 else "Range-diff against the previous posting:"
    block = "%s\n%s" % (title, range_diff.rstrip("\n"))
    m = re.search(r"\n\nbase-commit: ", text)
    if m:
        return text[:m.start()] + "\n\n" + block + text[m.start():]
    return text.rstrip("\n") + "\n\n" + block + "\n"


def checkpatch(tree, patches, jobs):
    """Run the tree's checkpatch.pl on each patch; return problems.

    Returns {patch: [lines]} for patches with any error or warning.  The
    cover letter is not a patch and is not checked.
    """
    script = os.path.join(tree, "scripts", "checkpatch.pl")
    if not os.path.exists(script):
        return {"(tree)": ["scripts/checkpatch.pl not found in the tree"]}

    def run(patches):
        """[(patch, [errors, warnings, its report], None)], or
        [(patch, None, what went wrong)] when checkpatch failed.  One
        perl for several patches (its start-up costs more than a patch);
        checkpatch prints one "total:" line per file, in order."""
        proc = runner.run(["perl", script, "--no-color"] + patches,
                          cwd=tree)
        totals = re.findall(r"^total: (\d+) errors, (\d+) warnings",
                            proc.stdout, re.M)
        if len(totals) != len(patches):
            # checkpatch itself failed: said, and never cached.
            failure = proc.stdout.splitlines()[-5:] + \
                proc.stderr.splitlines()[-3:]
            return [(p, None, failure) for p in patches]
        sections = re.split(r"^total: .*$", proc.stdout, flags=re.M)
        return [(p, [int(total[0]), int(total[1]), text], None)
                for p, total, text in zip(patches, totals, sections)]

    real = [p for p in patches if not p.endswith("0000-cover-letter.patch")]
    memo = Memo("checkpatch")
    keys = {p: _checkpatch_key(tree, p) for p in real}
    verdicts = {p: memo.get(keys[p]) for p in real}
    todo = [p for p in real if verdicts[p] is None]
    groups = [todo[i::max(1, jobs)] for i in range(max(1, jobs))]
    problems = {}
    with concurrent.futures.ThreadPoolExecutor(max(1, jobs)) as pool:
        for g in pool.map(run, [g for g in groups if g]):
            for p, verdict, failure in g:
                if verdict is None:
                    problems[p] = failure
                else:
                    verdicts[p] = verdict
                    memo.put(keys[p], verdict)
    for p in real:
        if p in problems or verdicts[p][:2] == [0, 0]:
            continue
        errors, warnings, text = verdicts[p]
        problems[p] = [l for l in text.splitlines()
                       if l.startswith(("ERROR", "WARNING", "CHECK", "#",
                                        "+"))] or \
            ["checkpatch: %d errors, %d warnings" % (errors, warnings)]
    return {p: problems[p] for p in real if p in problems}


# What checkpatch.pl reads besides the patch: its word lists and the
# tree's .checkpatch.conf.  (It may also ask git about commit ids a
# changelog cites; ours cite none.)
CHECKPATCH_INPUTS = ("scripts/checkpatch.pl", "scripts/spelling.txt",
                     "scripts/const_structs.checkpatch", ".checkpatch.conf")


INDEX_IDS = re.compile(r"^index [0-9a-f]+\.\.[0-9a-f]+", re.M)


def _checkpatch_key(tree, patch):
    """The verdict's key: checkpatch's inputs, and the patch's content
    (mail.content(): its commit id and date change with the base; the
    verdict and the line numbers it reports do not).  Nor do the blob ids
    of its `index` lines, which checkpatch.pl never reads: a file that
    changed away from the hunks (a new rc) keeps its verdict."""
    with open(patch, encoding="utf-8", errors="surrogateescape") as f:
        text = f.read()
    text = INDEX_IDS.sub("index", text)
    return key(mail.content(text),
               *[file_digest(os.path.join(tree, f))
                 for f in CHECKPATCH_INPUTS])
