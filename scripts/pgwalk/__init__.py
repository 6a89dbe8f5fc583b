# SPDX-License-Identifier: GPL-2.0
"""pgwalk: turn a kernel tree into the page-walk locking series.

The pipeline flows one way (see README.md):
    candidates -> facts -> decisions -> edits -> commits -> patches
    analysis/: candidates, facts, gather, paths, values, decisions
    series/:   edits and the core, commits, the posting and its words
    forms/:    trees in another form (the walkers' bool lock_vma)
    proofs/:   builds per commit and architecture, the boot test
This directory holds what every stage shares (errors, runner, memo, logs,
the data files' reader) and apply.sh's entry point.  Everything after
`facts` is a pure function of its inputs, so the same tree gives the same
series.
"""

import os

# The toolkit's checkout: semantic-patches/, reference/, scripts/*.conf.
REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
