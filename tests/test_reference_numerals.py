"""第 1 章的数字翻译参考模型：训练脚本仍能一字不差地重新训练出它。"""

from test_reference_models import check_retrains


def test_script_retrains_the_shipped_numerals_model():
    check_retrains("numerals")
