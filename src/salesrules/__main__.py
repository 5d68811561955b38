"""``python -m salesrules`` and the ``salesrules`` command: the command line as the process."""

import gc

# Objects allocated between two collections of the youngest generation (Python's default is
# 700): a short command then runs without one, and a long run collects a few times less often.
YOUNG_COLLECTION_OBJECTS = 20_000


def main() -> None:
    """Run the command line as the whole process.

    The garbage collector waits while the command line and what it needs (polars, click, the
    plugins) are imported: their objects all live as long as the process, and the collections
    that the many objects of the imports would set off, each looking through more of them,
    find nothing to free. They are then frozen, so the collections of the run itself look
    only at the objects it makes, and those come less often (``YOUNG_COLLECTION_OBJECTS``):
    compiling a ruleset makes many objects that all stay until the run ends.
    """
    gc.disable()
    try:
        from .cli import cli
    finally:
        gc.freeze()
        gc.enable()
    gc.set_threshold(YOUNG_COLLECTION_OBJECTS, *gc.get_threshold()[1:])
    cli()


if __name__ == "__main__":
    main()
