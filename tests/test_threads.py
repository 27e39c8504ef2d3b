"""utils._threads.torch_threads: every training fixes torch's thread count and puts it back."""

import numpy as np
import pytest
import torch

from utils._threads import torch_threads
from utils._validate import MAX_THREADS


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


@pytest.mark.parametrize("bad", [MAX_THREADS + 1, 10**400, np.int64(10**6)], ids=str)
def test_rejects_a_count_too_large_before_changing_anything(bad):
    # torch.set_num_threads(10**400) would raise "Overflow when unpacking long"
    before = torch.get_num_threads()
    with pytest.raises(ValueError, match=f"num_threads（线程数）最多是 {MAX_THREADS}，实际是"):
        with torch_threads(bad):
            pass
    assert torch.get_num_threads() == before
