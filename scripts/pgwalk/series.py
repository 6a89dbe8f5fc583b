"""Tree in, patch series out: the stages after the decisions.

`build()` turns decisions into commits on a branch of the user's tree (never
touching its work tree or index), writes them with git format-patch and a
filled-in cover letter, and checks every patch with the tree's own
checkpatch.pl.
"""

import concurrent.futures
import glob
import os
import re
import subprocess

from pgwalk import gitops, maintainers, messages


class SeriesError(Exception):
    """The series could not be made or did not pass its checks."""


PATCH_GLOB = "[0-9][0-9][0-9][0-9]-*.patch"


def group_by_file(decisions):
    """{relpath: [tables to change]} for tables whose action is not none."""
    groups = {}
    for table in decisions["tables"]:
        if table["action"] in ("annotate", "split"):
            groups.setdefault(table["file"], []).append(table)
    return groups


def patch_order(tree, files):
    """Stable order: files of the core's section first, then by section.

    The core lives in MEMORY MANAGEMENT; its other files follow it so the
    mm maintainers' part of the series reads in one go.
    """
    sections = maintainers.parse(tree)
    core_section = maintainers.section_of(sections, "mm/pagewalk.c")

    def key(relpath):
        section = maintainers.section_of(sections, relpath)
        return (section != core_section, section, relpath)
    return sorted(files, key=key)


def make_commits(tree, base, decisions, core_files, file_texts, progress):
    """Commit the core (if any) and one patch per file; return the head."""
    identity = gitops.identity(tree)
    builder = gitops.SeriesBuilder(tree, base)
    try:
        if core_files:
            builder.commit(core_files, messages.core_message(
                identity, decisions.get("per_vma_lock", False)))
        groups = group_by_file(decisions)
        for relpath in patch_order(tree, groups):
            progress("commit %s" % relpath)
            builder.commit({relpath: file_texts[relpath]},
                           messages.file_message(identity, relpath,
                                                 groups[relpath]))
        return builder.head
    finally:
        builder.close()


def format_patches(tree, base, head, outdir, decisions, changes=None):
    """Write the series to outdir; return the list of patch files.

    changes: lines for a "Changes since" section (None: no section)."""
    os.makedirs(outdir, exist_ok=True)
    for old in glob.glob(os.path.join(outdir, PATCH_GLOB)):
        os.unlink(old)
    # --no-signature: the default signature is the local git version,
    # which would make the same series differ from machine to machine.
    gitops.git(tree, "format-patch", "-q", "--cover-letter",
               "--no-signature", "--base=%s" % base, "-o",
               os.path.abspath(outdir), "%s..%s" % (base, head))
    patches = sorted(glob.glob(os.path.join(outdir, PATCH_GLOB)))
    fill_cover_letter(tree, base, patches[0], decisions, changes)
    return patches


def fill_cover_letter(tree, base, path, decisions, changes=None):
    """Replace format-patch's placeholders; pin the Date to the base."""
    subject, body = messages.cover_letter(
        decisions, gitops.kernel_version(tree), [])
    if changes is not None:
        body += "\n\n" + messages.changes_section(changes)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    text = text.replace("*** SUBJECT HERE ***", subject)
    text = text.replace("*** BLURB HERE ***", body)
    # format-patch stamps the cover letter with the current time; the
    # commits carry the base's date, so use the same for byte-identical
    # re-runs.
    date = gitops.git(tree, "log", "-1", "--format=%aD", base).strip()
    text = re.sub(r"^Date: .*$", "Date: %s" % date, text, count=1,
                  flags=re.M)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def checkpatch(tree, patches, jobs):
    """Run the tree's checkpatch.pl on each patch; return problems.

    Returns {patch: [lines]} for patches with any error or warning.  The
    cover letter is not a patch and is not checked.
    """
    script = os.path.join(tree, "scripts", "checkpatch.pl")
    if not os.path.exists(script):
        return {"(tree)": ["scripts/checkpatch.pl not found in the tree"]}

    def group(patches):
        # One perl for several patches: its start-up costs more than a
        # patch.  checkpatch prints one "total:" line per file, in order.
        proc = subprocess.run(["perl", script, "--no-color"] + patches,
                              cwd=tree, capture_output=True, text=True)
        totals = re.findall(r"^total: (\d+) errors, (\d+) warnings",
                            proc.stdout, re.M)
        if len(totals) != len(patches):
            return [(p, proc.stdout.splitlines()[-5:] +
                     proc.stderr.splitlines()[-3:]) for p in patches]
        sections = re.split(r"^total: .*$", proc.stdout, flags=re.M)
        out = []
        for patch, total, text in zip(patches, totals, sections):
            lines = [] if total == ("0", "0") else \
                [l for l in text.splitlines()
                 if l.startswith(("ERROR", "WARNING", "CHECK", "#", "+"))] \
                or ["checkpatch: %s errors, %s warnings" % total]
            out.append((patch, lines))
        return out

    real = [p for p in patches if not p.endswith("0000-cover-letter.patch")]
    groups = [real[i::max(1, jobs)] for i in range(max(1, jobs))]
    with concurrent.futures.ThreadPoolExecutor(max(1, jobs)) as pool:
        results = dict(r for g in pool.map(group, [g for g in groups if g])
                       for r in g)
    return {p: lines for p, lines in results.items() if lines}
