# SPDX-License-Identifier: GPL-2.0
"""The posting: the commits written as mail, and checked.

`format_patches()` writes them with git format-patch, fills in the cover
letter, addresses every message (the tree's get_maintainer.pl) and
writes the mbox; `checkpatch()` runs the tree's own checkpatch.pl on
every patch, its verdicts kept by the patch's content.
"""

import concurrent.futures
import glob
import os
import re
import textwrap

from pgwalk import gitops, runner
from pgwalk.series import commits, mail, maintainers, messages
from pgwalk.memo import Memo, file_digest, key

PATCH_GLOB = "[0-9][0-9][0-9][0-9]-*.patch"
EVIDENCE = "evidence.md"


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
    # Not built and booted: a request for comments, not a patch to apply.
    prefix = "PATCH" if messages.tested(ctx.get("proof")) else "RFC PATCH"
    if (ctx.get("reroll") or 1) > 1:
        prefix += " v%d" % ctx["reroll"]
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
               os.path.abspath(outdir), "%s..%s" % (base, head),
               env=gitops.identity_env(tree))
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
    # The paths behind every mode, for the reviewer who asks: beside the
    # patches, not after their --- lines.
    with open(os.path.join(outdir, EVIDENCE), "w", encoding="utf-8") as f:
        f.write(messages.evidence(decisions, patches))
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
        # Every patch depends on the core (patch 1, or the walker core
        # the tree has): its maintainers and lists get every patch.
        core = addrs[1] if not decisions.get("has_core") and \
            len(paths) > 1 else maintainers.get_file_maintainers(
                tree, commits.CORE_FILE)
        if core:
            addrs[1:] = [maintainers.with_core(a, core) if a else core
                         for a in addrs[1:]]
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
            text = text.replace("*** BLURB HERE ***", body + _identity_note(
                gitops.identity_problem(tree)))
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


def _identity_note(problem):
    """Below a `---` after the cover letter's text, never in its
    changelog: the series is signed by the placeholder."""
    if not problem:
        return ""
    return "\n\n---\n%s\n\n  %s\n\nand generating the series again." % (
        textwrap.fill(
            "The From: and Signed-off-by: lines of this series are a "
            "placeholder (%s): replace them with your own before mailing, "
            "for instance by setting yours with" % problem, 72),
        gitops.SET_IDENTITY.replace("; ", "\n  "))


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
