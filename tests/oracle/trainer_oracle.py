#!/usr/bin/env python3
"""Oracle for the trainer: the same training run written with torch.optim.SGD.

Usage: trainer_oracle.py IN.pt OUT.pt

IN.pt (written by test_trainer with torch::pickle_save) is a dict with
  init:   the network's initial tensors by name (parameters and buffers)
  x, y:   the training batches in the order the trainer reads them (lists of tensors)
  epochs, lr, min_lr, momentum, nesterov, weight_decay, decay_norm_and_bias,
  warmup_steps, label_smoothing, schedule
The network is TinyConvNet of tests/training_fixtures.h: conv 3x3 (1 -> 4, no bias,
padding 1), BatchNorm2d(4), ReLU, global average pool, Linear(4, 3). OUT.pt receives the
trained tensors by name.
The learning rate of every step is computed here from the schedule's definition, not taken
from the trainer.
"""
import math
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(4)
        self.head = nn.Linear(4, 3)

    def forward(self, x):
        x = F.relu(self.bn(self.conv(x)))
        return self.head(x.mean(dim=(2, 3)))


def learning_rate(cfg, step, total):
    lr, warm = cfg["lr"], cfg["warmup_steps"]
    if step < warm:
        return lr * (step + 1) / warm
    if cfg["schedule"] == "constant" or total <= warm:
        return lr
    t = (step - warm) / (total - warm)
    return cfg["min_lr"] + (lr - cfg["min_lr"]) * (1.0 + math.cos(math.pi * t)) / 2.0


def main():
    cfg = torch.load(sys.argv[1])
    net = TinyNet()
    state = net.state_dict()
    for name in state:
        state[name].copy_(cfg["init"][name])
    net.train()
    decay, no_decay = [], []
    for p in net.parameters():
        (decay if cfg["decay_norm_and_bias"] or p.dim() > 1 else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": cfg["weight_decay"]}]
    if no_decay:
        groups.append({"params": no_decay, "weight_decay": 0.0})
    opt = torch.optim.SGD(groups, lr=cfg["lr"], momentum=cfg["momentum"],
                          nesterov=cfg["nesterov"])
    xs, ys = cfg["x"], cfg["y"]
    total = len(xs)
    for step in range(total):
        for g in opt.param_groups:
            g["lr"] = learning_rate(cfg, step, total)
        loss = F.cross_entropy(net(xs[step]), ys[step],
                               label_smoothing=cfg["label_smoothing"])
        opt.zero_grad()
        loss.backward()
        opt.step()
    torch.save({k: v.detach().clone() for k, v in net.state_dict().items()}, sys.argv[2])


if __name__ == "__main__":
    main()
