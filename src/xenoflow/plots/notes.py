"""Figures with nothing to draw: how their PNG says so, readable without matplotlib (the
report job reads it from the bytes)."""

from __future__ import annotations

#: How a :func:`note_figure` marks its PNG (``Description``): a figure with nothing to draw.
NOTE_PREFIX = "xenoflow note: "


def png_note(png: bytes) -> str:
    """The note of a :func:`note_figure` PNG ('' for a figure with content): its ``tEXt``
    chunk ``Description``, read without decoding the image."""
    pos = 8  # after the PNG signature
    while pos + 8 <= len(png):
        length = int.from_bytes(png[pos : pos + 4], "big")
        kind = png[pos + 4 : pos + 8]
        if kind == b"tEXt":
            key, _, value = png[pos + 8 : pos + 8 + length].partition(b"\0")
            text = value.decode("latin-1")
            if key == b"Description" and text.startswith(NOTE_PREFIX):
                return text.removeprefix(NOTE_PREFIX)
        if kind in (b"IDAT", b"IEND"):
            return ""
        pos += 12 + length
    return ""
