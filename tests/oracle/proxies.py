"""Reference-style zero-cost proxies for the oracle (each function names its reference code).

Every proxy works the way the reference harness (zero-cost-nas / ZSNAS-WRCor predictive.py)
does: it deep-copies the network it is given, optionally disables BatchNorm on the copy,
leaves the copy in train mode (BN uses batch statistics) and runs its own passes.  The
original network is never modified.  Precision follows the reference: the network runs in
float32 (synflow: float64), correlations / kernels / logdets are float64 numpy.

Ambiguities and the choices made are marked "CHOICE:".
"""
import copy
import types
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def _copy(net, bn=True):
    """Reference copynet(): deepcopy, and with bn=False make every BatchNorm an identity."""
    net = copy.deepcopy(net)
    net.train()
    if not bn:
        for m in net.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                m.forward = types.MethodType(lambda self, x: x, m)
    return net


def _is_relu(m, match="name"):
    """Which modules get ReLU hooks.
    match="name": the reference rule, 'ReLU' in str(type(m)).  NOTE: this also matches the
        ReLUConvBN wrapper of every conv op (the class name contains "ReLU"; the WRCor,
        NASWOT and NASLib NB201 models all have such a class), so the reference hooks
        every conv op twice: the wrapper's forward hook sees the same input as its ReLU,
        and its old-style backward hook sits on the BN node and sees dL/d(conv output).
    match="relu": nn.ReLU instances only (the formula as the WRCor paper writes it)."""
    if match == "name":
        return "ReLU" in str(type(m))
    if match == "relu":
        return isinstance(m, nn.ReLU)
    raise ValueError(match)


def _layers(net):
    """Conv2d and Linear modules in net.modules() order (the reference get_layer_metric_array)."""
    return [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def _corrcoef(a):
    """Row correlation in float64, NaN rows left as NaN (np.corrcoef semantics)."""
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.corrcoef(a)


def _relu_weights(net, match="name"):
    """WRCor block weights, computed the reference way: every hooked module inside
    net.cells[i] gets 2**i, every one inside net.lastact gets 2**len(net.cells)."""
    out = []
    for i, cell in enumerate(net.cells):
        for m in cell.modules():
            if _is_relu(m, match):
                out.append((m, 2 ** i))
    for m in net.lastact.modules():
        if _is_relu(m, match):
            out.append((m, 2 ** len(net.cells)))
    for m, w in out:  # consistency with the builder's own bookkeeping
        if hasattr(m, "block"):
            assert w == 2 ** m.block, (w, m.block)
    return out


# --------------------------------------------------------------------------------------
# WRCor (act_grad_cor_weighted)
# --------------------------------------------------------------------------------------
def wrcor(net, x, y, match="name"):
    """K = sum_r 2^b(r) (|corr(A_r)| + |corr(G_r)|); score = log|det K|.

    r runs over the hooked modules (see _is_relu: with the reference rule match="name" this
    is every ReLU *and* every ReLUConvBN wrapper).  A_r = input seen by r's forward hook
    (post-activation for an in-place ReLU: the lastact quirk is a property of the network
    built with head_inplace=True).  G_r = grad_input[0] of r's old-style module backward
    hook: dL/d(ReLU input) for a ReLU, dL/d(BN input) = dL/d(conv output) for a ReLUConvBN.
    corr is over rows (samples).  A term whose correlation matrix has any NaN is skipped.
    CE loss with mean reduction.  One split (split_data=1)."""
    net = _copy(net, bn=True)
    n = x.shape[0]
    K = np.zeros((n, n), dtype=np.float64)
    handles = []

    def add(t, w):
        nonlocal K
        c = _corrcoef(t.detach().reshape(t.size(0), -1).cpu().numpy())
        if not np.isnan(c).any():
            K = K + w * np.abs(c)

    for m, w in _relu_weights(net, match):
        handles.append(m.register_forward_hook(lambda mod, inp, out, w=w: add(inp[0], w)))
        handles.append(m.register_backward_hook(lambda mod, gin, gout, w=w: add(gin[0], w)))
    net.zero_grad()
    with warnings.catch_warnings():
        # torch warns that an old-style hook on a multi-node forward (ReLUConvBN, in-place
        # ReLU) "will be missing some grad_input"; grad_input[0] is what the reference reads.
        warnings.simplefilter("ignore", UserWarning)
        out = net(x)
        F.cross_entropy(out, y).backward()
    for h in handles:
        h.remove()
    return float(np.linalg.slogdet(K)[1])


# --------------------------------------------------------------------------------------
# SynFlow
# --------------------------------------------------------------------------------------
def synflow(net, x=None, y=None):
    """BN removed (identity), |.| of every state_dict tensor, net.double(), input = ones of
    batch 1 (shape from x, or 3x32x32), R = sum(f(1)), backward,
    score = sum over Conv/Linear weights of |W * dR/dW|, accumulated in float64."""
    net = _copy(net, bn=False)
    with torch.no_grad():
        for t in net.state_dict().values():
            t.abs_()
    net.zero_grad()
    net.double()
    shape = list(x.shape[1:]) if x is not None else [3, 32, 32]
    out = net(torch.ones([1] + shape, dtype=torch.float64))
    torch.sum(out).backward()
    total = torch.zeros((), dtype=torch.float64)
    for layer in _layers(net):
        if layer.weight.grad is not None:
            total = total + torch.sum(torch.abs(layer.weight * layer.weight.grad))
    return total.item()


# --------------------------------------------------------------------------------------
# Jacobian covariance (jacob_cov / jacob_cor, NASWOT v1)
# --------------------------------------------------------------------------------------
def jacov(net, x, y=None):
    """J = d(sum of outputs)/dx per sample (N, 3*32*32); C = corrcoef(J) (float64);
    v = eigenvalues (np.linalg.eig, as the reference); score = -sum(log(v+1e-5) + 1/(v+1e-5)).
    NaN (e.g. a NaN in C, or v < -1e-5) -> NaN, as in the reference."""
    net = _copy(net, bn=True)
    net.zero_grad()
    # CHOICE: the reference sets requires_grad on the shared input tensor itself; a fresh
    # leaf gives the same gradient without side effects on later proxies.
    xg = x.detach().clone().requires_grad_(True)
    out = net(xg)
    out.backward(torch.ones_like(out))
    j = xg.grad.detach().reshape(xg.size(0), -1).cpu().numpy()
    try:
        c = _corrcoef(j)
        v = np.linalg.eig(c)[0]
        # CHOICE: eig of a symmetric matrix is real in practice; if LAPACK returns a complex
        # pair anyway, keep the real part (the reference would return a complex score).
        v = np.real(v)
        k = 1e-5
        with np.errstate(invalid="ignore", divide="ignore"):
            return float(-np.sum(np.log(v + k) + 1.0 / (v + k)))
    except np.linalg.LinAlgError:
        return float("nan")


# --------------------------------------------------------------------------------------
# NASWOT (v2, ICML 2021)
# --------------------------------------------------------------------------------------
def nwot(net, x, y=None, match="name"):
    """Hooks on the input of every module whose type name has 'ReLU' (match="name": ReLUs and
    the ReLUConvBN wrappers, so each conv op's input code is counted twice, as in NASWOT's
    own NB201 models; match="relu": nn.ReLU only); c = 1[x > 0];
    K += c c^T + (1-c)(1-c)^T (float64); score = log|det K|.
    CHOICE: one forward without the Jacobian pass (NASLib style); NASWOT's own script fills K
    in a second forward after a backward, which gives the same K for the same batch.  The
    lastact in-place quirk does not matter here (x > 0 <=> relu(x) > 0)."""
    net = _copy(net, bn=True)
    n = x.shape[0]
    K = np.zeros((n, n), dtype=np.float64)

    def hook(mod, inp, out):
        nonlocal K
        c = (inp[0].detach().reshape(n, -1) > 0).double()
        # integer-valued counts, exact in float64 (and in the reference's float32: D < 2^24)
        K = K + (c @ c.t()).numpy() + ((1.0 - c) @ (1.0 - c).t()).numpy()

    handles = [m.register_forward_hook(hook) for m in net.modules() if _is_relu(m, match)]
    with torch.no_grad():
        net(x)
    for h in handles:
        h.remove()
    return float(np.linalg.slogdet(K)[1])


# --------------------------------------------------------------------------------------
# SNIP
# --------------------------------------------------------------------------------------
def snip(net, x, y):
    """sum over Conv/Linear weights of |dL/dmask| with mask = 1, i.e. |W * dL/dW| (the mask
    gradient is dL/dW_eff * W and W_eff = W*1 = W exactly, so no mask module is needed).
    CE loss (mean), train mode BN.
    Precision: like the reference sum_arr(), each layer is summed in float32 and the layer sums
    are accumulated in float32 (a float64 re-implementation differs by ~1e-7 relative)."""
    net = _copy(net, bn=True)
    net.zero_grad()
    F.cross_entropy(net(x), y).backward()
    total = torch.zeros((), dtype=torch.float32)
    for layer in _layers(net):
        if layer.weight.grad is not None:
            total = total + torch.sum(torch.abs(layer.weight.grad * layer.weight))
    return total.item()


# --------------------------------------------------------------------------------------
# epsinas
# --------------------------------------------------------------------------------------
EPSILON_WEIGHTS = (1e-7, 1.0)  # the NB201 values in epsinas NAS-Bench-201/Reproduce.ipynb


def epsilon(net, x, y=None, weights=EPSILON_WEIGHTS, bn_mode="batch"):
    """Two no-grad forwards, each with every module's `weight` (Conv, Linear and BN gamma) set
    to the constant w and every bias (Linear bias, BN beta) to 0.  p_j = flattened logits,
    min-max scaled; exact zeros -> NaN; score = nanmean|p1 - p2| / nanmean([p1, p2]).

    bn_mode:
      "batch" (default) -- BN normalises with batch statistics.  CHOICE: this is what the
          NB201 epsinas code does (its TinyNetwork builds every BN with
          track_running_stats=False and never calls eval(), NAS-Bench-201/epsinas_utils.py).
      "eval" -- BN in eval mode with the fresh running stats (mean 0, var 1): what the
          NB101 epsinas code does (network.eval(), NAS-Bench-101/epsinas_utils.py).  With
          w = 1e-7 the signal is multiplied by ~1e-7 per conv+BN, so for most NB201 cells the
          logits underflow to a constant and the score is NaN.

    CHOICE: the logits are min-max scaled in float64 (the reference does it in float32
    numpy); the difference is ~1e-7 relative.  CHOICE: the reference NB201 net has a
    1-output head; with a constant Linear weight all K logits of a sample are equal, so the
    min, max and the two nanmeans are the same for any num_classes (up to rounding)."""
    preds = []
    for w in weights:
        m = _copy(net, bn=True)
        with torch.no_grad():
            for mod in m.modules():
                if getattr(mod, "bias", None) is not None:
                    nn.init.constant_(mod.bias, 0.0)
                if getattr(mod, "weight", None) is not None and getattr(mod, "affine", True):
                    nn.init.constant_(mod.weight, w)
            if bn_mode == "eval":
                m.eval()
            elif bn_mode != "batch":
                raise ValueError(bn_mode)
            p = m(x).detach().cpu().numpy().astype(np.float64).ravel()
        with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN logits -> NaN score
            preds.append((p - np.nanmin(p)) / (np.nanmax(p) - np.nanmin(p)))
    preds = np.array(preds)
    preds[preds == 0.0] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.nanmean(np.abs(preds[0] - preds[1])) / np.nanmean(preds))


PROXIES = {
    "wrcor": wrcor,
    "synflow": synflow,
    "jacov": jacov,
    "nwot": nwot,
    "snip": snip,
    "epsilon": epsilon,
}
