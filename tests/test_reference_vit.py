"""第 6 章的参考 ViT：训练脚本仍能一字不差地重新训练出它。

The slowest retraining (about a minute) has a module of its own, so that the test run's two
workers can take it in parallel with everything else.
"""

from test_reference_models import check_retrains


def test_script_retrains_the_shipped_vit():
    check_retrains("vit")
