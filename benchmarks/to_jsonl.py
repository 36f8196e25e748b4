"""A corpus folder as one JSONL file: one row per file, in sorted path order.

    python benchmarks/to_jsonl.py /tmp/small /tmp/small.jsonl

Each row is ``{"id": "<path relative to the folder, posix>", "text": "<the file's content>"}``
(keys in that order, non-ASCII written as is, one row per line, ``\\n`` line ends), so
``dedupe /tmp/small.jsonl OUT`` sees the same documents as ``dedupe /tmp/small OUT`` and the
folder's ground truth applies to the rows: a row's ``id`` is the truth's ``path``, and a
paragraph's lines are counted in the row's text as in the file. Files that are not valid UTF-8
cannot be a JSON string byte for byte and are refused.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def folder_to_jsonl(folder: Path, out: Path) -> int:
    """Write ``out`` from every file under ``folder``; returns the number of rows."""
    folder = Path(folder)
    files = sorted((p.relative_to(folder).as_posix(), p) for p in folder.rglob("*") if p.is_file())
    tmp = Path(out).with_name(Path(out).name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as f:
        for rel, path in files:
            data = path.read_bytes()
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as e:
                tmp.unlink()
                raise SystemExit(f"{rel} is not valid UTF-8 ({e}); a JSONL row cannot hold it byte for byte")
            f.write(json.dumps({"id": rel, "text": text}, ensure_ascii=False) + "\n")
    tmp.replace(out)
    return len(files)


def read_rows(path: Path) -> list[dict]:
    """The rows of a JSONL file (blank lines are not rows)."""
    with Path(path).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("out", type=Path, help="the JSONL file to write")
    args = parser.parse_args(argv)
    rows = folder_to_jsonl(args.folder, args.out)
    print(f"{rows} rows written to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
