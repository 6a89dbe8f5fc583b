# SPDX-License-Identifier: GPL-2.0
"""From decisions to a posting: the edits (Coccinelle), the core, the commits,
their messages and the mail."""
