"""Stable import path for plugin authors: the types of the expression language.

The types live in :mod:`salesrules.model.types`; plugins written against this module keep working.
"""

from .model.types import (
    BOOLEAN,
    DATE,
    INTEGER,
    MONEY,
    NULL,
    NUMBER,
    STRING,
    Type,
    accepts,
    named,
    unify,
)

__all__ = ["BOOLEAN", "DATE", "INTEGER", "MONEY", "NULL", "NUMBER", "STRING", "Type", "accepts", "named", "unify"]
