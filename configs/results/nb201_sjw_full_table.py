#!/usr/bin/env python3
"""Builds nb201_sjw_full.md's table from the correlation.json files of a run of
configs/nb201_sjw_full.yaml (one per ground-truth column), beside the published full-space
figures. Usage:
  nb201_sjw_full_table.py RUN_DIR > table.md
RUN_DIR/correlation.json is the first column's report, RUN_DIR/report-COLUMN/ the others'.
"""
import json
import os
import sys

COLUMNS = ["cifar10_valid_test", "cifar10_test", "cifar100_test", "imagenet16_test"]
# Published Spearman over all 15,625 cells. zc: Abdelfattah et al. (zero-cost-nas notebook,
# |rho|, C10 = cifar10-valid test, NB201 v1.0); eps: epsinas notebook (C10 ori-test, v1.1).
PUBLISHED = {
    "synflow": "zc: 0.737 / – / 0.763 / 0.751; eps: – / 0.74 / – / –",
    "jacov": "zc: 0.731 / – / 0.704 / 0.701; eps: – / 0.73 / – / –",
    # WRCor paper via third-party notes (unverified; split not stated).
    "wrcor": "paper notes: C10 0.812",
}


def load(run_dir, column, first):
    path = (os.path.join(run_dir, "correlation.json") if column == first
            else os.path.join(run_dir, "report-" + column, "correlation.json"))
    with open(path) as f:
        return json.load(f)


def main():
    run_dir = sys.argv[1]
    reports = [load(run_dir, c, COLUMNS[0]) for c in COLUMNS]
    names = [p["name"] for p in reports[0]["proxies"]]
    head = ["proxy / vote", "cells"]
    for c in COLUMNS:
        head += ["Spearman " + c, "Kendall " + c]
    head.append("published Spearman (C10 valid / C10 / C100 / IN16)")
    print("| " + " | ".join(head) + " |")
    print("|---|" + "---:|" * (len(head) - 2) + "---|")
    for i, name in enumerate(names):
        row = [name, str(reports[0]["proxies"][i]["pairs"])]
        for r in reports:
            p = r["proxies"][i]
            row += ["%+.3f" % p["spearman"], "%+.3f" % p["kendall"]]
        row.append(PUBLISHED.get(name, ""))
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
