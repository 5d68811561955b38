"""Stable import path for plugin authors: the options and helpers of input formats.

The readers live in :mod:`salesrules.io.inputs`; plugins written against this module keep working.
"""

from .io.inputs import ReadOptions, first_line, read_table, temporary_path

__all__ = ["ReadOptions", "first_line", "read_table", "temporary_path"]
