"""utils._threads.torch_threads: every training fixes torch's thread count and puts it back."""

import pytest
import torch

from utils._threads import torch_threads


def test_sets_and_restores_the_thread_count():
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_restores_on_error():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError, match="boom"):
        with torch_threads(1):
            assert torch.get_num_threads() == 1
            raise RuntimeError("boom")
    assert torch.get_num_threads() == before


def test_none_leaves_the_thread_count_alone():
    before = torch.get_num_threads()
    with torch_threads(None):
        assert torch.get_num_threads() == before
        torch.set_num_threads(1)  # whatever happens inside is not undone: nothing was set
    assert torch.get_num_threads() == 1
    torch.set_num_threads(before)


@pytest.mark.parametrize("bad", [0, -2, 1.5, "2", True])
def test_rejects_a_bad_count_before_changing_anything(bad):
    before = torch.get_num_threads()
    with pytest.raises(ValueError, match="num_threads（线程数）必须是正整数"):
        with torch_threads(bad):
            pass
    assert torch.get_num_threads() == before
