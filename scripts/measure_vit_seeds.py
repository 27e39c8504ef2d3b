"""第 7 章的 ViT 换种子各训练一次：一次训练的准确率是一个随机数。写入 data/models/vit_seeds.json。

    .venv/bin/python scripts/measure_vit_seeds.py            # every recipe below (about 40 min)
    .venv/bin/python scripts/measure_vit_seeds.py live       # only chapter 7's live recipe

Every run is trained with ``utils.models.reference.REFERENCE_NUMERICS`` (generic kernels, MKL's
reproducible path, one thread), like the reference models, so anyone can reproduce the
table on any x86-64 CPU. Chapter 7 prints the table from the JSON file.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "data" / "models" / "vit_seeds.json"

# recipe name -> (Chinese description, train_vit keyword arguments, seeds)
RECIPES = {
    "live": ("现场训练的配方（16 块，48 轮）", {"epochs": 48}, range(20)),
    "reference": ("参考模型的配方（16 块，96 轮）", {"epochs": 96}, range(10)),
    "patch4": (
        "练习 8 的配方（4 块，不丢块，每批 512 张，128 轮）",
        {"patch_size": 4, "patch_keep": None, "batch_size": 512, "epochs": 128},
        range(20),
    ),
}


def _measure(name: str) -> dict:
    """Train recipe ``name`` once per seed in this process (already under the numerics)."""
    from utils.models.vit import (
        load_digits_split,
        neighbour_similarity,
        position_similarity,
        train_vit,
    )

    title, kwargs, seeds = RECIPES[name]
    split = load_digits_split()
    runs = []
    for seed in seeds:
        r = train_vit(split, seed=seed, num_threads=1, **kwargs)
        wrong = round((1 - r.history.test_acc[-1]) * len(split.y_test))
        near, far = neighbour_similarity(
            position_similarity(r.model.position_vectors()), grid=r.model.grid
        )
        runs.append({"seed": seed, "wrong": wrong, "near_above_far": bool(near > far)})
        print(f"  {name} 种子 {seed}：分错 {wrong} 张（{r.seconds:.1f} s）", flush=True)
    return {"title": title, "recipe": kwargs, "test_images": len(split.y_test), "runs": runs}


def main(argv=None) -> int:
    from utils.models.reference import REFERENCE_NUMERICS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"recipes (default: all of {list(RECIPES)})")
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    names = args.names or list(RECIPES)
    if args.in_process:
        results = json.loads(OUT.read_text("utf-8")) if OUT.is_file() else {}
        results["numerics"] = {k: os.environ[k] for k in REFERENCE_NUMERICS}
        for name in names:
            start = time.perf_counter()
            results[name] = _measure(name)
            print(f"{name}: {time.perf_counter() - start:.0f} s", flush=True)
            OUT.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", "utf-8")
        return 0
    env = {**os.environ, **REFERENCE_NUMERICS}  # read by torch at start-up: a fresh process
    cmd = [sys.executable, __file__, "--in-process", *names]
    return subprocess.run(cmd, env=env, cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())
