"""训练随书附带的参考模型（data/models/），或核对它们能被重新训练出来。

    .venv/bin/python scripts/train_reference_models.py            # train all, write data/models/
    .venv/bin/python scripts/train_reference_models.py vit        # only the ViT
    .venv/bin/python scripts/train_reference_models.py --check    # retrain all, compare digests

Each model is trained in a fresh process whose environment holds
``utils.models.reference.REFERENCE_NUMERICS`` (generic ATen kernels, MKL's reproducible path,
oneDNN without AVX, one thread): torch reads those settings once, at start-up, and with
them the same recipe gives the same weights on any x86-64 CPU. The recipes and what the
models are for: ``utils/models/reference.py``; what is shipped: ``data/models/README.md``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _numerics_env() -> dict[str, str]:
    from utils.models.reference import REFERENCE_NUMERICS

    return {**os.environ, **REFERENCE_NUMERICS}


def _train_here(name: str, check: bool) -> int:
    """Train ``name`` in this process (its environment must already be REFERENCE_NUMERICS)."""
    import torch

    from utils.models.reference import REFERENCE_NUMERICS, REFERENCES, reference_info, state_digest

    wrong = {k: os.environ.get(k) for k, v in REFERENCE_NUMERICS.items() if os.environ.get(k) != v}
    if wrong:
        sys.exit(f"环境变量与 REFERENCE_NUMERICS 不一致：{wrong}")
    ref = REFERENCES[name]
    start = time.perf_counter()
    model, extra = ref.train(ref.recipe)
    seconds = time.perf_counter() - start
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    digest = state_digest(state)
    if check:
        recorded = reference_info(name)["sha256"]
        same = digest == recorded
        print(f"{name}: {'与随书的参考模型完全相同' if same else '不同！'} ({seconds:.1f} s)")
        if not same:
            print(f"  recorded {recorded}\n  now      {digest}")
        return 0 if same else 1
    torch.save(state, ref.weights_path)
    # the results are measured on the saved weights, loaded as the chapters load them
    info = {
        "name": name,
        "title": ref.title,
        "recipe": ref.recipe,
        "numerics": {k: os.environ[k] for k in REFERENCE_NUMERICS},
        "torch": torch.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "trained": datetime.date.today().isoformat(),
        "train_seconds": round(seconds, 1),
        "sha256": digest,
        **extra,
    }
    ref.info_path.write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", "utf-8")
    from utils.models.reference import load_reference

    info["results"] = ref.evaluate(load_reference(name))
    ref.info_path.write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", "utf-8")
    size = ref.weights_path.stat().st_size
    print(f"{name}: {seconds:.1f} s, {size / 1024:.0f} KB, {info['results']}")
    return 0


def main(argv=None) -> int:
    from utils.models.reference import MODELS_DIR, REFERENCES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "names", nargs="*", help=f"which models (default: all of {list(REFERENCES)})"
    )
    parser.add_argument("--check", action="store_true", help="retrain and compare, write nothing")
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    names = args.names or list(REFERENCES)
    unknown = [n for n in names if n not in REFERENCES]
    if unknown:
        parser.error(f"没有这些参考模型：{unknown}；可用的有 {list(REFERENCES)}")
    if args.in_process:
        return max(_train_here(n, args.check) for n in names)
    MODELS_DIR.mkdir(parents=True, exist_ok=True)
    status = 0
    for name in names:  # one fresh process per model: the settings are read at start-up
        cmd = [sys.executable, __file__, "--in-process", name] + (["--check"] if args.check else [])
        status |= subprocess.run(cmd, env=_numerics_env(), cwd=ROOT).returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
