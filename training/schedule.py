"""Learning-rate schedule bounded by steps and by wall-clock minutes (the CPU is shared)."""

from __future__ import annotations

import math
import time

import torch


class Budget:
    """Warm-up then cosine decay over whichever runs out first: the steps or the minutes."""

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        max_lr: float,
        steps: int,
        minutes: float,
        warmup: float = 0.05,
    ) -> None:
        self.optimizer = optimizer
        self.max_lr = max_lr
        self.steps = steps
        self.seconds = minutes * 60
        self.warmup = warmup
        self.started = time.time()
        self.step = 0

    def progress(self) -> float:
        return max(self.step / self.steps, (time.time() - self.started) / self.seconds)

    def next(self) -> bool:
        """Advance one step and set its learning rate; False when the budget is spent."""
        self.step += 1
        progress = self.progress()
        if progress >= 1.0:
            return False
        if progress < self.warmup:
            lr = self.max_lr * max(0.05, progress / self.warmup)
        else:
            lr = (
                self.max_lr
                * 0.5
                * (1 + math.cos(math.pi * (progress - self.warmup) / (1 - self.warmup)))
            )
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        return True
