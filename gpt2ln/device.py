"""Pick the fastest device present: CUDA when there is a GPU, the CPU otherwise."""

import torch


def default_device() -> torch.device:
    if torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")
