#!/usr/bin/python3
"""TE-NAS's NAS-Bench-201 supernet, rebuilt in PyTorch for the C++ nb201 build_supernet().

  nb201_supernet.py spec.json [-o out.json]
spec.json:
  {"cases": [{"name": "...",
              "alive": [[1, 0, 1, 1, 1], ... six rows of five 0/1 ...],
              "C": 16, "N": 5, "max_cells": 0, "stem": true,
              "in_channels": 3, "input_size": 32, "num_classes": 10,
              "build_seed": 0, "input_seed": 1, "batch": 2}, ...]}
Output: {"<name>": {"params": int, "names": [...], "weight_sum": float, "logits": [...]}}

The supernet follows TE-NAS (VITA-Group/TENAS, lib/models/cell_searchs/search_model_darts.py
TinyNetworkDarts and search_cells.py NAS201SearchCell): every edge of every normal cell holds
all five ops, and the edge computes

    sum(op(x) * w if w > 0.01 else 0 for op, w in zip(ops, softmax(alpha_edge)))

with alpha = 0 for a surviving op and -1000 for a pruned one (TE-NAS's INF), so the survivors
are averaged and the pruned ops never run. The three stages share one alpha table, as in
TE-NAS. The ops, ResNet blocks, stem and head are those of nb201_net.py (the discrete model
of this oracle), created in its order; within an edge the five ops are created in op order
(none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3), pruned or not, as TE-NAS does.
With torch.manual_seed(build_seed) just before construction the weights are those the C++
supernet draws under the same seed.

Reported per case: the parameters a network without the pruned ops would own (count, names in
module order with the edges' ModuleList called `layers` as in the C++ model, sum of values),
and the logits of torch.manual_seed(input_seed); torch.randn(batch, in, size, size) in train
mode (BatchNorm on batch statistics).
"""
import argparse
import json
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nb201_net import OPS, BlockReLU, ReductionCell, make_op  # noqa: E402

INF = 1000.0
EDGES = [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)]  # (to, from), arch-string order


class SearchCell(nn.Module):
    def __init__(self, c, block):
        super().__init__()
        self.layers = nn.ModuleList(
            nn.ModuleList(make_op(name, c, block) for name in OPS) for _ in EDGES)

    def forward(self, x, weights):
        nodes = [x]
        e = 0
        for to in (1, 2, 3):
            inter = []
            for source in range(to):
                inter.append(sum(op(nodes[source]) * w if w > 0.01 else 0
                                 for op, w in zip(self.layers[e], weights[e])))
                e += 1
            nodes.append(sum(inter))
        return nodes[-1]


class Supernet(nn.Module):
    def __init__(self, alive, C, N, max_cells, stem, in_channels, num_classes):
        super().__init__()
        self.use_stem = stem
        if stem:
            self.stem = nn.Sequential(nn.Conv2d(in_channels, C, 3, padding=1, bias=False),
                                      nn.BatchNorm2d(C))
        self.cells = nn.ModuleList()
        c = C
        for index in range(3 * N + 2):
            if max_cells > 0 and index >= max_cells:
                break
            if index in (N, 2 * N + 1):
                self.cells.append(ReductionCell(c, 2 * c, index))
                c *= 2
            else:
                self.cells.append(SearchCell(c, index))
        self.lastact = nn.Sequential(nn.BatchNorm2d(c), BlockReLU(len(self.cells)))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c, num_classes)
        # Not a parameter here: the oracle computes the forward pass only.
        self.alpha = torch.tensor([[0.0 if a else -INF for a in row] for row in alive])

    def forward(self, x):
        weights = torch.softmax(self.alpha, dim=-1)
        f = self.stem(x) if self.use_stem else x
        for cell in self.cells:
            f = cell(f, weights) if isinstance(cell, SearchCell) else cell(f)
        f = self.lastact(f)
        return self.classifier(self.global_pooling(f).flatten(1))


def kept_parameters(net, alive):
    """(name, tensor) of the parameters outside pruned ops, in module order."""
    dead = set()
    for cell_index, cell in enumerate(net.cells):
        if not isinstance(cell, SearchCell):
            continue
        for e, row in enumerate(alive):
            for op, a in enumerate(row):
                if not a:
                    dead.add(f"cells.{cell_index}.layers.{e}.{op}.")
    return [(n, p) for n, p in net.named_parameters()
            if not any(n.startswith(prefix) for prefix in dead)]


def run(case):
    alive = [[bool(a) for a in row] for row in case["alive"]]
    assert len(alive) == 6 and all(len(r) == 5 and any(r) for r in alive), case["name"]
    torch.manual_seed(case["build_seed"])
    net = Supernet(alive, case["C"], case["N"], case.get("max_cells", 0), case.get("stem", True),
                   case["in_channels"], case["num_classes"])
    kept = kept_parameters(net, alive)
    torch.manual_seed(case["input_seed"])
    size = case["input_size"]
    x = torch.randn(case["batch"], case["in_channels"], size, size)
    net.train()
    with torch.no_grad():
        logits = net(x)
    return {
        "params": sum(p.numel() for _, p in kept),
        "names": [n for n, _ in kept],
        "weight_sum": float(sum(p.detach().double().sum().item() for _, p in kept)),
        "logits": [float(v) for v in logits.flatten()],
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("spec")
    parser.add_argument("-o", "--out")
    args = parser.parse_args()
    with open(args.spec) as f:
        spec = json.load(f)
    torch.set_num_threads(1)
    out = {case["name"]: run(case) for case in spec["cases"]}
    text = json.dumps(out)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
