#!/usr/bin/env python3
"""Independent NAS-Bench-101 oracle for the nb101 plugin's tests and shipped tables.

Written from the published algorithm (NAS-Bench-101, Ying et al. 2019; google-research/nasbench
model_spec pruning and graph_util.hash_module), not from the plugin's C++:

* prune: keep the vertices that lie on some input->output path; a cell whose input does not
  reach its output is invalid.
* hash of the pruned cell, labels -1 (input), -2 (output), op index in
  [conv3x3-bn-relu, conv1x1-bn-relu, maxpool3x3]:
    h_v = md5(str((out_degree_v, in_degree_v, label_v)))           Python tuple text
    V times: h_v = md5(''.join(sorted(h of in-neighbours)) + '|'
                       + ''.join(sorted(h of out-neighbours)) + '|' + h_v)
    fingerprint = md5(str(sorted(h)))                              Python list text

Commands (stdout):
  hash CSV            one line per row of CSV (columns `matrix`, `ops`): the row's hash, or
                      "invalid" for a cell with no input->output path
  tables CSV OUTDIR   writes OUTDIR/sample_accuracies_arch.csv (an `arch` column, the plugin's
                      canonical string '<matrix> <ops>', followed by CSV's columns unchanged)
                      and OUTDIR/sample_archs.txt (one arch string per line, table order)
  network SPEC OUT    (needs torch) builds, for each case of the JSON file SPEC, the NB101
                      network of model_builder.py in PyTorch, in the module order and with the
                      initialisation of the PyTorch port the proxy references use, and writes
                      to OUT per case: parameter names, count and sum, and the logits of a
                      seeded input (train-mode BatchNorm)
hash and tables need numpy only.
"""
import csv
import hashlib
import os
import sys

import numpy as np

OPS = ["conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"]


def md5(text):
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def read_cell(matrix_text, ops_text):
    size = int(round(len(matrix_text) ** 0.5))
    assert size * size == len(matrix_text), matrix_text
    matrix = np.array([int(ch) for ch in matrix_text], dtype=np.int64).reshape(size, size)
    ops = ops_text.split(",")
    assert len(ops) == size, ops_text
    return matrix, ops


def live_vertices(matrix):
    """Vertices reachable from vertex 0 and reaching the last vertex (None if 0 misses it)."""
    size = matrix.shape[0]
    reach_fwd = np.zeros(size, dtype=bool)
    reach_fwd[0] = True
    changed = True
    while changed:  # fixed point of "a successor of a reached vertex is reached"
        new = reach_fwd | (matrix[reach_fwd].sum(axis=0) > 0)
        changed = bool((new != reach_fwd).any())
        reach_fwd = new
    reach_bwd = np.zeros(size, dtype=bool)
    reach_bwd[size - 1] = True
    changed = True
    while changed:
        new = reach_bwd | (matrix[:, reach_bwd].sum(axis=1) > 0)
        changed = bool((new != reach_bwd).any())
        reach_bwd = new
    if not reach_fwd[size - 1]:
        return None
    return [v for v in range(size) if reach_fwd[v] and reach_bwd[v]]


def cell_hash(matrix, ops):
    keep = live_vertices(matrix)
    if keep is None:
        return "invalid"
    sub = matrix[np.ix_(keep, keep)]
    kept_ops = [ops[v] for v in keep]
    labels = [-1] + [OPS.index(op) for op in kept_ops[1:-1]] + [-2]
    size = len(keep)
    ins = [int(x) for x in sub.sum(axis=0)]
    outs = [int(x) for x in sub.sum(axis=1)]
    state = [md5(str((outs[v], ins[v], labels[v]))) for v in range(size)]
    for _ in range(size):
        nxt = []
        for v in range(size):
            preds = "".join(sorted(state[w] for w in range(size) if sub[w, v]))
            succs = "".join(sorted(state[w] for w in range(size) if sub[v, w]))
            nxt.append(md5(preds + "|" + succs + "|" + state[v]))
        state = nxt
    return md5(str(sorted(state)))


def vertex_channels(c_in, c_out, sub):
    """model_builder.compute_vertex_channels on a pruned matrix."""
    size = sub.shape[0]
    ch = [0] * size
    ch[0], ch[size - 1] = c_in, c_out
    if size == 2:
        return ch
    feeding = [v for v in range(1, size - 1) if sub[v, size - 1]]
    base, extra = divmod(c_out, len(feeding))
    for rank, v in enumerate(feeding):
        ch[v] = base + (1 if rank < extra else 0)
    for v in range(size - 3, 0, -1):
        if not sub[v, size - 1]:
            ch[v] = max([ch[w] for w in range(v + 1, size - 1) if sub[v, w]] + [ch[v]])
    return ch


def run_networks(spec_path, out_path):
    import json

    import torch
    from torch import nn

    class ConvBnRelu(nn.Module):
        def __init__(self, c_in, c_out, k):
            super().__init__()
            self.conv = nn.Conv2d(c_in, c_out, k, 1, (k - 1) // 2, bias=False)
            self.bn = nn.BatchNorm2d(c_out, eps=1e-5, momentum=0.003)

        def forward(self, x):
            return torch.relu(self.bn(self.conv(x)))

    class Module(nn.Module):
        def __init__(self, sub, ops, c_in, c_out):
            super().__init__()
            self.sub, self.ops = sub, ops
            size = sub.shape[0]
            self.ch = vertex_channels(c_in, c_out, sub)
            for t in range(1, size - 1):
                if ops[t] == "maxpool3x3":
                    setattr(self, "op_%d" % t, nn.MaxPool2d(3, 1, 1))
                else:
                    k = 3 if ops[t] == "conv3x3-bn-relu" else 1
                    setattr(self, "op_%d" % t, ConvBnRelu(self.ch[t], self.ch[t], k))
            for t in range(1, size):
                if sub[0, t]:
                    setattr(self, "projection_%d" % t, ConvBnRelu(c_in, self.ch[t], 1))

        def forward(self, x):
            size = self.sub.shape[0]
            values = [x]
            joined = []
            for t in range(1, size - 1):
                terms = [values[s][:, : self.ch[t]] for s in range(1, t) if self.sub[s, t]]
                if self.sub[0, t]:
                    terms.append(getattr(self, "projection_%d" % t)(x))
                total = terms[0]
                for term in terms[1:]:
                    total = total + term
                values.append(getattr(self, "op_%d" % t)(total))
                if self.sub[t, size - 1]:
                    joined.append(values[t])
            last = "projection_%d" % (size - 1)
            if not joined:
                return getattr(self, last)(x)
            out = torch.cat(joined, 1) if len(joined) > 1 else joined[0]
            if self.sub[0, size - 1]:
                out = out + getattr(self, last)(x)
            return out

    class Net(nn.Module):
        def __init__(self, sub, ops, case):
            super().__init__()
            self.layers = nn.ModuleList()
            width, depth = case["width"], case["depth"]
            c = case["in_channels"]
            if case["stem"]:
                self.layers.append(ConvBnRelu(c, width, 3))
                c = width
            for k in range(case["modules"]):
                stack = k // depth
                if stack > 0 and k % depth == 0:
                    self.layers.append(nn.MaxPool2d(2, 2))
                self.layers.append(Module(sub, ops, c, width * 2 ** stack))
                c = width * 2 ** stack
            self.classifier = nn.Linear(c, case["num_classes"])
            for m in self.modules():  # the port's _initialize_weights
                if isinstance(m, nn.Conv2d):
                    n = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                    m.weight.data.normal_(0, (2.0 / n) ** 0.5)
                elif isinstance(m, nn.BatchNorm2d):
                    m.weight.data.fill_(1)
                    m.bias.data.zero_()
                elif isinstance(m, nn.Linear):
                    m.weight.data.normal_(0, 0.01)
                    m.bias.data.zero_()

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return self.classifier(x.mean((2, 3)))

    with open(spec_path) as f:
        cases = json.load(f)["cases"]
    result = {}
    for case in cases:
        matrix, ops = read_cell(case["matrix"], case["ops"])
        keep = live_vertices(matrix)
        sub = matrix[np.ix_(keep, keep)]
        torch.manual_seed(case["build_seed"])
        net = Net(sub, [ops[v] for v in keep], case)
        torch.manual_seed(case["input_seed"])
        size = case["input_size"]
        x = torch.randn(case["batch"], case["in_channels"], size, size)
        with torch.no_grad():
            logits = net(x).flatten().tolist()
        named = list(net.named_parameters())
        result[case["name"]] = {
            "names": [name for name, _ in named],
            "params": sum(p.numel() for _, p in named),
            "weight_sum": sum(float(p.double().sum()) for _, p in named),
            "logits": logits,
        }
    with open(out_path, "w") as f:
        json.dump(result, f)


def main(argv):
    if len(argv) >= 3 and argv[1] == "hash":
        with open(argv[2], newline="") as f:
            for row in csv.DictReader(f):
                print(cell_hash(*read_cell(row["matrix"], row["ops"])))
        return 0
    if len(argv) >= 4 and argv[1] == "tables":
        with open(argv[2], newline="") as f:
            reader = csv.reader(f)
            header = next(reader)
            rows = list(reader)
        m, o = header.index("matrix"), header.index("ops")
        archs = [row[m] + " " + row[o] for row in rows]
        with open(os.path.join(argv[3], "sample_accuracies_arch.csv"), "w", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(["arch"] + header)
            for arch, row in zip(archs, rows):
                writer.writerow([arch] + row)
        with open(os.path.join(argv[3], "sample_archs.txt"), "w") as f:
            f.write("# NAS-Bench-101: the 500 cells of sample_accuracies.csv, in table order\n")
            for arch in archs:
                f.write(arch + "\n")
        return 0
    if len(argv) >= 4 and argv[1] == "network":
        run_networks(argv[2], argv[3])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
