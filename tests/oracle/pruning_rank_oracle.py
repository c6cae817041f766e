#!/usr/bin/python3
"""Oracle for one TE-NAS pruning round's ranking (strategies/pruning/pruning_rank.h).

Restates, in plain Python, how VITA-Group/TENAS prune_tenas.py (prune_func_rank) turns the
changes caused by removing each candidate op into ranks and picks the ops to prune, with the
number types the reference has: a change is rounded as a Python float (the region count) or
as a numpy float64 (the NTK condition number, which np.nan_to_num made one), and the sort keys
are computed on np.mean() results, so Python's and numpy's own round() and math.log give the
values the C++ port must reproduce bit for bit.

  pruning_rank_oracle.py spec.json
spec.json:
  {"precision": 3,
   "slot_of": [s_0, s_1, ...],                 # the slot of each candidate (enumeration order)
   "quota": [q_slot0, q_slot1, ...],           # ops to prune per slot
   "proxies": [{"changes": [c_0, c_1, ...],    # raw relative changes, one per candidate
                "descending": true,            # sorted descending (a lower-better proxy)
                "numpy": true}, ...],          # the change is a numpy float64
   "probe": [x, ...]}                          # extra values for round() and round_to()
Output (stdout, JSON):
  {"ranks": [[r_0, ...], ...],   # per proxy, per candidate
   "pruned": [i, ...],           # candidates pruned, in the order they were taken
   "rounded": [round(x, precision) for x in probe],                # Python floats
   "numpy_rounded": [round(np.float64(x), precision) for x in probe],
   "significant": [round_to(np.float64(x), precision) for x in probe]}
"""
import json
import math
import sys

import numpy as np


def significant(x, precision):
    """The reference's round_to: significant figures, with its 1e-8 nudge."""
    if x == 0:
        return x
    sign = x / abs(x)
    magnitude = abs(x) + 1e-8
    power = math.floor(math.log(magnitude, 10)) + 1
    return sign * round(magnitude * 10 ** (-power), precision) * 10 ** power


def ranks_of(values, precision, descending):
    """Ranks over candidates; also returns the sorted order of candidate indices."""
    order = sorted(range(len(values)), key=lambda i: significant(values[i], precision),
                   reverse=descending)
    rank = [0] * len(values)
    for k in range(1, len(order)):
        now, before = order[k], order[k - 1]
        rank[now] = rank[before] if values[now] == values[before] else rank[before] + 1
    return order, rank


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    p = spec["precision"]
    orders, ranks = [], []
    for proxy in spec["proxies"]:
        kind = np.float64 if proxy["numpy"] else float
        # One repeat: the reference's np.mean of one rounded change.
        values = [np.mean([round(kind(c), p)]) for c in proxy["changes"]]
        order, rank = ranks_of(values, p, proxy["descending"])
        orders.append(order)
        ranks.append(rank)
    total = [sum(r[i] for r in ranks) for i in range(len(spec["slot_of"]))]
    listed = sorted(orders[0], key=lambda i: total[i])  # stable: the first proxy's order
    taken = [0] * len(spec["quota"])
    pruned = []
    for i in listed:
        s = spec["slot_of"][i]
        if taken[s] < spec["quota"][s]:
            taken[s] += 1
            pruned.append(i)
    json.dump({"ranks": ranks, "pruned": pruned,
               "rounded": [round(x, p) for x in spec["probe"]],
               "numpy_rounded": [float(round(np.float64(x), p)) for x in spec["probe"]],
               "significant": [float(significant(np.float64(x), p)) for x in spec["probe"]]},
              sys.stdout)


if __name__ == "__main__":
    main()
