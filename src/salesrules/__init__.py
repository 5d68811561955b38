"""salesrules: a columnar rules engine for sales methodologies."""

from .hookspecs import hookimpl

__version__ = "0.1.0"
__all__ = ["hookimpl", "__version__"]
