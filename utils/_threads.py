"""torch 的 CPU 线程数：在一段代码里固定，结束后恢复。Fix torch's thread count for a block.

Every live training in the book runs with a fixed number of threads (chapter 7's ViT 2,
the others 1): the count changes the order of floating-point sums, so a fixed count makes
a run give the same numbers every time, whatever the machine's number of cores.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch

from ._validate import MAX_THREADS, check_int, short_repr


@contextmanager
def torch_threads(n: int | None):
    """块里 torch 用 n 个 CPU 线程，结束后（出错也一样）恢复原来的线程数。

    ``with torch_threads(1): train()``; ``n=None`` leaves the thread count alone.
    """
    if n is None:
        yield
        return
    n = check_int("num_threads（线程数）", n)
    if n > MAX_THREADS:
        raise ValueError(f"num_threads（线程数）最多是 {MAX_THREADS}，实际是 {short_repr(n)}")
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
