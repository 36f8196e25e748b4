"""The README's Python examples run as written (from the project folder, as a user would)."""

from __future__ import annotations

import contextlib
import io
import re

from conftest import ROOT


def test_the_readme_python_examples_run_as_written(monkeypatch):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.DOTALL)
    assert blocks, "the README has a Python example"
    monkeypatch.chdir(ROOT)
    for block in blocks:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(block, "README.md", "exec"), {})
        assert printed.getvalue(), block  # each example shows something
