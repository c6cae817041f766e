#!/usr/bin/python3
"""DARTS's CIFAR training network (Liu et al., ICLR 2019), rebuilt in PyTorch for the darts space.

  darts_eval_net.py spec.json
spec.json:
  {"cases": [{"name": "...", "genotype": "normal=[('op',i),...];reduce=[...]", "C": 36,
              "layers": 20, "num_classes": 10, "auxiliary": true, "build_seed": 0,
              "forward": false}, ...]}
  with "forward": true also "input_seed", "batch", "input_size", "drop_prob", "mask_seed".
Output: {"<name>": {"params": int, "params_without_auxiliary": int, "aux_params": int,
                    "logits": [...], "aux_logits": [...]}}   (logits only for forward cases)

The network is DARTS's NetworkCIFAR as its cnn/model.py and cnn/operations.py build it for
training (train.py): a 3x3 stem conv to 3C with BN; `layers` cells, the reduction cells at
layers/3 and 2 layers/3 doubling C; preprocessing ReLU-conv1x1-BN, or FactorizedReduce after a
reduction cell; cell ops built with affine BN (OPS[name](C, stride, True)): sep_conv (ReLU,
depthwise, pointwise, BN, twice), dil_conv (ReLU, dilated depthwise, pointwise, BN), bare
max/avg pooling (no BN; average excluding padding), skip_connect = Identity or, strided,
FactorizedReduce; AuxiliaryHeadCIFAR on the output of cell 2 layers/3 (ReLU in place, AvgPool
5/3, conv1x1 -> 128, BN, ReLU, conv2x2 -> 768, BN, ReLU, Linear), computed in training mode only;
global average pooling and Linear(4 C_last, classes). Modules are created in DARTS's order under
DARTS's names, so torch.manual_seed(build_seed) gives DARTS's initial weights.

`params_without_auxiliary` is what DARTS's utils.count_parameters_in_MB reports (x 1e6; later
versions of DARTS skip parameters named "auxiliary"; the first release counted all).

Drop-path is DARTS's utils.drop_path (x.div_(keep_prob); x.mul_(mask), one mask value per
sample) on every cell op output but an Identity, in training mode when drop_prob > 0. DARTS
draws its masks with torch's bernoulli_; here they come from std::mt19937_64(mask_seed) drawn as
nas::Rng::uniform() (the top 53 bits of a draw times 2^-53), a sample kept when the draw is below
1 - drop_prob, in forward order (cells, nodes, a node's first then second op, samples), which is
the order the darts space documents, so that both drop the same samples.

The aux head's first ReLU is in place, as in DARTS, so it rectifies the aux cell's output that
later cells read. Their preprocessing starts with a ReLU, so nothing changes as long as a cell
follows the aux cell (layers >= 3); the darts space does not rectify in place.
"""
import ast
import json
import sys

import torch
import torch.nn as nn

MASK64 = (1 << 64) - 1


class Mt19937_64:
    """std::mt19937_64 (Matsumoto & Nishimura's 64-bit Mersenne twister, C++11's parameters)."""

    N, M = 312, 156

    def __init__(self, seed):
        self.state = [seed & MASK64]
        for i in range(1, self.N):
            prev = self.state[-1]
            self.state.append((6364136223846793005 * (prev ^ (prev >> 62)) + i) & MASK64)
        self.index = self.N

    def _twist(self):
        s = self.state
        for i in range(self.N):
            x = (s[i] & 0xFFFFFFFF80000000) | (s[(i + 1) % self.N] & 0x7FFFFFFF)
            shifted = x >> 1
            if x & 1:
                shifted ^= 0xB5026F5AA96619E9
            s[i] = s[(i + self.M) % self.N] ^ shifted
        self.index = 0

    def next(self):
        if self.index >= self.N:
            self._twist()
        y = self.state[self.index]
        self.index += 1
        y ^= (y >> 29) & 0x5555555555555555
        y ^= (y << 17) & 0x71D67FFFEDA60000
        y ^= (y << 37) & 0xFFF7EEE000000000
        y ^= y >> 43
        return y & MASK64

    def uniform(self):
        return (self.next() >> 11) * 2.0 ** -53


def check_generator():
    # The C++ standard's check: the 10000th value of a default-constructed std::mt19937_64.
    g = Mt19937_64(5489)
    for _ in range(9999):
        g.next()
    assert g.next() == 9981545732273789042, "mt19937_64 replica is wrong"


OPS = ["max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
       "dil_conv_3x3", "dil_conv_5x5"]


def parse(text):
    normal, reduce = text.split(";")
    cells = [ast.literal_eval(normal[len("normal="):]), ast.literal_eval(reduce[len("reduce="):])]
    for cell in cells:
        assert len(cell) == 8 and all(op in OPS for op, _ in cell)
    return cells


class ReLUConvBN(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.op = nn.Sequential(nn.ReLU(inplace=False), nn.Conv2d(c_in, c_out, 1, bias=False),
                                nn.BatchNorm2d(c_out, affine=True))

    def forward(self, x):
        return self.op(x)


class FactorizedReduce(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=True)

    def forward(self, x):
        x = self.relu(x)
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1))


class ConvOp(nn.Module):
    """DARTS's SepConv (two halves) or DilConv (one): an `op` Sequential."""

    def __init__(self, c, k, stride, sep):
        super().__init__()
        layers = []
        for half in range(2 if sep else 1):
            layers += [nn.ReLU(inplace=False),
                       nn.Conv2d(c, c, k, stride=stride if half == 0 else 1,
                                 padding=k // 2 if sep else k - 1, dilation=1 if sep else 2,
                                 groups=c, bias=False),
                       nn.Conv2d(c, c, 1, bias=False),
                       nn.BatchNorm2d(c, affine=True)]
        self.op = nn.Sequential(*layers)

    def forward(self, x):
        return self.op(x)


class Identity(nn.Module):
    def forward(self, x):
        return x


def make_op(name, c, stride):
    if name == "skip_connect":
        return Identity() if stride == 1 else FactorizedReduce(c, c)
    if name == "max_pool_3x3":
        return nn.MaxPool2d(3, stride=stride, padding=1)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)
    return ConvOp(c, int(name[-1]), stride, name.startswith("sep_conv"))


def drop_path(x, drop_prob, rng):
    keep_prob = 1.0 - drop_prob
    mask = torch.tensor([1.0 if rng.uniform() < keep_prob else 0.0 for _ in range(x.size(0))],
                        dtype=torch.float32).view(-1, 1, 1, 1)
    x.div_(keep_prob)
    x.mul_(mask)
    return x


class Cell(nn.Module):
    def __init__(self, entries, c_pp, c_p, c, reduction, reduction_prev):
        super().__init__()
        self.preprocess0 = FactorizedReduce(c_pp, c) if reduction_prev else ReLUConvBN(c_pp, c)
        self.preprocess1 = ReLUConvBN(c_p, c)
        self.inputs = [source for _, source in entries]
        self._ops = nn.ModuleList(
            [make_op(op, c, 2 if reduction and source < 2 else 1) for op, source in entries])

    def forward(self, s0, s1, drop_prob, rng):
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for node in range(4):
            outs = []
            for e in (2 * node, 2 * node + 1):
                op = self._ops[e]
                h = op(states[self.inputs[e]])
                if self.training and drop_prob > 0 and not isinstance(op, Identity):
                    h = drop_path(h, drop_prob, rng)
                outs.append(h)
            states.append(outs[0] + outs[1])
        return torch.cat(states[2:], dim=1)


class AuxiliaryHeadCIFAR(nn.Module):
    def __init__(self, c, num_classes):
        super().__init__()
        self.features = nn.Sequential(
            nn.ReLU(inplace=True), nn.AvgPool2d(5, stride=3, padding=0, count_include_pad=False),
            nn.Conv2d(c, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(inplace=True),
            nn.Conv2d(128, 768, 2, bias=False), nn.BatchNorm2d(768), nn.ReLU(inplace=True))
        self.classifier = nn.Linear(768, num_classes)

    def forward(self, x):
        x = self.features(x)
        return self.classifier(x.view(x.size(0), -1))


class NetworkCIFAR(nn.Module):
    def __init__(self, genotype, c, num_classes, layers, auxiliary):
        super().__init__()
        normal, reduce = parse(genotype)
        self.layers = layers
        self.auxiliary = auxiliary
        self.stem = nn.Sequential(nn.Conv2d(3, 3 * c, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(3 * c))
        c_pp, c_p, c_curr = 3 * c, 3 * c, c
        self.cells = nn.ModuleList()
        reduction_prev = False
        c_aux = None
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                c_curr *= 2
            self.cells.append(Cell(reduce if reduction else normal, c_pp, c_p, c_curr, reduction,
                                   reduction_prev))
            reduction_prev = reduction
            c_pp, c_p = c_p, 4 * c_curr
            if i == 2 * layers // 3:
                c_aux = c_p
        if auxiliary:
            self.auxiliary_head = AuxiliaryHeadCIFAR(c_aux, num_classes)
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_p, num_classes)

    def forward(self, x, drop_prob, rng):
        logits_aux = None
        s0 = s1 = self.stem(x)
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1, drop_prob, rng)
            if i == 2 * self.layers // 3 and self.auxiliary and self.training:
                logits_aux = self.auxiliary_head(s1)
        out = self.global_pooling(s1)
        return self.classifier(out.view(out.size(0), -1)), logits_aux


def run(case):
    torch.manual_seed(case["build_seed"])
    net = NetworkCIFAR(case["genotype"], case["C"], case["num_classes"], case["layers"],
                       case["auxiliary"])
    named = list(net.named_parameters())
    total = sum(p.numel() for _, p in named)
    without_aux = sum(p.numel() for n, p in named if "auxiliary" not in n)
    out = {"params": total, "params_without_auxiliary": without_aux,
           "aux_params": total - without_aux}
    if case.get("forward", False):
        torch.manual_seed(case["input_seed"])
        x = torch.randn(case["batch"], 3, case["input_size"], case["input_size"])
        net.train()
        rng = Mt19937_64(case["mask_seed"])
        with torch.no_grad():
            logits, aux = net(x, case["drop_prob"], rng)
        out["logits"] = logits.flatten().tolist()
        out["aux_logits"] = aux.flatten().tolist() if aux is not None else []
    return out


def main():
    check_generator()
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    print(json.dumps({case["name"]: run(case) for case in spec["cases"]}))


if __name__ == "__main__":
    main()
