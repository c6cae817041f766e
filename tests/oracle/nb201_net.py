"""NAS-Bench-201 network for the Python proxy oracle.

The module construction order is fixed on purpose: with torch.manual_seed(s) called just
before NB201Net(...), every Conv2d/Linear draws its default init (kaiming_uniform, a=sqrt(5))
from the global generator in this order, so a LibTorch build that creates the same modules
in the same order gets bit-identical weights.  BatchNorm, ReLU, pooling and the ops without
parameters draw nothing.

Order: stem (Conv 3->16 3x3, BN) | 17 cells (5 normal C=16, reduction 16->32, 5 normal C=32,
reduction 32->64, 5 normal C=64) | lastact (BN(64), ReLU) | AdaptiveAvgPool2d(1) | Linear(64, K).
Inside a normal cell the edge ops are created node by node (i = 1..3), and within a node by
source (j = 0..i-1), which is also the order of the arch string.

The structure follows the NB201 reference model used by the WRCor / zero-cost-nas harness
(foresight/models/nasbench201*.py), rewritten here.
"""
import torch
import torch.nn as nn

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
NUM_CELLS = 17          # 5 + 1 + 5 + 1 + 5 top-level blocks
HEAD_BLOCK = NUM_CELLS  # lastact's ReLU gets block index 17 (WRCor weight 2**17)


def parse_arch(arch):
    """'|a~0|+|b~0|c~1|+|d~0|e~1|f~2|' -> [(op, src, dst), ...] in string order (6 edges)."""
    groups = arch.strip().strip("|").split("|+|")
    if len(groups) != 3:
        raise ValueError(f"bad NB201 arch string: {arch!r}")
    edges = []
    for dst, group in enumerate(groups, start=1):
        tokens = group.split("|")
        if len(tokens) != dst:
            raise ValueError(f"node {dst} needs {dst} inputs: {arch!r}")
        for expected_src, tok in enumerate(tokens):
            op, src = tok.split("~")
            if op not in OPS or int(src) != expected_src:
                raise ValueError(f"bad edge {tok!r} in {arch!r}")
            edges.append((op, int(src), dst))
    return edges


class BlockReLU(nn.ReLU):
    """nn.ReLU that remembers the top-level block (cell index 0..16, lastact = 17) it lives in.

    The type name contains "ReLU", so hook code that selects modules the reference way
    ('ReLU' in str(type(m))) finds it.  `block` is informational; proxies.py recomputes the
    weights by enumerating net.cells / net.lastact like the reference and checks they agree."""

    def __init__(self, block, inplace=False):
        super().__init__(inplace=inplace)
        self.block = block

    def extra_repr(self):
        return f"block={self.block}" + (", inplace=True" if self.inplace else "")


class Zero(nn.Module):
    # x*0. rather than zeros(): keeps the edge in the autograd graph (zero gradients flow
    # back, NaN/inf propagate) exactly like the reference Zero op.
    def forward(self, x):
        return x.mul(0.0)


class Identity(nn.Module):
    def forward(self, x):
        return x


class ReLUConvBN(nn.Module):
    # Keep this class name: the reference hook rule ('ReLU' in str(type(m))) matches it too,
    # exactly as it matches the ReLUConvBN classes of the WRCor / NASWOT NB201 models.
    def __init__(self, c_in, c_out, k, stride, pad, block):
        super().__init__()
        self.op = nn.Sequential(
            BlockReLU(block, inplace=False),
            nn.Conv2d(c_in, c_out, k, stride=stride, padding=pad, bias=False),
            nn.BatchNorm2d(c_out),
        )

    def forward(self, x):
        return self.op(x)


def make_op(name, c, block):
    if name == "none":
        return Zero()
    if name == "skip_connect":
        return Identity()
    if name == "nor_conv_1x1":
        return ReLUConvBN(c, c, 1, 1, 0, block)
    if name == "nor_conv_3x3":
        return ReLUConvBN(c, c, 3, 1, 1, block)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    raise ValueError(name)


class NormalCell(nn.Module):
    def __init__(self, edges, c, block):
        super().__init__()
        self.edges = [(src, dst) for _, src, dst in edges]
        self.layers = nn.ModuleList(make_op(op, c, block) for op, _, _ in edges)

    def forward(self, x):
        nodes = [x]
        k = 0
        for dst in (1, 2, 3):
            # Left-to-right sum over sources j = 0..i-1 (the reference uses Python sum()).
            acc = None
            for _ in range(dst):
                src = self.edges[k][0]
                y = self.layers[k](nodes[src])
                acc = y if acc is None else acc + y
                k += 1
            nodes.append(acc)
        return nodes[3]


class ReductionCell(nn.Module):
    """NB201's ResNet basic block with stride 2 (conv_a, conv_b, downsample: created in this order)."""

    def __init__(self, c_in, c_out, block):
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, 2, 1, block)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, 1, 1, block)
        self.downsample = nn.Sequential(
            nn.AvgPool2d(kernel_size=2, stride=2, padding=0),
            nn.Conv2d(c_in, c_out, 1, stride=1, padding=0, bias=False),
        )

    def forward(self, x):
        # reference: residual + basicblock (this operand order)
        basic = self.conv_b(self.conv_a(x))
        return self.downsample(x) + basic


class NB201Net(nn.Module):
    def __init__(self, arch, num_classes=10, head_inplace=False, C=16, N=5):
        """head_inplace=True reproduces the reference lastact ReLU(inplace=True): a forward hook
        on that ReLU then sees the post-activation tensor (the WRCor quirk).  Values computed
        by the network are identical either way."""
        super().__init__()
        edges = parse_arch(arch)
        self.arch = arch
        self.stem = nn.Sequential(nn.Conv2d(3, C, 3, stride=1, padding=1, bias=False), nn.BatchNorm2d(C))
        chans = [C] * N + [2 * C] + [2 * C] * N + [4 * C] + [4 * C] * N
        reds = [False] * N + [True] + [False] * N + [True] + [False] * N
        self.cells = nn.ModuleList()
        c_prev = C
        for i, (c, red) in enumerate(zip(chans, reds)):
            self.cells.append(ReductionCell(c_prev, c, i) if red else NormalCell(edges, c, i))
            c_prev = c
        self.lastact = nn.Sequential(nn.BatchNorm2d(c_prev), BlockReLU(len(self.cells), inplace=head_inplace))
        self.global_pooling = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward(self, x):
        f = self.stem(x)
        for cell in self.cells:
            f = cell(f)
        f = self.lastact(f)
        f = self.global_pooling(f).view(f.size(0), -1)
        return self.classifier(f)


def build(arch, seed, num_classes=10, head_inplace=False):
    """torch.manual_seed(seed), then construct: the contract shared with the C++ builder."""
    torch.manual_seed(seed)
    return NB201Net(arch, num_classes=num_classes, head_inplace=head_inplace)


def count_params(net):
    return sum(p.numel() for p in net.parameters() if p.requires_grad)
