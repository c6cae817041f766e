#!/usr/bin/env python3
"""The NAS-Bench-201 search benchmark: RE-SJW, random search (given each seed the budget RE-SJW
spent), REINFORCE and TE-NAS pruning, 5 seeds each, then a Markdown table of the found cells'
test accuracies (mean +- std over the seeds), the distinct networks each search computed and its
wall time, beside the published anchors.

  search_nb201.py run   [--nas build/bin/nas] [--seeds 0 1 2 3 4] [--only re,random,...]
                        [--reuse configs/results/nb201_sjw_full] [--runs runs/search-nb201]
  search_nb201.py table [--runs runs/search-nb201] > configs/results/search_nb201.md
  search_nb201.py seeds [--runs runs/search-nb201] > configs/results/search_nb201_seeds.csv

Each search is an ordinary `nas run` of configs/{re,random,reinforce}_sjw_nb201.yaml or
configs/te_nas_nb201.yaml with the seed and out_dir overridden, so a killed benchmark resumes
where it stopped (finished searches are skipped; a cut one resumes from its scores). With
--reuse the three SJW searches answer from a whole-space scores table instead of computing
(the same scores: a class's score depends only on its key and the run seed); their wall times
then measure the search alone, not the scoring. The table holds the scores of one run seed
(configs/nb201_sjw_full.yaml: seed 0), so with --reuse the seeds vary `strategy.seed` (the
search's own random choices) over run seed 0; without it they vary `run.seed` (the networks'
initialisation too), and every search scores live.
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.dirname(HERE)
COLUMNS = ["cifar10_test", "cifar100_test", "imagenet16_test"]
SEARCHES = {
    "re": ("RE-SJW (1,000 cycles)", "re_sjw_nb201.yaml"),
    "random": ("random, RE-SJW's budget", "random_sjw_nb201.yaml"),
    "reinforce": ("REINFORCE (100 + 1,000)", "reinforce_sjw_nb201.yaml"),
    "pruning": ("TE-NAS pruning", "te_nas_nb201.yaml"),
}
# Published NB201 anchors (CIFAR-10 test = ori-test): TE-NAS and NASWOT used NB201 v1.0, REA and
# REINFORCE are NB201's trained baselines, epsinas and the oracle rows are v1.1 (as this table).
ANCHORS = [
    ("TE-NAS (Chen et al., ICLR 2021)", "93.9 +- 0.47", "71.24 +- 0.56", "42.38 +- 0.46"),
    ("REA with training (NB201 baseline)", "93.92 +- 0.30", "71.84 +- 0.99", "45.54 +- 1.03"),
    ("REINFORCE with training (NB201 baseline)", "93.85 +- 0.37", "71.71 +- 1.09",
     "45.24 +- 1.18"),
    ("NASWOT N=1000", "92.96 +- 0.81", "69.98 +- 1.22", "44.44 +- 2.10"),
    ("epsinas + random N=1000", "93.86", "", ""),
    ("oracle: expected best of 1,000 random cells", "94.21", "72.84", "46.64"),
    ("optimum of the table", "94.37", "73.51", "47.31"),
]


def result_path(runs, key, seed):
    return os.path.join(runs, key, "seed-%d" % seed, "search_result.json")


def run_one(args, key, seed, budget=None):
    if os.path.exists(result_path(args.runs, key, seed)):
        return
    out = os.path.dirname(result_path(args.runs, key, seed))
    reuse = args.reuse and key != "pruning"
    seeds = ["run.seed=0", "strategy.seed=%d" % seed] if reuse else ["run.seed=%d" % seed]
    cmd = [args.nas, "-q", "run", os.path.join(CONFIGS, SEARCHES[key][1])] + seeds + [
           "run.out_dir=%s" % os.path.abspath(out),
           "ground_truth.benchmark=nb201", "ground_truth.column=[%s]" % ",".join(COLUMNS)]
    if budget is not None:
        cmd.append("strategy.budget=%d" % budget)
    if reuse:
        cmd.append("run.reuse_scores=[%s]" % os.path.abspath(args.reuse))
    print(" ".join(cmd), file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True)


def run(args):
    for seed in args.seeds:
        for key in args.only:
            budget = None
            if key == "random":
                with open(result_path(args.runs, "re", seed)) as f:
                    budget = json.load(f)["evaluated"]
            run_one(args, key, seed, budget)


def mean_std(xs):
    if not xs:
        return ""
    m = sum(xs) / len(xs)
    s = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else 0.0
    return "%.2f +- %.2f" % (m, s)


def table(args):
    print("| search | seeds | " + " | ".join(COLUMNS) +
          " | distinct architectures | networks computed | wall seconds |")
    print("|---|---:|" + "---:|" * (len(COLUMNS) + 3))
    for key, (label, _) in SEARCHES.items():
        rows = []
        for seed in args.seeds:
            p = result_path(args.runs, key, seed)
            if os.path.exists(p):
                with open(p) as f:
                    rows.append(json.load(f))
        if not rows:
            continue
        cells = [mean_std([r["ground_truth"][c]["value"] for r in rows if r["ground_truth"][c]])
                 for c in COLUMNS]
        cells.append(mean_std([float(r["evaluated"]) for r in rows]))
        cells.append(mean_std([float(r["networks_computed"]) for r in rows]))
        cells.append(mean_std([float(r["seconds"]) for r in rows]))
        print("| %s | %d | %s |" % (label, len(rows), " | ".join(cells)))
    for name, *values in ANCHORS:
        print("| %s | | %s | | | |" % (name, " | ".join(values)))


def seeds(args):
    """One CSV row per finished search: the found cell, its accuracy and rank per column."""
    out = csv.writer(sys.stdout, lineterminator="\n")
    head = ["search", "seed", "best_arch"]
    for c in COLUMNS:
        head += [c, c + "_rank"]
    out.writerow(head + ["evaluated", "networks_computed", "seconds"])
    for key in SEARCHES:
        for seed in args.seeds:
            p = result_path(args.runs, key, seed)
            if not os.path.exists(p):
                continue
            with open(p) as f:
                r = json.load(f)
            row = [key, seed, r["best_arch"]]
            for c in COLUMNS:
                g = r["ground_truth"].get(c) or {}
                row += [g.get("value", ""), g.get("rank", "")]
            out.writerow(row + [r["evaluated"], r["networks_computed"], "%.1f" % r["seconds"]])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["run", "table", "seeds"])
    ap.add_argument("--nas", default="build/bin/nas")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--only", default="re,random,reinforce,pruning")
    ap.add_argument("--reuse", default="")
    ap.add_argument("--runs", default="runs/search-nb201")
    args = ap.parse_args()
    args.only = [k for k in args.only.split(",") if k]
    for k in args.only:
        if k not in SEARCHES:
            ap.error("--only: unknown search '%s' (valid: %s)" % (k, ", ".join(SEARCHES)))
    {"run": run, "table": table, "seeds": seeds}[args.what](args)


if __name__ == "__main__":
    main()
