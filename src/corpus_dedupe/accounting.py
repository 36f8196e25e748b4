"""Prove that the provenance map accounts for every byte of a source file.

Each byte must lie inside exactly one paragraph record's byte range, or be separator whitespace
(line breaks, blank lines, spaces around a piece) or the byte order mark. Used by the tests and by
``dedupe verify``.
"""

from __future__ import annotations

import codecs

_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def byte_coverage_problems(data: bytes, encoding: str, ranges: list[tuple[int, int]]) -> list[str]:
    """Problems with ``ranges`` (half-open byte ranges of the paragraph records of one file) as an
    account of ``data``; an empty list means every byte is accounted for.

    >>> byte_coverage_problems(b"one\\n\\ntwo\\n", "utf-8", [(0, 3), (5, 8)])
    []
    >>> byte_coverage_problems(b"one\\n\\ntwo\\n", "utf-8", [(0, 3)])
    ['bytes 3-9 are not in any paragraph and are not whitespace']
    >>> byte_coverage_problems(b"one two", "utf-8", [(0, 5), (4, 7)])
    ['paragraph ranges overlap at byte 4']
    """
    problems: list[str] = []
    cursor = 0
    bom = next((len(b) for b in _BOMS if data.startswith(b)), 0)
    errors = "surrogatepass" if encoding.startswith(("utf-16", "utf-32")) else "surrogateescape"

    def check_gap(start: int, end: int) -> None:
        if start < bom:
            start = bom if end >= bom else end
        if end <= start:
            return
        try:
            gap = data[start:end].decode(encoding, errors)
        except (UnicodeDecodeError, LookupError):
            gap = "?"
        if gap.strip():
            problems.append(f"bytes {start}-{end} are not in any paragraph and are not whitespace")

    for start, end in sorted(ranges):
        if start < cursor:
            problems.append(f"paragraph ranges overlap at byte {start}")
        elif start > cursor:
            check_gap(cursor, start)
        if end > len(data) or end < start:
            problems.append(f"range {start}-{end} is outside the file ({len(data)} bytes)")
        cursor = max(cursor, end)
    check_gap(cursor, len(data))
    return problems
