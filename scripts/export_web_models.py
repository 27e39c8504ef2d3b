"""把随书的参考模型导出给静态网页用：assets/models/<name>.js（issue 18）。

On the static site (no kernel) the chapters' editors run the book's trained models in the
page with ``assets/js/book-nn.js``. This script writes, for each reference model, one small
JavaScript file that the page loads with a ``<script>`` tag (so it works from ``file://`` as
well as over HTTP, and nothing leaves the machine)::

    (window.BookModels = window.BookModels || {})["char_lm"] = {
      name, config: {...sizes...}, meta: {...vocabularies, test images...},
      tensors: {"blocks.layers.0.self_attn.w_q.weight": [[64, 64], byte offset, "f4"], ...},
      data: "<base64 of every tensor's values, little-endian, one after another>"
    };

The weights are the very values ``load_reference`` loads: a tensor is stored as float32 ("f4")
where that is exact (the trained weights were saved in float32), else as float64 ("f8"); the
page widens them to float64 and computes in float64, as the chapters do, so its numbers equal
PyTorch's to about 1e-12. Buffers that are not in the saved state dict (the sinusoidal
position table of the numerals model) are exported too, as the model holds them.

    .venv/bin/python scripts/export_web_models.py           # write assets/models/*.js
    .venv/bin/python scripts/export_web_models.py --check   # exit 1 if a file is not current

``tests/test_web_models.py`` checks that the files are current and that book-nn.js reproduces
PyTorch in Chromium. Re-run this script whenever a reference model is retrained.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from utils.models.reference import load_reference  # noqa: E402

OUT = ROOT / "assets" / "models"
NAMES = ("char_lm", "numerals", "sasrec", "vit", "word2vec")


def _config(name: str, model) -> dict:
    """The sizes book-nn.js needs to run ``model``."""
    if name == "char_lm":
        layer = model.blocks.layers[0]
        return {
            "vocab_size": model.vocab_size,
            "d_model": model.d_model,
            "num_heads": layer.self_attn.num_heads,
            "num_layers": len(model.blocks.layers),
            "max_len": model.max_len,
            "activation": "relu",
            "norm_first": True,
        }
    if name == "numerals":
        return {
            "d_model": model.d_model,
            "num_heads": model.encoder.layers[0].self_attn.num_heads,
            "num_encoder_layers": len(model.encoder.layers),
            "num_decoder_layers": len(model.decoder.layers),
            "max_len": model.pos.max_len,
            "pad_id": model.pad_id,
            "activation": "relu",
            "norm_first": model.encoder.layers[0].norm_first,
            "final_norm": model.encoder.norm is not None,
        }
    if name == "sasrec":
        return {
            "num_items": model.num_items,
            "d_model": model.d_model,
            "num_heads": model.encoder.layers[0].self_attn.num_heads,
            "num_layers": len(model.encoder.layers),
            "max_len": model.max_len,
            "activation": "relu",
            "norm_first": True,
        }
    if name == "vit":
        return {
            "image_size": model.image_size,
            "patch_size": model.patch_size,
            "in_channels": model.in_channels,
            "num_classes": model.num_classes,
            "d_model": model.d_model,
            "num_heads": model.encoder.layers[0].self_attn.num_heads,
            "num_layers": len(model.encoder.layers),
            "position": model.position,
            "activation": "gelu",
            "norm_first": True,
        }
    return {"vocab_size": model.in_embed.num_embeddings, "d_model": model.in_embed.embedding_dim}


def _meta(name: str, model) -> dict:
    """What the page needs besides the weights: vocabularies, item names, test images."""
    if name == "char_lm":
        return {"chars": list(model.vocab.chars)}
    if name == "numerals":
        from utils.models import numerals as nm

        return {
            "src_vocab": list(nm.SRC_VOCAB),
            "tgt_vocab": list(nm.TGT_VOCAB),
            "pad_id": nm.PAD_ID,
            "bos_id": nm.BOS_ID,
            "eos_id": nm.EOS_ID,
        }
    if name == "sasrec":
        from utils.models.recommender import CHAINS, ITEMS, NUM_CHAIN_ITEMS
        from utils.models.reference import _rec_sessions

        # The chapter's training sessions (the ones the model learnt from): per item, how often
        # it occurs among the first session_len - 1 items and as the last one. The widget's
        # popularity baseline is their sum; its notes on short sessions quote them.
        train = _rec_sessions()[0]
        counts = [
            np.bincount(part.ravel(), minlength=len(ITEMS))
            for part in (train[:, :-1], train[:, -1])
        ]
        return {
            "items": list(ITEMS),
            "num_chain_items": NUM_CHAIN_ITEMS,
            "chains": [list(chain) for chain in CHAINS],
            "train_session_len": int(train.shape[1]),
            "train_earlier": [int(v) for v in counts[0]],
            "train_last": [int(v) for v in counts[1]],
        }
    if name == "vit":
        from utils.models.vit import load_digits_split

        split = load_digits_split(test_size=0.2, seed=0)  # the split chapter 7 uses
        raw = split.x_test.reshape(len(split.y_test), -1) * 16  # back to the digits' 0..16
        assert torch.equal(raw, raw.round()), "the digits' pixels are multiples of 1/16"
        return {
            "source": (
                "E. Alpaydin, C. Kaynak: Optical Recognition of Handwritten Digits, UCI Machine "
                "Learning Repository, 1998, doi:10.24432/C50P49 (CC BY 4.0), as scikit-learn's "
                "load_digits; the test images of load_digits_split(test_size=0.2, seed=0)"
            ),
            "pixel_scale": 16,  # a pixel of the model's input is x_test_16 / 16
            "x_test_16": [int(v) for v in raw.flatten().tolist()],
            "y_test": [int(v) for v in split.y_test.tolist()],
            "test_index": [int(v) for v in split.test_index.tolist()],
        }
    from utils.models.corpus import load_sentences
    from utils.models.word2vec import build_vocab

    vocab = build_vocab(load_sentences())
    return {"words": list(vocab.words), "counts": [int(n) for n in vocab.counts]}


def tensors(model) -> dict[str, torch.Tensor]:
    """The state dict plus the buffers it leaves out (e.g. ``pos.pe``), in a fixed order."""
    out = dict(model.state_dict())
    for key, buf in model.named_buffers():
        out.setdefault(key, buf)
    return out


def export(name: str) -> str:
    """The text of ``assets/models/<name>.js`` for the reference model ``name``."""
    model = load_reference(name)  # float64, as the chapters use it
    index, chunks, offset = {}, [], 0
    for key, t in tensors(model).items():
        values = t.detach().to(torch.float64).contiguous().numpy()
        # float32 where that is exact (the trained weights were saved in float32), else
        # float64 (word2vec's weights, the sinusoidal table): nothing is rounded on the way.
        kind = "f4" if np.array_equal(values.astype("<f4").astype("<f8"), values) else "f8"
        raw = values.astype("<" + kind).tobytes()
        index[key] = [list(t.shape), offset, kind]  # offset in bytes into data
        chunks.append(raw)
        offset += len(raw)
    body = {
        "name": name,
        "config": _config(name, model),
        "meta": _meta(name, model),
        "tensors": index,
        "data": base64.b64encode(b"".join(chunks)).decode("ascii"),
    }
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return (
        f"/* {name}: the book's reference model for the static site; written by "
        "scripts/export_web_models.py from data/models/ (see data_and_models.md). */\n"
        f"(window.BookModels = window.BookModels || {{}})[{json.dumps(name)}] = {text};\n"
    )


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    OUT.mkdir(parents=True, exist_ok=True)
    for name in NAMES:
        path = OUT / f"{name}.js"
        text = export(name)
        if check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
            continue
        path.write_text(text, encoding="utf-8")
        print(f"{path.relative_to(ROOT)}  {len(text.encode()) / 1024:.0f} KB")
    if stale:
        print("过期的导出文件（请运行 scripts/export_web_models.py）：", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    sys.exit(main(sys.argv[1:]))
