"""Equivalence classes of NAS-Bench-201 cells, counted independently of the C++ space.

Pure Python (no torch). A cell is a DAG on nodes 0..3 with one op on every edge i -> k
(i < k); node 0 is the input, node 3 the output. Two levels of "same network":

structure  the cells differ only by a relabelling of the intermediate nodes {1, 2} that
           keeps every non-`none` edge pointing from a lower to a higher node (a valid
           topological labelling). Such cells hold the same ops, parameters and ReLUs.
function   as structure, after every op that cannot affect the output is replaced by
           `none`. Which ops those are follows from the ops' definitions in spaces/nb201:
           * none multiplies by 0; skip_connect and avg_pool_3x3 (padding excluded from the
             average) map an all-zero map to zeros. A node whose every incoming edge gives
             zeros is zero.
           * nor_conv (ReLU, Conv without bias, BatchNorm) of a zero map gives BatchNorm's
             beta, a trainable parameter, not a structural zero: it counts as a live op and
             its target node as non-zero.
           * An op counts only if a path leads from its target node to node 3 along which
             every edge transmits (is not none and does not merely forward a zero node).

Canonical key of a class: the member whose tuple of op indices (in arch-string order) is the
smallest, found by trying every valid relabelling. The key is that member's arch string, so
the C++ space's keys and representatives can be compared with these string for string.

Usage: nb201_classes.py            prints "arch <N> structure <N> function <N>"
       nb201_classes.py --dump F   also writes "arch,structure_key,function_key" per cell to F,
                                   cells in product order (edge 1<-0 slowest).

The NAS-Bench-201 paper's 6,466 "unique" cells come from its API's to_unique_str, which
merges more (it treats parallel edges as interchangeable); these counts do not try to match
it.
"""
import itertools
import sys

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
NONE, SKIP, CONV1, CONV3, POOL = range(5)
EDGES = [(0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3)]  # (from, to), arch-string order


def arch_string(ops):
    by_edge = dict(zip(EDGES, ops))
    groups = []
    for to in (1, 2, 3):
        groups.append("|" + "|".join(f"{OPS[by_edge[(i, to)]]}~{i}" for i in range(to)) + "|")
    return "+".join(groups)


def relabellings(ops):
    """Every cell obtained by permuting nodes 1 and 2 that keeps edges pointing forward."""
    by_edge = dict(zip(EDGES, ops))
    out = []
    for perm in itertools.permutations((1, 2)):
        label = {0: 0, 1: perm[0], 2: perm[1], 3: 3}
        new = {}
        ok = True
        for (i, k), op in by_edge.items():
            a, b = label[i], label[k]
            if a < b:
                new[(a, b)] = op
            elif op != NONE:
                ok = False  # a real edge would point backwards
            else:
                new[(b, a)] = NONE
        if ok:
            out.append(tuple(new[e] for e in EDGES))
    return out


def structure_key(ops):
    return min(relabellings(ops))


def zero_nodes(ops):
    by_edge = dict(zip(EDGES, ops))
    zero = {0: False}
    for k in (1, 2, 3):
        gives_something = False
        for i in range(k):
            op = by_edge[(i, k)]
            if op in (CONV1, CONV3) or (op in (SKIP, POOL) and not zero[i]):
                gives_something = True
        zero[k] = not gives_something
    return zero


def transmits(by_edge, zero, i, k):
    op = by_edge[(i, k)]
    return op in (CONV1, CONV3) or (op in (SKIP, POOL) and not zero[i])


def paths(start, end):
    if start == end:
        yield [start]
        return
    for nxt in range(start + 1, end + 1):
        for rest in paths(nxt, end):
            yield [start] + rest


def function_reduced(ops):
    by_edge = dict(zip(EDGES, ops))
    zero = zero_nodes(ops)
    reduced = []
    for (i, k), op in zip(EDGES, ops):
        live = transmits(by_edge, zero, i, k) and any(
            all(transmits(by_edge, zero, a, b) for a, b in zip(p, p[1:])) for p in paths(k, 3))
        reduced.append(op if live else NONE)
    return tuple(reduced)


def function_key(ops):
    return structure_key(function_reduced(ops))


def main():
    dump = None
    if len(sys.argv) == 3 and sys.argv[1] == "--dump":
        dump = open(sys.argv[2], "w")
    elif len(sys.argv) != 1:
        sys.exit("usage: nb201_classes.py [--dump FILE]")
    cells = list(itertools.product(range(5), repeat=6))
    structure = set()
    function = set()
    for ops in cells:
        s, f = structure_key(ops), function_key(ops)
        structure.add(s)
        function.add(f)
        if dump:
            dump.write(f"{arch_string(ops)},{arch_string(s)},{arch_string(f)}\n")
    if dump:
        dump.close()
    print(f"arch {len(cells)} structure {len(structure)} function {len(function)}")


if __name__ == "__main__":
    main()
