"""随书附带的参考模型：文件完好、记录的结果属实，而且训练脚本仍能一字不差地重新训练出它们。

The reference models (data/models/) are what the chapters discuss. Checked here: each loads
(its weights match the recorded SHA-256), the results recorded beside it are what the
loaded model measures now, and ``scripts/train_reference_models.py --check`` retrains it
with its recipe under the reference numerics and gets the same weights bit for bit (a
change to a trainer that would silently change a shipped model fails here).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from utils.models.reference import (
    MODELS_DIR,
    REFERENCE_NUMERICS,
    REFERENCES,
    load_reference,
    reference_info,
    state_digest,
    vit_seed_runs,
)

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "train_reference_models.py"
# The two slow retrainings are in test_reference_vit.py and test_reference_numerals.py
# (marked slow: make check-models); the rest, a few seconds each, are retrained here.
RETRAINED_HERE = [n for n in REFERENCES if n not in ("vit", "numerals")]


@pytest.mark.parametrize("name", REFERENCES)
def test_shipped_model_loads_in_float64_and_is_small(name):
    model = load_reference(name)
    assert not model.training
    assert all(p.dtype == torch.float64 for p in model.parameters())
    assert (MODELS_DIR / f"{name}.pt").stat().st_size < 500_000  # a few hundred KB
    info = reference_info(name)
    assert info["recipe"] == REFERENCES[name].recipe, (
        "记录的配方与 utils/models/reference.py 的不一致"
    )
    assert info["numerics"] == REFERENCE_NUMERICS


@pytest.mark.parametrize("name", REFERENCES)
def test_recorded_results_are_what_the_model_measures(name):
    recorded = reference_info(name)["results"]
    measured = REFERENCES[name].evaluate(load_reference(name))
    assert measured.keys() == recorded.keys()
    for key, value in recorded.items():
        assert measured[key] == pytest.approx(value, abs=1e-9), key


def test_a_changed_weight_file_is_refused(tmp_path, monkeypatch):
    import utils.models.reference as reference

    for suffix in (".pt", ".json"):
        (tmp_path / f"sasrec{suffix}").write_bytes((MODELS_DIR / f"sasrec{suffix}").read_bytes())
    state = torch.load(tmp_path / "sasrec.pt", weights_only=True)
    state["item_embed.weight"][0, 0] += 1e-6
    torch.save(state, tmp_path / "sasrec.pt")
    monkeypatch.setattr(reference, "MODELS_DIR", tmp_path)
    with pytest.raises(ValueError, match="摘要不符"):
        load_reference("sasrec")
    assert state_digest(state) != reference_info("sasrec")["sha256"]


def test_unknown_name_is_refused_in_chinese():
    with pytest.raises(ValueError, match="没有名为 'gpt' 的参考模型"):
        load_reference("gpt")


def test_vit_seed_table_covers_its_recipes():
    runs = vit_seed_runs()
    assert runs["numerics"] == {k: REFERENCE_NUMERICS[k] for k in runs["numerics"]}
    for name, seeds in (("live", 20), ("reference", 10), ("patch4", 20)):
        assert [r["seed"] for r in runs[name]["runs"]] == list(range(seeds))
    # the reference model is seed 0 of the "reference" recipe: the same number wrong
    assert runs["reference"]["runs"][0]["wrong"] == reference_info("vit")["results"]["test_wrong"]
    assert runs["reference"]["recipe"]["epochs"] == REFERENCES["vit"].recipe["epochs"]


def check_retrains(name: str) -> None:
    """Run the training script's --check for ``name``: it must give the shipped weights."""
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check", name], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "完全相同" in result.stdout


@pytest.mark.parametrize("name", RETRAINED_HERE)
def test_script_retrains_the_shipped_model(name):
    check_retrains(name)


def test_recorded_json_is_what_the_script_writes():
    for name in REFERENCES:
        info = json.loads((MODELS_DIR / f"{name}.json").read_text(encoding="utf-8"))
        assert info["name"] == name and len(info["sha256"]) == 64


def test_appendix_states_the_recorded_results():
    """The appendix page (data_and_models.md) quotes each model's recorded result."""
    page = (ROOT / "data_and_models.md").read_text(encoding="utf-8")
    results = {name: reference_info(name)["results"] for name in REFERENCES}
    assert f"{100 * results['numerals']['heldout_exact_match']:.2f}%" in page
    assert f"同组词平均余弦 {results['word2vec']['same_group_cosine']:.2f}" in page
    assert f"{results['char_lm']['heldout_loss']:.4f} nat" in page
    assert f"HR@10 = {results['sasrec']['hr_at_10']:.4f}" in page
    vit = results["vit"]
    assert f"分错 {vit['test_wrong']} 张（{100 * vit['test_accuracy']:.2f}%）" in page


def test_a_long_name_and_a_bad_dtype_are_refused_in_chinese():
    with pytest.raises(ValueError, match="（共 100002 个字符） 的参考模型") as info:
        load_reference("x" * 100_000)
    assert len(str(info.value)) < 200  # the name is cut short, not repeated in full
    for dtype in ("float64", torch.int64, None):
        with pytest.raises(TypeError, match="dtype 必须是 torch 的浮点类型"):
            load_reference("sasrec", dtype=dtype)
    with pytest.raises(ValueError, match="没有名为 None 的参考模型"):
        reference_info(None)
    assert load_reference("sasrec", dtype=torch.float32).item_embed.weight.dtype == torch.float32
