#!/usr/bin/python3
"""Torch oracle for the REINFORCE policy update (strategies/reinforce/reinforce_policy.h).

Replays the WRCor reference's RL_NAS update loop (search.py) with torch itself, given the
initial logits, the actions and the rewards, so the C++ arithmetic can be checked against
torch.optim.Adam, torch.distributions.Categorical and the reference's moving average.

  reinforce_oracle.py spec.json
spec.json:
  {"logits": [[...], ...],          # initial logits, one list per decision slot
   "actions": [[a_0, a_1, ...], ...],   # one choice per slot, per step
   "rewards": [r, ...],             # one per step; "NaN", "Infinity", "-Infinity" allowed
   "lr": 0.001, "momentum": 0.9}
Output (stdout, JSON): {"steps": [{"log_prob": lp, "updated": bool, "baseline": b or null,
   "logits": [[...], ...]}, ...]}: log_prob of the step's action under the logits before the
   step, and the logits after it.

When every slot has the same number of choices the logits are one 2-D Parameter, as the
reference's NB201 policy (6x5); otherwise one Parameter per slot, as its MobileNetV2 policy.
Everything runs in float64 so that the comparison can be tight.
"""
import json
import math
import sys

import torch
from torch.distributions import Categorical


class MovingAverage:
    """Numerator and denominator EMAs from zero: the reference's bias-corrected baseline."""

    def __init__(self, momentum):
        self.momentum = momentum
        self.num = 0.0
        self.den = 0.0

    def update(self, value):
        self.num = self.momentum * self.num + (1 - self.momentum) * value
        self.den = self.momentum * self.den + (1 - self.momentum)

    def value(self):
        return self.num / self.den


def number(x):
    if isinstance(x, str):
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[x]
    return float(x)


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    logits = spec["logits"]
    square = len({len(row) for row in logits}) == 1
    if square:
        params = [torch.nn.Parameter(torch.tensor(logits, dtype=torch.float64))]
    else:
        params = [torch.nn.Parameter(torch.tensor(row, dtype=torch.float64)) for row in logits]
    optimizer = torch.optim.Adam(params, lr=float(spec["lr"]))
    baseline = MovingAverage(float(spec["momentum"]))

    steps = []
    for action, reward in zip(spec["actions"], spec["rewards"]):
        reward = number(reward)
        if square:
            m = Categorical(torch.nn.functional.softmax(params[0], dim=-1))
            log_prob = m.log_prob(torch.tensor(action))
        else:
            log_prob = torch.stack([
                Categorical(torch.nn.functional.softmax(p, dim=-1)).log_prob(torch.tensor(a))
                for p, a in zip(params, action)])
        record = {"log_prob": float(log_prob.sum()), "updated": False, "baseline": None}
        if not (math.isnan(reward) or math.isinf(reward)):
            baseline.update(reward)
            loss = (-log_prob * (reward - baseline.value())).sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            record["updated"] = True
            record["baseline"] = baseline.value()
        with torch.no_grad():
            if square:
                record["logits"] = params[0].tolist()
            else:
                record["logits"] = [p.tolist() for p in params]
        steps.append(record)
    json.dump({"torch": torch.__version__, "steps": steps}, sys.stdout)


if __name__ == "__main__":
    main()
