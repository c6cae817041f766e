#!/usr/bin/python3
"""TE-NAS's DARTS supernet, rebuilt in PyTorch for the C++ darts build_supernet().

  darts_supernet.py spec.json
spec.json:
  {"cases": [{"name": "...", "alive": [28 rows of 8 0/1, normal then reduce edges],
              "C": 2, "layers": 5, "max_cells": 2, "num_classes": 10, "input_size": 16,
              "build_seed": 0, "input_seed": 1, "batch": 2}, ...]}
Output: {"<name>": {"params": int, "logits": [...]}}

The cells follow TE-NAS (VITA-Group/TENAS, lib/models/cell_searchs/search_cells.py
NASNetSearchCell and MixedOp): 14 edges "i<-j" (node i + 2 from node j) created node by node,
each a MixedOp holding all eight ops of DARTS_SPACE in its order (none, skip_connect,
sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, dil_conv_5x5, avg_pool_3x3, max_pool_3x3), pruned or
not; an edge computes sum(w * op(x) if w > 0.01 else 0) with w = softmax(alpha), alpha 0 for a
survivor and -1000 for a pruned op, and an edge whose alphas are all -1000 adds 0 to its node.
The ops themselves and the macro network (stem to 3C, ReLU-conv1x1-BN or FactorizedReduce
preprocessing, reductions at layers/3 and 2 layers/3, global pooling and a linear head, no
lastact) are the discrete DARTS network's as the darts space builds it with its default
options (non-affine cell BN, a non-affine BN after each pool), so that a fully pruned supernet
is the discrete network. Built under torch.manual_seed(build_seed) in this order, the weights
are those the C++ supernet draws. `params` counts the parameters outside pruned ops and dead
edges; the logits are of torch.manual_seed(input_seed); torch.randn(batch, 3, size, size) in
train mode.
"""
import json
import sys

import torch
import torch.nn as nn

INF = 1000.0
SPACE = ["none", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5",
         "avg_pool_3x3", "max_pool_3x3"]


class Zero(nn.Module):
    def __init__(self, stride):
        super().__init__()
        self.stride = stride

    def forward(self, x):
        if self.stride == 1:
            return x.mul(0.)
        return x[:, :, ::self.stride, ::self.stride].mul(0.)


class Identity(nn.Module):
    def forward(self, x):
        return x


class ReLUConvBN(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.op = nn.Sequential(nn.ReLU(inplace=False), nn.Conv2d(c_in, c_out, 1, bias=False),
                                nn.BatchNorm2d(c_out))

    def forward(self, x):
        return self.op(x)


class FactorizedReduce(nn.Module):
    def __init__(self, c_in, c_out, affine):
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        self.convs = nn.ModuleList(
            [nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False) for _ in range(2)])
        self.pad = nn.ConstantPad2d((0, 1, 0, 1), 0)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)

    def forward(self, x):
        x = self.relu(x)
        y = self.pad(x)
        return self.bn(torch.cat([self.convs[0](x), self.convs[1](y[:, :, 1:, 1:])], dim=1))


def sep_conv(c, k, stride, padding, dilation):
    return [nn.ReLU(inplace=False),
            nn.Conv2d(c, c, k, stride=stride, padding=padding, dilation=dilation, groups=c,
                      bias=False),
            nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c, affine=False)]


def make_op(name, c, stride):
    if name == "none":
        return Zero(stride)
    if name == "skip_connect":
        return Identity() if stride == 1 else FactorizedReduce(c, c, affine=False)
    if name in ("avg_pool_3x3", "max_pool_3x3"):
        pool = (nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)
                if name == "avg_pool_3x3" else nn.MaxPool2d(3, stride=stride, padding=1))
        return nn.Sequential(pool, nn.BatchNorm2d(c, affine=False))
    k = int(name[-1])
    if name.startswith("sep_conv"):
        return nn.Sequential(*sep_conv(c, k, stride, k // 2, 1), *sep_conv(c, k, 1, k // 2, 1))
    return nn.Sequential(*sep_conv(c, k, stride, k - 1, 2))


class MixedOp(nn.Module):
    def __init__(self, c, stride):
        super().__init__()
        self._ops = nn.ModuleList(make_op(name, c, stride) for name in SPACE)

    def forward_darts(self, x, weights):
        return sum(w * op(x) if w > 0.01 else 0 for w, op in zip(weights, self._ops))


class SearchCell(nn.Module):
    def __init__(self, c_pp, c_p, c, reduction, reduction_prev):
        super().__init__()
        self.reduction = reduction
        self.preprocess0 = (FactorizedReduce(c_pp, c, affine=True) if reduction_prev
                            else ReLUConvBN(c_pp, c))
        self.preprocess1 = ReLUConvBN(c_p, c)
        self.edges = nn.ModuleDict()
        for i in range(4):
            for j in range(2 + i):
                self.edges["{:}<-{:}".format(i, j)] = MixedOp(c, 2 if reduction and j < 2 else 1)
        self.edge2index = {key: n for n, key in enumerate(sorted(self.edges.keys()))}

    def forward_darts(self, s0, s1, weightss, alphass):
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for i in range(4):
            clist = []
            for j, h in enumerate(states):
                key = "{:}<-{:}".format(i, j)
                e = self.edge2index[key]
                if sum(alphass[e]) <= (-INF) * len(alphass[e]):
                    clist.append(0)
                else:
                    clist.append(self.edges[key].forward_darts(h, weightss[e]))
            states.append(sum(clist))
        return torch.cat(states[-4:], dim=1)


class Supernet(nn.Module):
    def __init__(self, alive, c, layers, max_cells, num_classes):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 3 * c, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(3 * c))
        c_pp, c_p, c_curr, reduction_prev = 3 * c, 3 * c, c, False
        self.cells = nn.ModuleList()
        for k in range(layers if max_cells == 0 else max_cells):
            reduction = k in (layers // 3, 2 * layers // 3)
            if reduction:
                c_curr *= 2
            self.cells.append(SearchCell(c_pp, c_p, c_curr, reduction, reduction_prev))
            reduction_prev = reduction
            c_pp, c_p = c_p, 4 * c_curr
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_p, num_classes)
        a = torch.tensor([[0.0 if x else -INF for x in row] for row in alive])
        self.alphas = [a[:14], a[14:]]

    def forward(self, x):
        weights = [torch.softmax(a, dim=1) for a in self.alphas]
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            r = 1 if cell.reduction else 0
            s0, s1 = s1, cell.forward_darts(s0, s1, weights[r], self.alphas[r])
        y = self.global_pooling(s1)
        return self.classifier(y.view(y.size(0), -1))


def kept_params(net, alive):
    n = sum(p.numel() for p in net.stem.parameters()) + sum(
        p.numel() for p in net.classifier.parameters())
    for cell in net.cells:
        n += sum(p.numel() for p in cell.preprocess0.parameters())
        n += sum(p.numel() for p in cell.preprocess1.parameters())
        rows = alive[14:] if cell.reduction else alive[:14]
        for key, mixed in cell.edges.items():
            for s, op in enumerate(mixed._ops):
                if rows[cell.edge2index[key]][s]:
                    n += sum(p.numel() for p in op.parameters())
    return n


def run(case):
    alive = [[bool(a) for a in row] for row in case["alive"]]
    torch.manual_seed(case["build_seed"])
    net = Supernet(alive, case["C"], case["layers"], case["max_cells"], case["num_classes"])
    torch.manual_seed(case["input_seed"])
    size = case["input_size"]
    x = torch.randn(case["batch"], 3, size, size)
    net.train()
    with torch.no_grad():
        logits = net(x)
    return {"params": kept_params(net, alive), "logits": [float(v) for v in logits.flatten()]}


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    torch.set_num_threads(1)
    print(json.dumps({case["name"]: run(case) for case in spec["cases"]}))


if __name__ == "__main__":
    main()
