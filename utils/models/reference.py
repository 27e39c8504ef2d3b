"""随书附带的参考模型（reference models）：书里讨论的训练结果，在每台电脑上都一样。

Why they exist. Training turns the last-bit differences between CPUs (vector width, MKL's
code path, oneDNN's kernels, thread count) into different models: the same seed gives
another model, another generated sentence, other misclassified digits on another machine.
So what a chapter *discusses* about a trained model comes from a model trained once and
shipped with the book (``data/models/<name>.pt``, a state dict of a few hundred KB, with
its recipe, seed, digest and measured results in ``<name>.json``). The chapters still
train live, as a labelled demonstration of this machine's run.

How they are made. ``scripts/train_reference_models.py`` trains each one with the recipe
below, in a process started with ``REFERENCE_NUMERICS``: generic ATen kernels, MKL's
reproducible (CNR "COMPATIBLE") path, oneDNN limited to SSE4.1, one thread. Those settings
pick the same floating-point path on any x86-64 CPU, so the script gives the same weights,
bit for bit, on any such machine; ``--check`` retrains and compares the digest
(``tests/test_reference_models.py`` does it for every model).

How they are used. ``load_reference(name)`` returns the model in float64 and eval mode:
in float64 the rounding differences between machines (about 1e-16) are far too small to
flip a printed digit or an argmax.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from .._validate import check_float_dtype, short_repr

MODELS_DIR = Path(__file__).resolve().parents[2] / "data" / "models"

# Set before torch starts (they are read once, at start-up), by the training script.
REFERENCE_NUMERICS = {
    "ATEN_CPU_CAPABILITY": "default",  # ATen's generic kernels, not AVX2/AVX-512 ones
    "MKL_CBWR": "COMPATIBLE",  # MKL's conditional numerical reproducibility path
    "ONEDNN_MAX_CPU_ISA": "SSE41",  # oneDNN (convolutions) without AVX
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def state_digest(state: dict[str, torch.Tensor]) -> str:
    """state dict 的 SHA-256（按参数名排序，含名字、dtype、形状和每个字节）。"""
    h = hashlib.sha256()
    for key in sorted(state):
        t = state[key].detach().cpu().contiguous()
        h.update(f"{key}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.numpy().tobytes())
    return h.hexdigest()


@dataclass(frozen=True)
class Reference:
    """一个参考模型：怎样训练（recipe）、怎样建一个同样形状的空模型、怎样测量它。"""

    name: str
    title: str  # 中文名，打印用
    recipe: dict  # the trainer's keyword arguments, recorded in the JSON
    # recipe -> (trained model in float32 and eval mode, what else to record, e.g. its history)
    train: Callable[[dict], tuple[nn.Module, dict]]
    build: Callable[[dict], nn.Module]  # recipe -> an untrained model of the same shape
    evaluate: Callable[[nn.Module], dict]  # model (float64) -> measured results

    @property
    def weights_path(self) -> Path:
        return MODELS_DIR / f"{self.name}.pt"

    @property
    def info_path(self) -> Path:
        return MODELS_DIR / f"{self.name}.json"


# ------------------------------------------------------------------ the five models


def _numerals_train(recipe):
    from .numerals import train_numeral_model

    return train_numeral_model(**recipe).model, {}


def _numerals_build(recipe):
    from .numerals import NumeralConfig, make_model

    return make_model(NumeralConfig(**recipe))


def _numerals_evaluate(model):
    from .numerals import exact_match, split_numbers

    _, heldout = split_numbers()
    return {"heldout_exact_match": exact_match(model, heldout)}


def _word2vec_train(recipe):
    from .corpus import load_sentences
    from .word2vec import train_word2vec

    return train_word2vec(load_sentences(), **recipe).model, {}


def _word2vec_build(recipe):
    from .corpus import load_sentences
    from .word2vec import SkipGramNS, build_vocab

    return SkipGramNS(len(build_vocab(load_sentences())), recipe["d_model"])


def _word2vec_evaluate(model):
    from .corpus import load_sentences
    from .word2vec import WORD_GROUPS, build_vocab, group_similarity

    vocab = build_vocab(load_sentences())
    same, diff = group_similarity(model.in_embed.weight.detach().numpy(), vocab, WORD_GROUPS)
    return {"same_group_cosine": same, "other_group_cosine": diff}


def _char_lm_train(recipe):
    from .char_lm import train_char_lm
    from .corpus import load_text

    return train_char_lm(load_text(), **recipe)[0], {}


def _char_lm_build(recipe):
    from .char_lm import CharLM, CharVocab
    from .corpus import load_text

    vocab = CharVocab(load_text())
    model = CharLM(
        len(vocab),
        d_model=recipe["d_model"],
        num_heads=recipe["num_heads"],
        num_layers=recipe["num_layers"],
        d_ff=recipe["d_ff"],
        max_len=recipe["block_size"],
    )
    model.vocab = vocab
    return model


def _char_lm_evaluate(model):
    from .char_lm import model_loss, split_sentences
    from .corpus import load_text

    _, test_text = split_sentences(load_text(), held_out=0.1, seed=0)
    return {"heldout_loss": model_loss(model, test_text)}


def _rec_sessions():
    from .recommender import make_sessions, split_users

    return split_users(make_sessions(2500, session_len=8, p_chain=0.8, seed=0), seed=0)


def _sasrec_train(recipe):
    from .recommender import train_sasrec

    return train_sasrec(_rec_sessions()[0], **recipe)[0], {}


def _sasrec_build(recipe):
    from .recommender import ITEMS, SASRec

    return SASRec(
        len(ITEMS),
        d_model=recipe["d_model"],
        num_heads=recipe["num_heads"],
        num_layers=recipe["num_layers"],
    )


def _sasrec_evaluate(model):
    from .recommender import hit_rate, next_item_scores

    _, test = _rec_sessions()
    return {"hr_at_10": hit_rate(next_item_scores(model, test), test[:, -1], k=10)}


def _vit_train(recipe):
    from .vit import load_digits_split, train_vit

    model, history, _ = train_vit(load_digits_split(), **recipe)
    return model, {"history": dataclasses.asdict(history)}


def _vit_build(recipe):
    from .vit import ViT

    return ViT(position=recipe["position"], d_ff=recipe["d_ff"])


def _vit_evaluate(model):
    from .vit import load_digits_split, predict

    split = load_digits_split()
    wrong = int((predict(model, split.x_test).argmax(-1) != split.y_test).sum())
    return {"test_wrong": wrong, "test_accuracy": 1 - wrong / len(split.y_test)}


REFERENCES: dict[str, Reference] = {
    r.name: r
    for r in (
        Reference(
            "numerals",
            "中文数字 → 阿拉伯数字（第 5 章）",
            {"steps": 600, "seed": 0, "num_threads": 1},
            _numerals_train,
            _numerals_build,
            _numerals_evaluate,
        ),
        Reference(
            "word2vec",
            "word2vec（第 3 章）",
            {"d_model": 16, "window": 2, "num_negatives": 5, "epochs": 5, "seed": 0},
            _word2vec_train,
            _word2vec_build,
            _word2vec_evaluate,
        ),
        Reference(
            "char_lm",
            "字符级语言模型（第 6 章）",
            {
                "seed": 0,
                "steps": 250,
                "block_size": 24,
                "d_model": 64,
                "num_heads": 4,
                "num_layers": 2,
                "d_ff": 128,
            },
            _char_lm_train,
            _char_lm_build,
            _char_lm_evaluate,
        ),
        Reference(
            "sasrec",
            "SASRec 推荐模型（第 6 章）",
            {"seed": 0, "epochs": 8, "d_model": 32, "num_heads": 2, "num_layers": 2},
            _sasrec_train,
            _sasrec_build,
            _sasrec_evaluate,
        ),
        Reference(
            "vit",
            "Vision Transformer（第 7 章）",
            {"seed": 0, "epochs": 96, "position": "learned", "d_ff": 64, "num_threads": 1},
            _vit_train,
            _vit_build,
            _vit_evaluate,
        ),
    )
}


def _reference(name: str) -> Reference:
    if not isinstance(name, str) or name not in REFERENCES:
        raise ValueError(
            f"没有名为 {short_repr(name)} 的参考模型；可用的有：{'、'.join(REFERENCES)}"
        )
    return REFERENCES[name]


def reference_info(name: str) -> dict:
    """参考模型的记录（配方、种子、数值设置、摘要和测得的结果），来自 data/models/<name>.json。"""
    ref = _reference(name)
    if not ref.info_path.is_file():
        raise FileNotFoundError(
            f"找不到参考模型的记录 {ref.info_path}：它随本书发布，"
            "可以运行 python scripts/train_reference_models.py 重新训练"
        )
    return json.loads(ref.info_path.read_text(encoding="utf-8"))


def load_reference(name: str, *, dtype: torch.dtype = torch.float64) -> nn.Module:
    """随书附带的参考模型 ``name``（eval 模式，默认 float64）。

    The weights are checked against the digest recorded when they were trained, so a
    damaged or hand-edited file is refused instead of silently giving other results.
    """
    ref = _reference(name)
    check_float_dtype("dtype", dtype)
    info = reference_info(name)
    model = ref.build(info["recipe"])
    state = torch.load(ref.weights_path, map_location="cpu", weights_only=True)
    if state_digest(state) != info["sha256"]:
        raise ValueError(
            f"参考模型 {ref.weights_path.name} 与记录的摘要不符（文件被改动或损坏了）："
            "请从仓库恢复，或运行 python scripts/train_reference_models.py 重新训练"
        )
    model.load_state_dict(state)
    return model.to(dtype).eval()


def vit_seed_runs() -> dict:
    """第 7 章的 ViT 换种子各训练一次的结果（data/models/vit_seeds.json）。

    ``{recipe name: {"title", "recipe", "test_images", "runs": [{"seed", "wrong",
    "near_above_far"}, ...]}}`` for the recipes "live" (chapter 7's live training),
    "reference" (the reference model's) and "patch4" (exercise 8's), measured by
    ``scripts/measure_vit_seeds.py`` under ``REFERENCE_NUMERICS``.
    """
    path = MODELS_DIR / "vit_seeds.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"找不到 {path}：它随本书发布，可以运行 python scripts/measure_vit_seeds.py 重新测量"
        )
    return json.loads(path.read_text(encoding="utf-8"))
