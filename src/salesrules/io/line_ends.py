"""Line ends of text files: CR alone (the old Mac "CSV (Macintosh)" export), and a CR alone
among LF line ends, which CSV readers split into records in different ways."""

from __future__ import annotations

import re

# How much of a file is read at a time, and how much of its start is sniffed.
CHUNK_SIZE = 1 << 20
SNIFF_SIZE = 8192


def cr_line_ends(path: str) -> bool:
    """Whether the start of the file breaks lines with CR alone (a CR and no LF)."""
    with open(path, "rb") as stream:
        head = stream.read(SNIFF_SIZE)
    return b"\r" in head and b"\n" not in head


def lone_carriage_return(source: str) -> int | None:
    """The line of the first CR that no LF follows in a file that has LFs, else None."""
    line, previous = 1, b""
    with open(source, "rb") as stream:
        while chunk := stream.read(CHUNK_SIZE):
            text = previous + chunk
            found = re.search(rb"\r(?!\n)", text[:-1] if len(text) > 1 else text)
            if found:
                return line + text[: found.start()].count(b"\n")
            line += text[:-1].count(b"\n")
            previous = text[-1:]
    return None
