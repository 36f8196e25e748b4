"""Copy a generated corpus with typographic punctuation, as most published English text has it.

The speeches behind the generated corpus are plain ASCII (straight quotes, " - " for a dash), so
nearly every paragraph takes the ASCII fast paths of the per-document stages. News sites write
"it’s", “quoted” and “ — ”: every such paragraph is not ASCII and takes the general paths. This
script makes a copy with those characters so that both kinds of text can be timed on the same
content (the ground truth stays valid: the match key folds curly quotes and dashes back).

    .venv/bin/python benchmarks/typographic_copy.py /tmp/c20 /tmp/c20q

Files that are not UTF-8 are copied unchanged.
"""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

_APOSTROPHE = re.compile(r"(\w)'(\w)")  # it's -> it’s
_QUOTED = re.compile(r'"([^"\n]*)"')  # "x" -> “x”
_SPACED_DASH = " - "  # -> " — "


def typographic(text: str) -> str:
    """``text`` with apostrophes, paired double quotes and spaced hyphens made typographic.

    >>> typographic('He said "it\\'s over" - then left.')
    'He said “it’s over” — then left.'
    """
    text = _APOSTROPHE.sub("\\1\u2019\\2", text)
    text = _QUOTED.sub("\u201c\\1\u201d", text)
    return text.replace(_SPACED_DASH, " \u2014 ")


def copy_corpus(src: Path, dst: Path) -> tuple[int, int]:
    """Copy every file of ``src`` to the same relative path under ``dst``; returns (files made
    typographic, files copied unchanged)."""
    changed = unchanged = 0
    for path in sorted(p for p in src.rglob("*") if p.is_file()):
        target = dst / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            shutil.copyfile(path, target)
            unchanged += 1
            continue
        target.write_bytes(typographic(text).encode("utf-8"))
        changed += 1
    return changed, unchanged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", type=Path, help="a corpus folder (for example from generate.py)")
    parser.add_argument("dst", type=Path, help="where the copy goes (must not exist)")
    args = parser.parse_args(argv)
    if args.dst.exists():
        parser.error(f"{args.dst} exists")
    changed, unchanged = copy_corpus(args.src, args.dst)
    print(f"{changed} files made typographic, {unchanged} copied unchanged (not UTF-8)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
