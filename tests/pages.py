"""An HTML page as a reader sees it, for the tests that read the reports and the index."""

from __future__ import annotations

from html.parser import HTMLParser

#: elements whose text a reader does not see
HIDDEN = ("style", "title", "script")


class Page(HTMLParser):
    """The tables (rows of cell texts), paragraphs, links and visible words of a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.paragraphs: list[str] = []
        self.links: list[str] = []
        self.words: list[str] = []
        self._cell: list[str] | None = None
        self._para: list[str] | None = None
        self._skip = 0
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "p":
            self._para = []
        elif tag == "a":
            self.links.append(dict(attrs).get("href") or "")
        elif tag in HIDDEN:
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "p" and self._para is not None:
            self.paragraphs.append(" ".join("".join(self._para).split()))
            self._para = None
        elif tag in HIDDEN:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.words.append(data)
        for part in (self._cell, self._para):
            if part is not None:
                part.append(data)

    @property
    def text(self) -> str:
        """The visible text, whitespace collapsed."""
        return " ".join(" ".join(self.words).split())

    def table_with(self, header: str) -> list[dict[str, str]]:
        """The rows (header -> cell) of the first table with a column header containing
        ``header``."""
        for rows in self.tables:
            if rows and any(header in h for h in rows[0]):
                return [dict(zip(rows[0], r)) for r in rows[1:]]
        raise AssertionError(f"no table with a column {header!r}")
