# SPDX-License-Identifier: GPL-2.0
"""The toolkit's line-based data files (scripts/*.conf, decisions files):
one entry per line, `#` starts a comment, blank lines are skipped."""


def entries(path):
    """(line number, text) of each entry line of path, comment removed."""
    with open(path, encoding="utf-8") as f:
        for num, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if line:
                yield num, line
