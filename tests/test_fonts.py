"""中文字体测试：用 mplfonts 自带的 Noto Sans CJK SC 画中文时，matplotlib 不报缺字。"""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import mplfonts  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402

from utils.plots import CJK_FONT_NAME, cjk_font_path, heatmap, use_chinese_font  # noqa: E402

MISSING = "missing from"


@pytest.fixture
def chinese_rc():
    """use_chinese_font() changes the global rcParams; restore them afterwards."""
    with matplotlib.rc_context():
        use_chinese_font()
        yield


def draw_chinese() -> list[str]:
    """Draw a figure with Chinese text; return the messages of all warnings raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots(figsize=(3, 2))
        try:
            ax.set_title("注意力权重")
            ax.set_xlabel("输入 1")
            ax.set_ylabel("输出 −1")
            ax.plot([-1, 0, 1], [1, 0, 1], label="缩放")
            ax.legend()
            fig.canvas.draw()
        finally:
            plt.close(fig)
    return [str(w.message) for w in caught]


def test_chinese_text_has_no_missing_glyphs(chinese_rc):
    messages = draw_chinese()
    assert not [m for m in messages if MISSING in m], messages


def test_heatmap_with_chinese_labels(chinese_rc):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots(figsize=(3, 3))
        try:
            heatmap(
                ax,
                np.array([[0.0634, 0.4683, 0.4683], [0.0, 0.982, 0.018], [0.0003, 0.8805, 0.1192]]),
                row_labels=["输入 1", "输入 2", "输入 3"],
                col_labels=["键 1", "键 2", "键 3"],
                title="注意力权重",
            )
            fig.canvas.draw()
            texts = [t.get_text() for t in ax.texts]
        finally:
            plt.close(fig)
    assert not [str(w.message) for w in caught if MISSING in str(w.message)]
    assert len(texts) == 9 and "0.4683" in texts


def test_negative_control_dejavu_only_warns():
    """Proves the check above can fail: without the CJK font the same drawing warns."""
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        messages = draw_chinese()
    assert any(MISSING in m for m in messages), messages


def test_use_chinese_font_sets_rcparams(chinese_rc):
    assert list(matplotlib.rcParams["font.family"]) == ["DejaVu Sans", CJK_FONT_NAME]
    registered = [f for f in font_manager.fontManager.ttflist if f.name == CJK_FONT_NAME]
    assert [Path(f.fname).resolve() for f in registered] == [cjk_font_path().resolve()]
    n = len(font_manager.fontManager.ttflist)
    use_chinese_font()  # may be called again without adding the font twice
    assert len(font_manager.fontManager.ttflist) == n


def test_font_file_is_shipped_by_mplfonts():
    path = cjk_font_path()
    assert path.is_file()
    assert path.suffix == ".otf"
    assert Path(mplfonts.__file__).resolve().parent in path.resolve().parents
    assert font_manager.get_font(str(path)).family_name == "Noto Sans CJK SC"


def test_findfont_returns_the_mplfonts_file_even_with_a_system_copy(chinese_rc):
    """The book's family name resolves to the shipped file, never to a system
    Noto Sans CJK SC (fonts-noto-cjk), so figures look the same on every machine."""
    path = cjk_font_path().resolve()
    found = font_manager.findfont(FontProperties(family=CJK_FONT_NAME), fallback_to_default=False)
    assert Path(found).resolve() == path
    # and it is in the fallback chain matplotlib uses to draw text with font.family
    chain = font_manager.fontManager._find_fonts_by_props(
        FontProperties(family=matplotlib.rcParams["font.family"])
    )
    assert [Path(p).name for p in chain][:1] == ["DejaVuSans.ttf"]
    assert path in [Path(p).resolve() for p in chain]
