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
Needs numpy only.
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
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
