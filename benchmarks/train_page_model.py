"""Train and cross-validate the whole-page model (``src/corpus_dedupe/page_model.json``).

    python benchmarks/train_page_model.py PAGES_DIR LABELS_JSONL [--tool .venv/bin/dedupe] [--write FILE]

PAGES_DIR holds one text file a page (one visible block a line, as a naive scraper sees it);
LABELS_JSONL one JSON object a page: ``{"page": "NAME.txt", "labels": [...]}`` with one label a
line: ``content`` (in the article), ``boilerplate`` (not), or ``either`` (not scored). This is
the format of ``../shared/devsets/web-boilerplate``; label pages of your own the same way to
retrain, then run ``dedupe --page-model FILE``.

Every page goes through the tool's own reader, segmenter and line rules, so that the model
learns on what the stage sees. The model is four logistic passes (each later one sees the context
of the one before it: see corpus_dedupe/page.py), each line weighted by the fourth root of its
characters (the scores count characters; a heavier weight loses more article at the same
removal), trained by Newton's method with an L2 penalty. Cross-validation
is by page (a page's lines are never in both the training and the test folds); it reports the
characters of article kept and of boilerplate removed for the stage alone (with its precision
guards) and, with ``--tool``, for the whole tool run on each fold with that fold's model.
``--write FILE`` trains on all pages and writes the model.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

import numpy as np

from corpus_dedupe import page
from corpus_dedupe.boilerplate import RuleSet, split_line_edges
from corpus_dedupe.reader import read_document
from corpus_dedupe.segment import segment



def load_pages(pages_dir: Path, labels_file: Path):
    rules = RuleSet.load()
    out = []
    for line in labels_file.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        path = pages_dir / rec["page"]
        doc = read_document(pages_dir, rec["page"], 1 << 30, ())[0]
        paragraphs = segment(doc, split_line_edges)
        rules.classify(paragraphs)
        paragraphs = [p for p in paragraphs if p.reason != "empty"]
        labels = rec["labels"]
        texts = [p.text for p in paragraphs]
        decided = [p.reason is not None for p in paragraphs]
        prose = [p.prose for p in paragraphs]
        # Characters of content and of boilerplate in each paragraph, from its source lines.
        raw = path.read_text(encoding="utf-8", errors="replace").split("\n")
        content = np.zeros(len(paragraphs))
        boiler = np.zeros(len(paragraphs))
        for k, p in enumerate(paragraphs):
            for number in range(p.first_line, p.last_line + 1):
                if number - 1 < len(labels):
                    size = len(raw[number - 1].strip())
                    if labels[number - 1] == "content":
                        content[k] += size
                    elif labels[number - 1] == "boilerplate":
                        boiler[k] += size
        signals = page.page_features(texts, decided, prose)
        out.append({"name": rec["page"], "texts": texts, "signals": signals, "content": content, "boiler": boiler,
                    "decided": np.array(decided), "prose": np.array(prose)})
    return out


WEIGHT_POWER = 0.25  # line weight: characters ** this (0.5 and 1 lose more article at the same removal, cross-validated)


def fit(x: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float = 1.0, iterations: int = 30) -> np.ndarray:
    """Weighted logistic regression by Newton's method (IRLS) with an L2 penalty (not on the bias)."""
    beta = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(iterations):
        p = page.probabilities(x, beta)
        gradient = x.T @ (w * (p - y)) + penalty * beta
        hessian = (x * (w * p * (1 - p))[:, None]).T @ x + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-6:
            break
    return beta


def training_rows(pages, columns: int):
    xs, ys, ws = [], [], []
    for pg in pages:
        keep = ~pg["decided"] & ((pg["content"] + pg["boiler"]) > 0)
        x = pg["signals"].features[keep][:, :columns]
        c, b = pg["content"][keep], pg["boiler"][keep]
        xs.append(x)
        ys.append((c >= b).astype(float))
        ws.append((c + b) ** WEIGHT_POWER)
    x, y, w = np.concatenate(xs), np.concatenate(ys), np.concatenate(ws)
    # Balance the classes by weight: the threshold, not the prior, decides.
    w = np.where(y == 1, w / w[y == 1].sum(), w / w[y == 0].sum()) * len(w)
    return x, y, w


def train(pages, l2: float, passes: int = 4) -> page.PageModel:
    """The first pass on the line features; then each later pass on all the features, with the
    context of the pass before it filled in on every page."""
    weights = [fit(*training_rows(pages, len(page.LINE_FEATURES)), l2=l2)]
    for _ in range(1, passes):
        so_far = page.PageModel(tuple(weights), 0.5)
        for pg in pages:
            page.score_page(pg["signals"], so_far)
            page.add_context(pg["signals"], pg["signals"].probability)
        weights.append(fit(*training_rows(pages, len(page.FEATURES)), l2=l2))
    return page.PageModel(tuple(weights), 0.5)


def removed_mask(pg, model: page.PageModel, threshold: float, guard: bool = True) -> np.ndarray:
    """Which paragraphs the stage removes, as :func:`corpus_dedupe.boilerplate` decides them."""
    return page.decide_page(pg["signals"], pg["decided"], pg["prose"], model, threshold, guard=guard)


def score(pages, model_of, threshold: float, guard: bool = True) -> tuple[float, float]:
    kept = removed = total_c = total_b = 0.0
    for pg in pages:
        gone = removed_mask(pg, model_of(pg["name"]), threshold, guard) | pg["decided"]
        kept += pg["content"][~gone].sum()
        total_c += pg["content"].sum()
        removed += pg["boiler"][gone].sum()
        total_b += pg["boiler"].sum()
    return kept / total_c, removed / total_b


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[\u2018\u2019\u201c\u201d\"']", "", text)
    return re.sub(r"\s+", " ", text).strip()


def score_output(pages_dir: Path, labels_file: Path, dst: Path) -> tuple[float, float]:
    """Characters of content lines kept and of boilerplate lines removed in ``dst``, the output
    of a run over the pages: a line is kept when an output line equals it, or (four words or
    more) when it occurs inside an output line, both after normalising case, quotes and spaces."""
    tot = {"content": [0, 0], "boilerplate": [0, 0]}
    for line in labels_file.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        src_lines = (pages_dir / rec["page"]).read_text(encoding="utf-8").split("\n")
        out = dst / rec["page"]
        out_text = out.read_text(encoding="utf-8") if out.exists() else ""
        out_lines = {_norm(x) for x in out_text.split("\n") if x.strip()}
        out_all = _norm(out_text)
        for text, label in zip(src_lines, rec["labels"]):
            if label not in tot:
                continue
            n = _norm(text)
            kept = n in out_lines or (len(n.split()) >= 4 and n in out_all)
            tot[label][1] += len(n)
            if kept == (label == "content"):
                tot[label][0] += len(n)
    return tot["content"][0] / tot["content"][1], tot["boilerplate"][0] / tot["boilerplate"][1]


def write_model(path: Path, model: page.PageModel, threshold: float, aggressive: float, trained_on: str) -> None:
    path.write_text(json.dumps({
        "features": list(page.FEATURES),
        "passes": [[round(float(v), 6) for v in weights] for weights in model.passes],
        "threshold": threshold, "aggressive_threshold": aggressive, "trained_on": trained_on,
    }, indent=1) + "\n")


def pipeline_cv(tool: str, pages_dir: Path, labels_file: Path, fold_of: dict, fold_models: dict,
                threshold: float, aggressive: float, mode: str) -> tuple[float, float]:
    """The whole tool, cross-validated: each fold's pages run through ``tool`` with the model
    trained on the other folds (``--page-model``), the outputs scored together."""
    with tempfile.TemporaryDirectory() as tmp:
        combined = Path(tmp) / "out"
        combined.mkdir()
        for k, model in fold_models.items():
            src, dst, model_file = Path(tmp) / f"src{k}", Path(tmp) / f"dst{k}", Path(tmp) / f"model{k}.json"
            src.mkdir()
            for name, fold in fold_of.items():
                if fold == k:
                    shutil.copy(pages_dir / name, src / name)
            write_model(model_file, model, threshold, aggressive, f"fold {k}")
            subprocess.run(shlex.split(tool) + [str(src), str(dst), "-q", "--page-model", str(model_file), "--pages", mode], check=True)
            for out in dst.glob("*.txt"):
                shutil.move(str(out), combined / out.name)
        return score_output(pages_dir, labels_file, combined)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pages_dir", type=Path)
    ap.add_argument("labels", type=Path)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--passes", type=int, default=4, help="logistic passes (the first on the line features alone)")
    ap.add_argument("--l2", type=float, default=0.1)
    ap.add_argument("--threshold", type=float, default=0.4, help="decision threshold of the precise mode")
    ap.add_argument("--aggressive-threshold", type=float, default=0.6, help="decision threshold of the aggressive mode")
    ap.add_argument("--tool", default=None, help="also cross-validate the whole tool: run TOOL (e.g. .venv/bin/dedupe) on each fold")
    ap.add_argument("--write", type=Path, default=None, metavar="FILE", help="train on all pages and write the model to FILE")
    a = ap.parse_args()
    pages = load_pages(a.pages_dir, a.labels)
    order = sorted(range(len(pages)), key=lambda i: pages[i]["name"])
    fold_of = {pages[i]["name"]: k % a.folds for k, i in enumerate(order)}
    fold_models = {k: train([pg for pg in pages if fold_of[pg["name"]] != k], a.l2, a.passes) for k in range(a.folds)}
    full = train(pages, a.l2, a.passes)
    print(f"{len(pages)} pages, {a.folds}-fold cross-validation by page (content kept / boilerplate removed, characters)")
    for name, t in (("precise", a.threshold), ("aggressive", a.aggressive_threshold)):
        cv = score(pages, lambda n: fold_models[fold_of[n]], t)
        fitted = score(pages, lambda n: full, t)
        line = f"  {name} (threshold {t:.2f}): stage alone, cross-validated {cv[0]:.3f} / {cv[1]:.3f}; fitted on all pages {fitted[0]:.3f} / {fitted[1]:.3f}"
        if a.tool:
            tool_cv = pipeline_cv(a.tool, a.pages_dir, a.labels, fold_of, fold_models, a.threshold, a.aggressive_threshold, name)
            line += f"; whole tool, cross-validated {tool_cv[0]:.3f} / {tool_cv[1]:.3f}"
        print(line)
    if a.write:
        write_model(a.write, full, a.threshold, a.aggressive_threshold, f"{len(pages)} labelled pages ({a.pages_dir.parent.name}/{a.pages_dir.name})")
        print(f"wrote {a.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
