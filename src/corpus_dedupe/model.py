"""Plain data passed between the stages.

Every stage is a function over these dataclasses; none of them holds behaviour beyond small derived
properties, so a stage can be tested alone by building its input by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from operator import attrgetter

# Reason codes, as listed in DESIGN.md. A kept paragraph has reason None.
EXACT_DUPLICATE = "exact_duplicate"
NEAR_DUPLICATE = "near_duplicate"
CONTAINED = "contained"
BOILERPLATE = "boilerplate"
ORPHAN_HEADING = "orphan_heading"
METADATA = "metadata"
EMPTY = "empty"

DUPLICATE_REASONS = (EXACT_DUPLICATE, NEAR_DUPLICATE, CONTAINED)
ALL_REASONS = (EXACT_DUPLICATE, NEAR_DUPLICATE, CONTAINED, BOILERPLATE, ORPHAN_HEADING, METADATA, EMPTY)


@dataclass(slots=True)
class SourceLine:
    """One line of a source file: its decoded text and where its bytes are.

    ``raw`` is the decoded text exactly as in the file (undecodable bytes kept as lone surrogates, so
    that ``raw.encode(codec, "surrogateescape")`` gives the source bytes back); ``byte_start`` and
    ``byte_end`` delimit the line without its terminator.
    """

    number: int
    raw: str
    byte_start: int
    byte_end: int


@dataclass(slots=True)
class Document:
    """A decoded source file."""

    path: str  # relative to SRC, POSIX separators
    size: int
    sha256: str
    encoding: str  # codec name used to decode, e.g. "utf-8", "utf-16", "cp1252"
    lines: list[SourceLine]
    notes: list[str] = field(default_factory=list)  # e.g. "invalid UTF-8 bytes replaced"
    encoding_confidence: float = 1.0  # how sure the reader is of ``encoding`` (see reader.EncodingDecision)


@dataclass(slots=True)
class Paragraph:
    """A unit of text that gets exactly one decision.

    Usually one line or several joined lines; a line can also be split into pieces (a leading
    ``date 2026-02-02`` token, a trailing close-button ``X``) so that each piece gets its own decision.
    ``first_line``/``last_line`` are 1-based and inclusive; ``byte_start``/``byte_end`` are a half-open
    range in the source file.
    """

    source: str
    index: int
    first_line: int
    last_line: int
    byte_start: int
    byte_end: int
    text: str  # normalised text, as it would be written
    reason: str | None = None  # decided before dedupe (empty, metadata, boilerplate)
    rule: str | None = None  # rule id for boilerplate/metadata
    metadata: dict | None = None  # e.g. {"date": "2026-02-02"} for a metadata piece
    is_heading: bool = False
    prose: bool = False  # reads as sentences of content (set by the boilerplate stage)
    evidence: list | str | None = None  # why a heuristic removed it (page.evidence_for's list, or words)

    def __reduce__(self):
        # Pickled as the constructor's arguments: half the size and twice as fast to load as the
        # default for a slots class (paragraphs go through the spill file, every one of them).
        return (Paragraph, _paragraph_fields(self))


_paragraph_fields = attrgetter(*(f.name for f in fields(Paragraph)))


@dataclass(slots=True)
class ParagraphRef:
    source: str
    index: int
    first_line: int
    batch: int | None = None  # a paragraph of an earlier batch of an incremental run (--index): its batch number

    def as_json(self) -> dict:
        where = {"batch": self.batch} if self.batch is not None else {}
        if "\0" in self.source:  # a row (see formats.Address)
            from .formats import Address

            return {**where, **Address.from_key(self.source).fields(), "paragraph": self.index, "line": self.first_line}
        return {**where, "source": self.source, "paragraph": self.index, "line": self.first_line}


@dataclass(slots=True)
class Decision:
    """The final verdict on one paragraph."""

    reason: str | None  # None: kept
    rule: str | None = None
    duplicate_of: ParagraphRef | None = None
    similarity: float | None = None
    variant_of: ParagraphRef | None = None
    differing_numbers: list[str] | None = None
    template_documents: int | None = None  # for corpus template lines: how many documents carried it
    evidence: list | str | None = None  # the signals that decided a page line (page.* rules)

    @property
    def kept(self) -> bool:
        return self.reason is None


@dataclass(slots=True)
class Skipped:
    """A file that was not processed, and why (binary, undecodable, unreadable, too large...)."""

    path: str
    problem: str
