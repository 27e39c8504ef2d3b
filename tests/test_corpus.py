"""本书语料的测试：文件与生成器逐字节一致、格式正确、读取接口、缺文件时的中文错误。"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from utils.models.corpus import CORPUS_PATH, load_sentences, load_text

ROOT = Path(__file__).resolve().parent.parent


def _make_corpus():
    spec = importlib.util.spec_from_file_location(
        "make_corpus", ROOT / "scripts" / "make_corpus.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_file_is_exactly_what_the_generator_writes():
    shipped = CORPUS_PATH.read_bytes()
    assert shipped == _make_corpus().generate().encode("utf-8")


def test_generator_is_deterministic_and_seed_matters():
    mc = _make_corpus()
    assert mc.generate(seed=1) == mc.generate(seed=1)
    assert mc.generate(seed=1) != mc.generate(seed=2)


def test_file_format():
    raw = CORPUS_PATH.read_text(encoding="utf-8")
    assert len(raw.encode("utf-8")) <= 300_000
    lines = raw.split("\n")
    assert lines[-1] == ""  # final newline
    lines = lines[:-1]
    assert 1000 <= len(lines) <= 5000
    for line in lines:
        assert line == line.strip() and line
        assert "  " not in line and "\t" not in line  # single spaces between words


def test_load_sentences_and_text_agree():
    sentences = load_sentences()
    text = load_text()
    assert all(isinstance(s, list) and s and all(w for w in s) for s in sentences)
    assert text.split("\n") == ["".join(s) for s in sentences]
    assert " " not in text
    assert sentences[0] == CORPUS_PATH.read_text(encoding="utf-8").split("\n")[0].split(" ")


def test_every_word_of_every_list_occurs_often():
    """The clusters word2vec learns need each listed word many times."""
    mc = _make_corpus()
    words = [w for s in load_sentences() for w in s]
    for kind in ("水果", "动物", "颜色", "家人", "城市", "饮料", "主食"):
        for w in mc.WORDS[kind]:
            assert words.count(w) >= 20, (kind, w)


def test_missing_file_gives_a_chinese_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="找不到语料文件"):
        load_sentences(tmp_path / "nope.txt")
    with pytest.raises(FileNotFoundError, match="make_corpus"):
        load_text(tmp_path / "nope.txt")


def test_empty_file_gives_a_chinese_error(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(ValueError, match="是空的"):
        load_sentences(empty)


def test_a_path_that_is_not_a_path_gives_a_chinese_type_error():
    with pytest.raises(TypeError, match="path（语料文件的路径）必须是字符串或 Path，实际是 int"):
        load_sentences(5)


def test_a_file_that_is_not_utf8_gives_a_chinese_error(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes("我 喜欢 苹果".encode("gbk"))
    with pytest.raises(ValueError, match="不是 UTF-8 编码的文本"):
        load_text(path)
