# SPDX-License-Identifier: GPL-2.0
"""Trees in another form: walkers that take a bool lock_vma are converted to
the table's rule first."""
