"""pgwalk: turn a kernel tree into the page-walk locking series.

The pipeline flows one way (see README.md):
    candidates -> facts -> decisions -> edits -> commits -> patches
Each stage is a module of this package; everything after `facts` is a
pure function of its inputs, so the same tree gives the same series.
"""

import os

# The toolkit's checkout: semantic-patches/, reference/, scripts/*.conf.
REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
