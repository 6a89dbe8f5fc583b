"""Which lock each walk runs under: candidates (git grep), facts (Coccinelle),
the walk paths and their values, the decisions."""
