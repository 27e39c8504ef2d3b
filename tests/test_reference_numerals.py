"""第 1 章的数字翻译参考模型：训练脚本仍能一字不差地重新训练出它。

About 30 s: marked slow, so it runs in ``make check-models`` (which CI runs after
``make test``) rather than in ``make test``.
"""

import pytest
from test_reference_models import check_retrains


@pytest.mark.slow
def test_script_retrains_the_shipped_numerals_model():
    check_retrains("numerals")
