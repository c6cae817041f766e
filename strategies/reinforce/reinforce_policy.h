// The REINFORCE policy's arithmetic, in plain doubles (no torch): softmax, the log-probability
// of an action and its gradient, Adam, and the bias-corrected moving-average baseline, as the
// WRCor reference computes them with torch (search.py, RL_NAS and ExponentialMovingAverage).
//
// Contract:
// * A policy is one categorical per decision slot; slot s has its own logits (slots may differ
//   in size). pi(a) = prod_s softmax(logits_s)[a_s].
// * update(action, reward) does what one iteration of the reference's loop does after an
//   evaluation: if the reward is NaN or infinite nothing changes (no baseline update, no Adam
//   step, the step counter stays); otherwise the baseline takes the reward first, then
//   advantage = reward - baseline, loss = -log pi(action) * advantage, and Adam takes one step
//   on the gradient of that loss. It returns whether it updated.
// * Adam is torch.optim.Adam's default algorithm (no weight decay, no amsgrad): per element
//   m <- b1 m + (1-b1) g, v <- b2 v + (1-b2) g^2, then
//   p <- p - (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps), with t counting steps.
// * The baseline keeps numerator and denominator EMAs starting at 0, so after the first update
//   it equals the first reward exactly (bias correction).
// * standard_normals() and sample() draw from a caller's uniform source in [0, 1), so a seed
//   fixes them on every platform (std distributions are not portable).
// tests/test_reinforce.cpp checks all of this against torch (tests/oracle/reinforce_oracle.py).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <vector>

namespace nas::reinforce {

using Logits = std::vector<std::vector<double>>;  // [slot][choice]

// Numerically stable softmax (the maximum is subtracted first, as torch does).
inline std::vector<double> softmax(const std::vector<double>& logits) {
  if (logits.empty()) throw std::invalid_argument("softmax of an empty slot");
  const double top = *std::max_element(logits.begin(), logits.end());
  std::vector<double> p(logits.size());
  double sum = 0.0;
  for (std::size_t c = 0; c < logits.size(); ++c) sum += p[c] = std::exp(logits[c] - top);
  for (double& x : p) x /= sum;
  return p;
}

// log pi(action) = sum_s log softmax(logits_s)[action_s].
inline double log_prob(const Logits& logits, const std::vector<int>& action) {
  if (action.size() != logits.size()) throw std::invalid_argument("action size != slot count");
  double total = 0.0;
  for (std::size_t s = 0; s < logits.size(); ++s) {
    const std::vector<double>& z = logits[s];
    const double top = *std::max_element(z.begin(), z.end());
    double sum = 0.0;
    for (double x : z) sum += std::exp(x - top);
    total += z.at(static_cast<std::size_t>(action[s])) - top - std::log(sum);
  }
  return total;
}

// d log pi(action) / d logits[s][c] = [c == action_s] - softmax(logits_s)[c].
inline Logits log_prob_gradient(const Logits& logits, const std::vector<int>& action) {
  if (action.size() != logits.size()) throw std::invalid_argument("action size != slot count");
  Logits g(logits.size());
  for (std::size_t s = 0; s < logits.size(); ++s) {
    g[s] = softmax(logits[s]);
    for (double& x : g[s]) x = -x;
    g[s].at(static_cast<std::size_t>(action[s])) += 1.0;
  }
  return g;
}

// Inverse-CDF draw: the first choice whose cumulative probability exceeds u (u in [0, 1)).
// Rounding can leave the last cumulative sum just below 1; a u beyond it takes the last choice
// with positive probability.
inline int sample_index(const std::vector<double>& probs, double u) {
  double cumulative = 0.0;
  int last_positive = 0;
  for (std::size_t c = 0; c < probs.size(); ++c) {
    if (probs[c] > 0.0) last_positive = static_cast<int>(c);
    cumulative += probs[c];
    if (u < cumulative) return static_cast<int>(c);
  }
  return last_positive;
}

// n standard normal numbers by the Box-Muller transform: each pair of uniforms (u1, u2) gives
// r = sqrt(-2 ln(1 - u1)) (1 - u1 lies in (0, 1], so the log is finite), then r cos(2 pi u2)
// and r sin(2 pi u2), in that order; an odd n drops the last sine.
template <class Uniform>
std::vector<double> standard_normals(std::size_t n, Uniform&& uniform) {
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  std::vector<double> out;
  out.reserve(n + 1);
  while (out.size() < n) {
    const double u1 = uniform();
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(1.0 - u1));
    out.push_back(r * std::cos(kTwoPi * u2));
    out.push_back(r * std::sin(kTwoPi * u2));
  }
  out.resize(n);
  return out;
}

// The reference's ExponentialMovingAverage.
class EmaBaseline {
 public:
  explicit EmaBaseline(double momentum) : momentum_(momentum) {}
  void update(double value) {
    numerator_ = momentum_ * numerator_ + (1.0 - momentum_) * value;
    denominator_ = momentum_ * denominator_ + (1.0 - momentum_);
  }
  // NaN before the first update (0 / 0), as in the reference.
  double value() const { return numerator_ / denominator_; }

 private:
  double momentum_;
  double numerator_ = 0.0;
  double denominator_ = 0.0;
};

struct AdamSettings {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
};

// torch.optim.Adam (torch 1.13, single-tensor path) over a ragged set of parameters.
class Adam {
 public:
  Adam(const Logits& shape_of, AdamSettings settings) : settings_(settings) {
    m_.resize(shape_of.size());
    v_.resize(shape_of.size());
    for (std::size_t s = 0; s < shape_of.size(); ++s) {
      m_[s].assign(shape_of[s].size(), 0.0);
      v_[s].assign(shape_of[s].size(), 0.0);
    }
  }
  // One step on `params` along the loss gradient `grad` (descent).
  void step(Logits& params, const Logits& grad) {
    ++t_;
    const double b1 = settings_.beta1, b2 = settings_.beta2;
    const double bias1 = 1.0 - std::pow(b1, static_cast<double>(t_));
    const double bias2 = 1.0 - std::pow(b2, static_cast<double>(t_));
    const double step_size = settings_.lr / bias1;
    const double bias2_sqrt = std::sqrt(bias2);
    for (std::size_t s = 0; s < params.size(); ++s) {
      for (std::size_t c = 0; c < params[s].size(); ++c) {
        const double g = grad[s][c];
        m_[s][c] = m_[s][c] * b1 + g * (1.0 - b1);
        v_[s][c] = v_[s][c] * b2 + (1.0 - b2) * g * g;
        const double denom = std::sqrt(v_[s][c]) / bias2_sqrt + settings_.eps;
        params[s][c] += -step_size * (m_[s][c] / denom);
      }
    }
  }
  long steps() const { return t_; }

 private:
  AdamSettings settings_;
  Logits m_, v_;
  long t_ = 0;
};

class Policy {
 public:
  Policy(Logits initial, AdamSettings adam, double ema_momentum)
      : logits_(std::move(initial)), adam_(logits_, adam), baseline_(ema_momentum) {}

  const Logits& logits() const { return logits_; }
  const EmaBaseline& baseline() const { return baseline_; }
  long steps() const { return adam_.steps(); }

  std::vector<std::vector<double>> probabilities() const {
    std::vector<std::vector<double>> p;
    for (const auto& z : logits_) p.push_back(softmax(z));
    return p;
  }

  // One choice per slot, slot by slot, each from one uniform.
  template <class Uniform>
  std::vector<int> sample(Uniform&& uniform) const {
    std::vector<int> action;
    for (const auto& z : logits_) action.push_back(sample_index(softmax(z), uniform()));
    return action;
  }

  bool update(const std::vector<int>& action, double reward) {
    if (!std::isfinite(reward)) return false;
    baseline_.update(reward);
    const double advantage = reward - baseline_.value();
    // loss = -log pi(a) * advantage, so d loss / d logits = -advantage * d log pi(a) / d logits.
    Logits grad = log_prob_gradient(logits_, action);
    for (auto& slot : grad) {
      for (double& x : slot) x *= -advantage;
    }
    adam_.step(logits_, grad);
    return true;
  }

 private:
  Logits logits_;
  Adam adam_;
  EmaBaseline baseline_;
};

}  // namespace nas::reinforce
