# SPDX-License-Identifier: GPL-2.0
"""Which lock each walk runs under: candidates (git grep), facts (Coccinelle),
the walk paths and their values, the decisions."""
