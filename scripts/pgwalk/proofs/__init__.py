# SPDX-License-Identifier: GPL-2.0
"""What the series is checked by: builds per commit and architecture, and the
boot test with its lock census."""
