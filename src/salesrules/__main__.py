"""``python -m salesrules`` and the ``salesrules`` command: the command line as the process."""

import gc


def main() -> None:
    """Run the command line as the whole process.

    The garbage collector waits while the command line and what it needs (polars, click, the
    plugins) are imported: their objects all live as long as the process, and the collections
    that the many objects of the imports would set off, each looking through more of them,
    find nothing to free. They are then frozen, so the collections of the run itself look
    only at the objects it makes.
    """
    gc.disable()
    try:
        from .cli import cli
    finally:
        gc.freeze()
        gc.enable()
    cli()


if __name__ == "__main__":
    main()
