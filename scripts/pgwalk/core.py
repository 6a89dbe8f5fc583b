# SPDX-License-Identifier: GPL-2.0
"""Insert the hand-written core (reference/) into a kernel tree.

semantic-patches/core-pagewalk-*.cocci find the anchors and leave
"/* pgwalk: NAME */" marker lines; the code for each marker comes verbatim
from reference/pagewalk.h and reference/pagewalk.c, the only copies of it.
On trees without per-VMA locks the rules run without -D per_vma_lock and
the VMA half is not inserted: no dead code naming functions the tree lacks.

    python3 -m pgwalk.core TREE    print the core patch for TREE
"""

import os
import re
import shutil
import sys
import tempfile

from pgwalk import REPO, cocci, runner
from pgwalk.treefeatures import HEADER, detect
from pgwalk.errors import PgwalkError, run_main
from pgwalk import modewords
from pgwalk.memo import Memo, file_digest, key

REFERENCE = os.path.join(REPO, "reference")
SEMANTIC_PATCHES = os.path.join(REPO, "semantic-patches")

WALKER = "mm/pagewalk.c"
MEMBER_DOC = (" * @walk_lock:\t\tlocking rule of the walk, "
              "see enum page_walk_lock")


class CoreError(PgwalkError):
    """The core could not be inserted; names the file and the anchor."""


def read_text(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def reference_blocks():
    """{block name: code} from the "/* pgwalk: NAME... */" markers."""
    blocks = {}
    for name in ("pagewalk.h", "pagewalk.c"):
        text = read_text(os.path.join(REFERENCE, name))
        for m in re.finditer(r"^/\* pgwalk: ([a-z ]+?)(?:,[^*]*)? \*/\n"
                             r"(.*?)^/\* pgwalk: end \*/\n", text,
                             re.M | re.S):
            blocks[m.group(1)] = m.group(2).rstrip("\n")
    m = re.search(r"#define PGWALK_REFERENCE_MEMBER\t(.*)$",
                  read_text(os.path.join(REFERENCE, "pagewalk.h")), re.M)
    blocks["member"] = m.group(1).strip() + ";"
    return blocks


def enum_block(blocks, per_vma_lock):
    """The enum with the kernel-doc that is true for the tree: what each
    mode requires of the caller and does to each VMA there (modewords)."""
    block = blocks["enum"]
    code = block[block.index(" */\n") + len(" */\n"):]
    return modewords.kernel_doc(None, per_vma_lock) + "\n" + code


def fill_markers(text, relpath, per_vma_lock=True):
    """Replace each "/* pgwalk: NAME */" line the rule left with its block.

    The block goes in verbatim (Coccinelle would re-indent it); a
    definition gets a blank line after it, a struct member does not.
    Coccinelle attaches an added line after the comment that precedes its
    anchor, so a definition is moved above that comment: a function's
    kernel-doc stays with the function.
    """
    blocks = reference_blocks()
    blocks["enum"] = enum_block(blocks, per_vma_lock)
    lines = text.split("\n")
    out = []
    for line in lines:
        m = re.match(r"^([ \t]*)/\* pgwalk: ([a-z ]+) \*/$", line)
        if not m:
            out.append(line)
            continue
        indent, name = m.groups()
        if name not in blocks:
            raise CoreError("%s: unknown core block %r" % (relpath, name))
        if name == "member":
            out.append(indent + blocks[name])
            continue
        at = len(out)
        if at and out[at - 1].strip() == "*/":
            while at > 0 and not out[at - 1].startswith("/*"):
                at -= 1
            at -= 1
        out[at:at] = blocks[name].split("\n") + [""]
    return "\n".join(out)


def _document_locking(text, per_vma_lock):
    """Say in walk_page_range()'s kernel-doc that ops->walk_lock rules."""
    anchor = re.search(r"\n \* Locking:\n(?: \*  .*\n)+", text)
    if not anchor:
        return text
    note = (" *   @ops->walk_lock says which lock the caller holds and "
            "what the walker\n"
            " *   does with each VMA: see enum page_walk_lock.\n")
    return text[:anchor.end()] + note + text[anchor.end():]


def _spatch(rule, path, per_vma_lock):
    proc = runner.run(cocci.argv(
        rule, "--in-place", path,
        define=["patch"] + (["per_vma_lock"] if per_vma_lock else [])))
    if proc.returncode != 0:
        raise CoreError("spatch failed on %s: %s" %
                        (path, proc.stderr.strip()[-300:]))


def core_edits(tree, per_vma_lock):
    """{relpath: new text} of pagewalk.h and pagewalk.c; tree untouched."""
    # Kept by everything the two texts come from: the tree's two files,
    # the rules, the reference code and this module (fills the markers).
    memo = Memo("core")
    k = key(per_vma_lock, file_digest(__file__),
            file_digest(modewords.__file__),
            *[repr(r) for r in modewords.conf_rows()],
            *[file_digest(p) for p in (
                [os.path.join(tree, HEADER), os.path.join(tree, WALKER)] +
                [os.path.join(REFERENCE, n) for n in sorted(
                    os.listdir(REFERENCE))] +
                [os.path.join(SEMANTIC_PATCHES, n) for n in (
                    "core-pagewalk-h.cocci", "core-pagewalk-c.cocci")])])
    out = memo.get(k)
    if out is None:
        out = _core_edits(tree, per_vma_lock)
        memo.put(k, out)
    return out


def _core_edits(tree, per_vma_lock):
    """core_edits() without the cache."""
    work = tempfile.mkdtemp(prefix="pgwalk-core-")
    try:
        out = {}
        for relpath, template in ((HEADER, "core-pagewalk-h.cocci"),
                                  (WALKER, "core-pagewalk-c.cocci")):
            src = os.path.join(tree, relpath)
            if not os.path.exists(src):
                raise CoreError("%s: not found" % relpath)
            copy = os.path.join(work, os.path.basename(relpath))
            shutil.copyfile(src, copy)
            _spatch(os.path.join(SEMANTIC_PATCHES, template), copy,
                    per_vma_lock)
            out[relpath] = fill_markers(read_text(copy), relpath, per_vma_lock)
        out[HEADER] = _document_member(out[HEADER])
        out[WALKER] = _document_locking(out[WALKER], per_vma_lock)
        _verify(out, per_vma_lock)
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _document_member(text):
    """Add the @walk_lock line at the end of struct mm_walk_ops' member list.

    Coccinelle does not edit comments, so this one line is placed here:
    after the last "@member:" paragraph of the kernel-doc block that
    documents struct mm_walk_ops.
    """
    m = re.search(r"/\*\*\n \* struct mm_walk_ops - .*?\n \*/\n", text, re.S)
    if not m:
        raise CoreError("%s: no kernel-doc for struct mm_walk_ops" % HEADER)
    doc = m.group(0).split("\n")
    last = max(i for i, line in enumerate(doc) if re.match(r" \* @\w+:", line))
    # The member paragraph runs on over continuation lines (" *\t...",
    # " *   ...") until a blank " *" line or the end of the comment.
    end = last + 1
    while end < len(doc) and re.match(r" \*[ \t]+\S", doc[end]) and \
            not re.match(r" \* @\w+:", doc[end]):
        end += 1
    doc.insert(end, MEMBER_DOC)
    return text[:m.start()] + "\n".join(doc) + text[m.end():]


def _verify(out, per_vma_lock):
    """Every anchor applied: a rule that silently did nothing is an error."""
    header, walker = out[HEADER], out[WALKER]
    checks = [
        (HEADER, "enum page_walk_lock {" in header, "enum before struct"),
        (HEADER, re.search(r"\tenum page_walk_lock walk_lock;\n};", header),
         "walk_lock member of struct mm_walk_ops"),
        (WALKER, "static void process_mm_walk_lock(" in walker,
         "helpers before walk_page_range()"),
        (WALKER, walker.count("process_mm_walk_lock(walk.mm, ops->walk_lock)")
         == 3, "mmap_assert_locked() in walk_page_range(), walk_page_vma() "
         "and walk_page_range_vma()"),
    ]
    if per_vma_lock:
        checks.append((WALKER, walker.count(
            "process_vma_walk_lock(vma, ops->walk_lock)") == 3,
            "VMA lock calls in the three VMA walkers"))
    for relpath, ok, anchor in checks:
        if not ok:
            raise CoreError("%s: the core was not inserted (%s)" %
                            (relpath, anchor))


def main(argv):
    """python3 -m pgwalk.core TREE: print the core patch for TREE."""
    import difflib
    if len(argv) != 1:
        print("usage: python3 -m pgwalk.core TREE", file=sys.stderr)
        return 2
    tree = argv[0]
    found = detect(tree)
    for relpath, text in core_edits(tree, found["per_vma_lock"]).items():
        old = read_text(os.path.join(tree, relpath))
        sys.stdout.writelines(difflib.unified_diff(
            old.splitlines(True), text.splitlines(True), "a/" + relpath,
            "b/" + relpath))
    return 0


if __name__ == "__main__":
    sys.exit(run_main("pgwalk.core", lambda: main(sys.argv[1:])))
