#!/usr/bin/python3
"""TE-NAS's linear-region count, recomputed in PyTorch for the C++ `linear_regions` proxy.

  linear_regions.py spec.json [-o out.json]
spec.json:
  {"archs": ["|nor_conv_3x3~0|+|...|", ...],
   "generator_seed": {"<arch>": 123, ...},   # the proxy's torch generator seed for that arch
   "batch": 1000, "sample_batches": 3, "repeats": 3, "num_classes": 10}
Output: {"<arch>": count averaged over the repeats, ...}

The network is TE-NAS's thin NAS-Bench-201 network (TinyNetworkDarts with C = 1, N = 1,
depth = 1, use_stem = False): one normal cell on one channel, built from the cell classes of
nb201_net.py, then lastact (BN, ReLU), global pooling and the classifier. A torch.Generator
seeded with the arch's seed gives, per repeat, the Kaiming-normal weights (fan_in, ReLU
gain, every Conv2d and Linear in module order, biases 0, BN weight 1 and bias 0) and then
`sample_batches` batches of N(0, 1) inputs of shape (batch, 1, 3, 3): the stream the C++
proxy documents, so both see the same weights and inputs. Each batch is forwarded on its own
in train mode. As in TE-NAS's Linear_Region_Collector, forward hooks on the nn.ReLU modules
whose input is 4-D keep their outputs, sign() of their concatenation is a sample's code, and
calc_LR counts sum_n 1 / #{m : code_m = code_n} over all batch x sample_batches samples
(in float64 here: CPU half-precision matrix products are not available everywhere).
"""
import argparse
import json
import math
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nb201_net import BlockReLU, NormalCell, parse_arch  # noqa: E402


class ThinNet(nn.Module):
    def __init__(self, arch, num_classes=10, C=1):
        super().__init__()
        self.cells = nn.ModuleList([NormalCell(parse_arch(arch), C, 0)])
        self.lastact = nn.Sequential(nn.BatchNorm2d(C), BlockReLU(1))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(C, num_classes)

    def forward(self, x):
        for cell in self.cells:  # no stem: the cell reads the input
            x = cell(x)
        x = self.lastact(x)
        return self.classifier(self.global_pooling(x).flatten(1))


def kaiming_normal_fanin(net, generator):
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                m.weight.normal_(0.0, math.sqrt(2.0 / fan_in), generator=generator)
                if m.bias is not None:
                    m.bias.zero_()
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.fill_(1.0)
                m.bias.zero_()


def count_regions(arch, seed, batch, sample_batches, repeats, num_classes):
    net = ThinNet(arch, num_classes).train()
    features = []

    def hook(module, inputs, output):
        if len(inputs[0].size()) == 4:
            features.append(output.detach())

    for m in net.modules():
        if isinstance(m, nn.ReLU):
            m.register_forward_hook(hook)
    generator = torch.Generator().manual_seed(seed)
    counts = []
    with torch.no_grad():
        for _ in range(repeats):
            kaiming_normal_fanin(net, generator)
            codes = []
            for _ in range(sample_batches):
                x = torch.randn((batch, 1, 3, 3), generator=generator)
                features.clear()
                net(x)
                codes.append(torch.sign(torch.cat([f.reshape(batch, -1) for f in features], 1)))
            a = torch.cat(codes, 0).double()
            res = a @ (1 - a).t()
            res = res + res.t()  # nonzero: the two samples' codes differ
            same = (1 - torch.sign(res)).sum(1)  # samples sharing each sample's code
            counts.append((1.0 / same).sum().item())
    return sum(counts) / len(counts)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("spec")
    parser.add_argument("-o", "--out")
    args = parser.parse_args()
    with open(args.spec) as f:
        spec = json.load(f)
    torch.set_num_threads(1)
    out = {}
    for arch in spec["archs"]:
        out[arch] = count_regions(arch, int(spec["generator_seed"][arch]), int(spec["batch"]),
                                  int(spec["sample_batches"]), int(spec["repeats"]),
                                  int(spec.get("num_classes", 10)))
    text = json.dumps(out, indent=1)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
