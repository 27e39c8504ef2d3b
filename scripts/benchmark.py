"""测量每章 notebook 的执行时间（以及可选的整个 make test 的时间）。

Performance is measured here, not asserted in tests. Usage:

    .venv/bin/python scripts/benchmark.py              # each chapter, 3 runs, median
    .venv/bin/python scripts/benchmark.py --training   # also each live training, as in its chapter
    .venv/bin/python scripts/benchmark.py --make-test  # also time one full `make test`
    .venv/bin/python scripts/benchmark.py --runs 0 --training   # the trainings only
    .venv/bin/python scripts/benchmark.py --runs 0 --make-book  # one `make book`

Accuracy over many seeds (chapter 7's table) is measured by scripts/measure_vit_seeds.py.

The figures in the README come from this script.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def time_notebook(path: Path) -> float:
    """Execute a copy of the notebook in a fresh kernel; return wall-clock seconds
    (kernel start-up included, as a reader would experience it)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


# --- the models each chapter trains live, called exactly as the chapter calls them ---


def train_numerals():
    from utils.models.numerals import exact_match, train_numeral_model

    r = train_numeral_model()
    return r.seconds, f"留出集完全正确率 {exact_match(r.model, r.heldout_numbers):.2%}"


def train_word2vec():
    from utils.models.corpus import load_sentences
    from utils.models.word2vec import train_word2vec

    start = time.perf_counter()
    train_word2vec(load_sentences(), d_model=16, window=2, num_negatives=5, epochs=5, seed=0)
    return time.perf_counter() - start, "230 个词，5 轮"


def train_char_lm():
    from utils.models.char_lm import (
        CharVocab,
        model_loss,
        ngram_loss,
        split_sentences,
        train_char_lm,
    )
    from utils.models.corpus import load_text

    text = load_text()
    model, _, seconds = train_char_lm(text, seed=0)
    train_text, test_text = split_sentences(text, held_out=0.1, seed=0)
    bigram = ngram_loss(train_text, test_text, CharVocab(text), n=2, block_size=model.max_len)
    return seconds, f"留出集损失 {model_loss(model, test_text):.3f}（二元模型 {bigram:.3f}）"


def train_sasrec():
    from utils.models.recommender import (
        hit_rate,
        make_sessions,
        next_item_scores,
        popularity_scores,
        split_users,
        train_sasrec,
    )

    sessions = make_sessions(2500, session_len=8, p_chain=0.8, seed=0)
    train_s, test_s = split_users(sessions, test_fraction=0.2, seed=0)
    model, _, seconds = train_sasrec(train_s, seed=0)
    hr = hit_rate(next_item_scores(model, test_s), test_s[:, -1], k=10)
    pop = hit_rate(popularity_scores(train_s), test_s[:, -1], k=10)
    return seconds, f"HR@10 {hr:.3f}（流行度基线 {pop:.3f}）"


def train_vit():
    from utils.models.vit import accuracy, load_digits_split, train_vit

    split = load_digits_split()
    r = train_vit(split)
    return r.seconds, f"测试准确率 {accuracy(r.model, split.x_test, split.y_test):.2%}"


def rnn_vs_attention():
    from utils.experiments.parallelism import speed_ratio

    start = time.perf_counter()
    ratio = speed_ratio()
    return time.perf_counter() - start, f"RNN 用时 / 注意力用时 = {ratio:.1f}"


TRAININGS = [
    ("第 5 章 中文数字翻译（编码器–解码器）", train_numerals),
    ("第 3 章 word2vec", train_word2vec),
    ("第 6 章 字符级语言模型", train_char_lm),
    ("第 6 章 SASRec 推荐", train_sasrec),
    ("第 6 章 RNN 与注意力的计时", rnn_vs_attention),
    ("第 7 章 ViT（手写数字）", train_vit),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--training", action="store_true", help="also time each live training")
    parser.add_argument(
        "--training-runs", type=int, default=5, help="runs of each training (median reported)"
    )
    parser.add_argument("--make-book", action="store_true", help="also time one `make book`")
    parser.add_argument("--make-test", action="store_true", help="also time one `make test`")
    args = parser.parse_args()

    print(
        f"机器：{platform.processor() or platform.machine()}，{os.cpu_count()} 核，"
        f"Python {platform.python_version()}"
    )
    for nb in sorted((ROOT / "chapters").glob("*.ipynb")) if args.runs else []:
        runs = [time_notebook(nb) for _ in range(args.runs)]
        print(
            f"{nb.relative_to(ROOT)}：中位数 {statistics.median(runs):.1f} s"
            f"（{args.runs} 次：{', '.join(f'{r:.1f}' for r in runs)}）"
        )
    if args.training:
        # each training is seeded, so every run gives the same result; only the time varies
        # (on the 2-core virtual machine the 2-thread ViT ranged 12.3–21.3 s): report the median
        for name, fn in TRAININGS:
            runs = [fn() for _ in range(args.training_runs)]
            times = [seconds for seconds, _ in runs]
            print(
                f"{name}：训练中位数 {statistics.median(times):.1f} s"
                f"（{len(times)} 次：{', '.join(f'{t:.1f}' for t in times)}），{runs[0][1]}"
            )
    for target, wanted in (("book", args.make_book), ("test", args.make_test)):
        if not wanted:
            continue
        start = time.perf_counter()
        result = subprocess.run(["make", target], cwd=ROOT, capture_output=True, text=True)
        took = time.perf_counter() - start
        print(f"make {target}：{took:.0f} s（退出码 {result.returncode}）")
        if result.returncode:
            print(result.stdout[-3000:], result.stderr[-3000:], sep="\n")
            return result.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
