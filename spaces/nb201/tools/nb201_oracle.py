#!/usr/bin/env python3
"""Independent Python (PyTorch) model of the NAS-Bench-201 network, for checking the plugin.

It builds the benchmark's TinyNetwork (C=16, N=5) the way the reference code lays it out
(stem, 17 cells with ResNet blocks at 5 and 11, lastact, global pooling, classifier), creating
modules in the same order as the C++ plugin, so that under the same torch seed both get the
same weights. It prints, for one architecture, the parameter count, checksums of the weights
and the logits of a seeded random batch, in the form tests/test_nb201.cpp hard-codes.

    /usr/bin/python3 spaces/nb201/tools/nb201_oracle.py 'ARCH' [build_seed] [input_seed]
"""
import sys

import torch
import torch.nn as nn

OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]


class Zero(nn.Module):
    def forward(self, x):
        return x.mul(0.0)


class Identity(nn.Module):
    def forward(self, x):
        return x


class ReLUConvBN(nn.Module):
    def __init__(self, c_in, c_out, kernel, stride):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=(kernel - 1) // 2, bias=False),
            nn.BatchNorm2d(c_out))

    def forward(self, x):
        return self.op(x)


class AvgPool(nn.Module):
    def __init__(self):
        super().__init__()
        self.op = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)

    def forward(self, x):
        return self.op(x)


def make_op(name, channels):
    if name == "none":
        return Zero()
    if name == "skip_connect":
        return Identity()
    if name == "nor_conv_1x1":
        return ReLUConvBN(channels, channels, 1, 1)
    if name == "nor_conv_3x3":
        return ReLUConvBN(channels, channels, 3, 1)
    if name == "avg_pool_3x3":
        return AvgPool()
    raise ValueError(name)


def parse(arch):
    """Edges (to, from, op) in arch-string order."""
    edges = []
    for to, group in enumerate(arch.split("+"), start=1):
        for token in group.strip("|").split("|"):
            op, source = token.split("~")
            assert op in OPS
            edges.append((to, int(source), op))
    assert [(t, f) for t, f, _ in edges] == [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)]
    return edges


class Cell(nn.Module):
    def __init__(self, edges, channels):
        super().__init__()
        self.edges = [(to, source) for to, source, _ in edges]
        self.layers = nn.ModuleList([make_op(op, channels) for _, _, op in edges])

    def forward(self, x):
        nodes = [x]
        for to in (1, 2, 3):
            terms = [layer(nodes[source])
                     for layer, (t, source) in zip(self.layers, self.edges) if t == to]
            total = terms[0]
            for term in terms[1:]:
                total = total + term
            nodes.append(total)
        return nodes[3]


class ResNetBlock(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, 2)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1)
        self.downsample = nn.Sequential(
            nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
            nn.Conv2d(c_in, c_out, kernel_size=1, stride=1, padding=0, bias=False))

    def forward(self, x):
        branch = self.conv_b(self.conv_a(x))
        return self.downsample(x) + branch


class Network(nn.Module):
    def __init__(self, arch, num_classes=10, in_channels=3):
        super().__init__()
        edges = parse(arch)
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, 16, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(16))
        self.cells = nn.ModuleList()
        channels = 16
        for index in range(17):
            if index in (5, 11):
                self.cells.append(ResNetBlock(channels, 2 * channels))
                channels *= 2
            else:
                self.cells.append(Cell(edges, channels))
        self.lastact = nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU(inplace=False))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels, num_classes)

    def forward(self, x):
        x = self.stem(x)
        for cell in self.cells:
            x = cell(x)
        x = self.global_pooling(self.lastact(x))
        return self.classifier(x.view(x.size(0), -1))


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
    arch = sys.argv[1]
    build_seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    input_seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    torch.manual_seed(build_seed)
    net = Network(arch)
    params = list(net.parameters())
    flat = torch.cat([p.detach().flatten() for p in params]).double()
    print("params", sum(p.numel() for p in params))
    print("weight_sum %.17g" % flat.sum().item())
    print("weight_abs_sum %.17g" % flat.abs().sum().item())
    for name in ("stem.0.weight", "cells.16.layers.5.op.1.weight", "classifier.weight"):
        tensor = dict(net.named_parameters()).get(name)
        if tensor is not None:
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
