#!/usr/bin/env python3
"""Independent Python (PyTorch) model of the DARTS / NAS-Bench-301 network, for checking the plugin.

It builds NetworkCIFAR as NASLib measured NAS-Bench-301's `params` column (C=32, 8 cells, stem
to 3C, reductions at cells 2 and 5, ReLU-conv1x1-BN or FactorizedReduce preprocessing,
non-affine BN in the cell ops, a non-affine BN after each pooling op, no auxiliary head,
global average pooling, Linear(4C_last, 10)), creating modules in the same order and under the
same names as the C++ plugin, so that under the same torch seed both get the same weights. It
prints, for one genotype (the sample table's spelling), the parameter count, checksums of the
weights and the logits of a seeded random batch (training mode, as built), in the form
tests/test_darts.cpp hard-codes.

    /usr/bin/python3 spaces/darts/tools/darts_oracle.py 'GENOTYPE' [build_seed] [input_seed] [width]
"""
import ast
import sys

import torch
import torch.nn as nn

OPS = ["max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
       "dil_conv_3x3", "dil_conv_5x5"]


def parse(text):
    normal, reduce = text.split(";")
    assert normal.startswith("normal=") and reduce.startswith("reduce=")
    cells = [ast.literal_eval(normal[len("normal="):]), ast.literal_eval(reduce[len("reduce="):])]
    for cell in cells:
        assert len(cell) == 8
        for e, (op, source) in enumerate(cell):
            assert op in OPS and 0 <= source < e // 2 + 2
    return cells


class ReLUConvBN(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.op = nn.Sequential(nn.ReLU(inplace=False),
                                nn.Conv2d(c_in, c_out, 1, stride=1, padding=0, bias=False),
                                nn.BatchNorm2d(c_out))

    def forward(self, x):
        return self.op(x)


class FactorizedReduce(nn.Module):
    def __init__(self, c_in, c_out, affine):
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, padding=0, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, padding=0, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)

    def forward(self, x):
        y = self.relu(x)
        return self.bn(torch.cat([self.conv_1(y), self.conv_2(y[:, :, 1:, 1:])], dim=1))


class Seq(nn.Module):
    """An `op` Sequential: sep_conv (two ReLU-dw-pw-BN halves), dil_conv (one), pool + BN."""

    def __init__(self, layers):
        super().__init__()
        self.op = nn.Sequential(*layers)

    def forward(self, x):
        return self.op(x)


class Identity(nn.Module):
    def forward(self, x):
        return x


def make_op(name, c, stride):
    if name == "skip_connect":
        return Identity() if stride == 1 else FactorizedReduce(c, c, affine=False)
    if name == "max_pool_3x3":
        return Seq([nn.MaxPool2d(3, stride=stride, padding=1), nn.BatchNorm2d(c, affine=False)])
    if name == "avg_pool_3x3":
        return Seq([nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False),
                    nn.BatchNorm2d(c, affine=False)])
    k = int(name[-1])
    if name.startswith("sep_conv"):
        layers = []
        for half in range(2):
            layers += [nn.ReLU(inplace=False),
                       nn.Conv2d(c, c, k, stride=stride if half == 0 else 1, padding=k // 2,
                                 groups=c, bias=False),
                       nn.Conv2d(c, c, 1, bias=False),
                       nn.BatchNorm2d(c, affine=False)]
        return Seq(layers)
    return Seq([nn.ReLU(inplace=False),
                nn.Conv2d(c, c, k, stride=stride, padding=k - 1, dilation=2, groups=c, bias=False),
                nn.Conv2d(c, c, 1, bias=False),
                nn.BatchNorm2d(c, affine=False)])


class Cell(nn.Module):
    def __init__(self, entries, c_pp, c_p, c, reduction, reduction_prev):
        super().__init__()
        self.preprocess0 = FactorizedReduce(c_pp, c, affine=True) if reduction_prev else ReLUConvBN(c_pp, c)
        self.preprocess1 = ReLUConvBN(c_p, c)
        self.inputs = [source for _, source in entries]
        self._ops = nn.ModuleList(
            [make_op(op, c, 2 if reduction and source < 2 else 1) for op, source in entries])

    def forward(self, s0, s1):
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for node in range(4):
            a = self._ops[2 * node](states[self.inputs[2 * node]])
            b = self._ops[2 * node + 1](states[self.inputs[2 * node + 1]])
            states.append(a + b)
        return torch.cat(states[2:], dim=1)


class Network(nn.Module):
    def __init__(self, genotype, c=32, layers=8, num_classes=10):
        super().__init__()
        normal, reduce = parse(genotype)
        self.stem = nn.Sequential(nn.Conv2d(3, 3 * c, 3, padding=1, bias=False), nn.BatchNorm2d(3 * c))
        c_pp, c_p, c_curr = 3 * c, 3 * c, c
        self.cells = nn.ModuleList()
        reduction_prev = False
        for k in range(layers):
            reduction = k in (layers // 3, 2 * layers // 3)
            if reduction:
                c_curr *= 2
            self.cells.append(Cell(reduce if reduction else normal, c_pp, c_p, c_curr, reduction,
                                   reduction_prev))
            reduction_prev = reduction
            c_pp, c_p = c_p, 4 * c_curr
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_p, num_classes)

    def forward(self, x):
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        y = self.global_pooling(s1)
        return self.classifier(y.view(y.size(0), -1))


MASK64 = (1 << 64) - 1


def hash_string(text):
    """nas::hash_string (FNV-1a 64, then the SplitMix64 finaliser), to compare name lists."""
    h = 0xCBF29CE484222325
    for byte in text.encode():
        h = ((h ^ byte) * 0x100000001B3) & MASK64
    h = (h + 0x9E3779B97F4A7C15) & MASK64
    h = ((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    h = ((h ^ (h >> 27)) * 0x94D049BB133111EB) & MASK64
    return h ^ (h >> 31)


def main():
    genotype = sys.argv[1]
    build_seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    input_seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    width = int(sys.argv[4]) if len(sys.argv) > 4 else 32
    torch.manual_seed(build_seed)
    net = Network(genotype, c=width)
    params = list(net.parameters())
    flat = torch.cat([p.detach().flatten() for p in params]).double()
    print("params", sum(p.numel() for p in params))
    print("weight_sum %.17g" % flat.sum().item())
    print("weight_abs_sum %.17g" % flat.abs().sum().item())
    for name in ("stem.0.weight", "classifier.weight"):
        tensor = dict(net.named_parameters())[name]
        print("%s[0..3] %s" % (name, ", ".join("%.9g" % v for v in tensor.flatten()[:3].tolist())))
    torch.manual_seed(input_seed)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        logits = net(x)
    print("logits", ", ".join("%.9g" % v for v in logits.flatten().tolist()))
    names = [n for n, _ in net.named_parameters()]
    print("parameter tensors", len(names), "names hash", hash_string(" ".join(names)))


if __name__ == "__main__":
    main()
