"""Run tiny CPU experiments on one thread.

The experiments' matrices are small (width 16-64), so extra intra-op threads gain little;
and when other jobs share a 2-core machine, waiting OpenMP threads made a training step
several times slower on the course's build machine (1 thread: 0.49 s/step, 2 threads:
0.79 s/step under load; the test suite of this folder: 150 s on 2 threads, 22 s on 1).
"""

import contextlib

import torch


@contextlib.contextmanager
def torch_threads(n: int | None):
    """Use ``n`` intra-op threads inside the block, then restore the previous number (``None``: leave as is)."""
    if n is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
