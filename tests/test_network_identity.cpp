// Architectures that are one network (nas/network_identity.h): NAS-Bench-201's structure and
// function classes, checked by hand and against an independent Python count of all 15,625
// cells; every bundled proxy's declared level, checked against networks whose dead ops were
// removed under the same weights; and the caching evaluator scoring one network per class.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "caching_evaluator.h"
#include "nas/dataset.h"
#include "nas/error.h"
#include "nas/evaluation_job.h"
#include "nas/network.h"
#include "nas/network_identity.h"
#include "nas/plugin_loader.h"
#include "nas/probe_engine.h"
#include "nas/proxy.h"
#include "nas/registry.h"
#include "nas/search_space.h"
#include "nas/seed.h"
#include "test_support.h"

namespace {

using nas::NetworkIdentity;

std::shared_ptr<nas::SearchSpace> nb201() {
  static std::shared_ptr<nas::SearchSpace> space = [] {
    nas::load_plugins();
    const auto& c = nas::Registry::global().spaces.get("nb201");
    return c.create(nas::Params::defaults(c.schema, "nb201"));
  }();
  return space;
}

std::string key(const std::string& arch, NetworkIdentity level) {
  return nb201()->network_key(nb201()->parse(arch), level);
}
std::string rep(const std::string& arch, NetworkIdentity level) {
  return nb201()->representative(nb201()->parse(arch), level).str();
}

// Every cell, edge 1<-0 slowest (the order the oracle writes).
std::vector<nas::Arch> all_cells() {
  std::vector<nas::Arch> out;
  std::vector<int> ops(6, 0);
  for (int i = 0; i < 15625; ++i) {
    int x = i;
    for (int e = 5; e >= 0; --e) {
      ops[e] = x % 5;
      x /= 5;
    }
    out.push_back(nb201()->decode(ops));
  }
  return out;
}

// ------------------------------------------------------------------------------------------
// NAS-Bench-201 classes by hand

TEST(Nb201Identity, SwappingNodesOneAndTwoIsOneStructureWhenEdgeTwoFromOneIsNone) {
  // Ops 1<-0 and 2<-0 trade places, and so do 3<-1 and 3<-2.
  const std::string a =
      "|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|avg_pool_3x3~1|nor_conv_3x3~2|";
  const std::string b =
      "|nor_conv_1x1~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|nor_conv_3x3~1|avg_pool_3x3~2|";
  EXPECT_NE(key(a, NetworkIdentity::kArch), key(b, NetworkIdentity::kArch));
  EXPECT_EQ(key(a, NetworkIdentity::kArch), a);
  EXPECT_EQ(key(a, NetworkIdentity::kStructure), key(b, NetworkIdentity::kStructure));
  EXPECT_EQ(key(a, NetworkIdentity::kFunction), key(b, NetworkIdentity::kFunction));
  // b's ops (2, 3, 0, 1, 3, 4) come before a's (3, 2, 0, 1, 4, 3): b represents both.
  EXPECT_EQ(rep(a, NetworkIdentity::kStructure), b);
  EXPECT_EQ(rep(b, NetworkIdentity::kStructure), b);
  EXPECT_EQ(rep(a, NetworkIdentity::kArch), a);
}

TEST(Nb201Identity, NoSwapWhenNodeTwoReadsNodeOne) {
  // The same pair with skip_connect on 2<-1: node 2 depends on node 1, nothing is dead.
  const std::string c =
      "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|skip_connect~0|avg_pool_3x3~1|"
      "nor_conv_3x3~2|";
  const std::string d =
      "|nor_conv_1x1~0|+|nor_conv_3x3~0|skip_connect~1|+|skip_connect~0|nor_conv_3x3~1|"
      "avg_pool_3x3~2|";
  for (auto level : {NetworkIdentity::kStructure, NetworkIdentity::kFunction}) {
    EXPECT_NE(key(c, level), key(d, level)) << nas::to_string(level);
    EXPECT_EQ(rep(c, level), c);
    EXPECT_EQ(rep(d, level), d);
  }
}

TEST(Nb201Identity, OpsThatCannotReachTheOutputAreDeadAtFunctionLevel) {
  // Node 1 = conv(x0) feeds only none edges, so the conv on 1<-0 reaches nothing; node 2 has
  // only none inputs, so it is zero and the skip 3<-2 forwards zeros. Left: the 1x1 conv 3<-0.
  const std::string x =
      "|nor_conv_3x3~0|+|none~0|none~1|+|nor_conv_1x1~0|none~1|skip_connect~2|";
  const std::string y = "|none~0|+|none~0|none~1|+|nor_conv_1x1~0|none~1|none~2|";
  EXPECT_EQ(key(x, NetworkIdentity::kFunction), key(y, NetworkIdentity::kFunction));
  EXPECT_EQ(rep(x, NetworkIdentity::kFunction), y);
  EXPECT_NE(key(x, NetworkIdentity::kStructure), key(y, NetworkIdentity::kStructure));
  // Replacing the dead conv alone keeps the function too.
  const std::string x2 = "|none~0|+|none~0|none~1|+|nor_conv_1x1~0|none~1|skip_connect~2|";
  EXPECT_EQ(key(x2, NetworkIdentity::kFunction), key(x, NetworkIdentity::kFunction));
}

TEST(Nb201Identity, AConvOnAZeroNodeStaysLiveAPoolDoesNot) {
  // Node 1 is zero (1<-0 none). The pool 2<-1 forwards zeros: dead. The 1x1 conv 3<-1 outputs
  // BatchNorm's beta: live, so dropping it changes the function class.
  const std::string z =
      "|none~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|";
  const std::string without_pool =
      "|none~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|";
  const std::string without_conv =
      "|none~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|";
  EXPECT_EQ(key(z, NetworkIdentity::kFunction), key(without_pool, NetworkIdentity::kFunction));
  EXPECT_NE(key(z, NetworkIdentity::kFunction), key(without_conv, NetworkIdentity::kFunction));
  // Without the pool, 2<-1 is none and the swap applies: (0,3,0,1,2,3) < (3,0,0,1,3,2).
  EXPECT_EQ(rep(z, NetworkIdentity::kFunction), without_pool);
}

TEST(Nb201Identity, SupernetsAndOtherSpacesAreRefusedOrAlone) {
  std::vector<std::vector<bool>> alive(6, std::vector<bool>(5, true));
  const nas::Arch net = nas::supernet_arch(*nb201(), alive);
  EXPECT_EQ(nb201()->network_key(net, NetworkIdentity::kFunction), net.str());
  EXPECT_EQ(nb201()->representative(net, NetworkIdentity::kFunction), net);
  EXPECT_THROW(nb201()->network_key(nas::Arch("other", "x"), NetworkIdentity::kStructure),
               nas::Error);
  EXPECT_THROW(nb201()->network_key(nas::Arch("nb201", "|bad|"), NetworkIdentity::kStructure),
               nas::Error);
}

TEST(Nb201Identity, RepresentativesAreMembersAndLevelsNest) {
  std::map<std::string, std::string> function_of_structure;
  for (const nas::Arch& a : all_cells()) {
    for (auto level : {NetworkIdentity::kStructure, NetworkIdentity::kFunction}) {
      const nas::Arch r = nb201()->representative(a, level);
      ASSERT_EQ(nb201()->network_key(r, level), nb201()->network_key(a, level)) << a.str();
      ASSERT_EQ(nb201()->representative(r, level), r) << a.str();
    }
    // One structure class lies inside one function class.
    auto [it, added] = function_of_structure.emplace(
        nb201()->network_key(a, NetworkIdentity::kStructure),
        nb201()->network_key(a, NetworkIdentity::kFunction));
    ASSERT_EQ(it->second, nb201()->network_key(a, NetworkIdentity::kFunction)) << a.str();
  }
}

// The counts: 5^6 cells. Structure: the swap is a relabelling for the 5^5 cells with 2<-1
// none; it fixes the 5^3 with equal ops on 1<-0 / 2<-0 and on 3<-1 / 3<-2 and pairs the
// rest, so 15,625 - (3,125 - 125) / 2 = 14,125. Function: the Python oracle's count, whose
// keys must also match the space's cell for cell.
TEST(Nb201Identity, ClassCountsAndKeysMatchThePythonOracle) {
  std::set<std::string> structure, function;
  std::map<std::string, std::pair<std::string, std::string>> mine;
  for (const nas::Arch& a : all_cells()) {
    const std::string s = nb201()->network_key(a, NetworkIdentity::kStructure);
    const std::string f = nb201()->network_key(a, NetworkIdentity::kFunction);
    structure.insert(s);
    function.insert(f);
    mine[a.str()] = {s, f};
  }
  EXPECT_EQ(mine.size(), 15625u);
  EXPECT_EQ(structure.size(), 14125u);
  EXPECT_EQ(function.size(), 9550u);

  nas::test::TempDir t;
  const std::string dump = t.file("classes.csv");
  const auto r = nas::test::run_command("/usr/bin/python3 '" + nas::test::source_dir() +
                                        "/tests/oracle/nb201_classes.py' --dump '" + dump + "'");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, "arch 15625 structure 14125 function 9550\n");
  std::istringstream in(nas::test::read_file(dump));
  std::string line;
  std::size_t lines = 0, differ = 0;
  while (std::getline(in, line)) {
    ++lines;
    std::vector<std::string> f;
    std::stringstream fields(line);
    for (std::string x; std::getline(fields, x, ',');) f.push_back(x);
    ASSERT_EQ(f.size(), 3u) << line;
    auto it = mine.find(f[0]);
    ASSERT_NE(it, mine.end()) << f[0];
    if (it->second != std::make_pair(f[1], f[2])) {
      if (++differ <= 5) {
        ADD_FAILURE() << f[0] << ": space " << it->second.first << " / " << it->second.second
                      << ", oracle " << f[1] << " / " << f[2];
      }
    }
  }
  EXPECT_EQ(lines, 15625u);
  EXPECT_EQ(differ, 0u);
}

// ------------------------------------------------------------------------------------------
// Declared levels, checked on networks: a proxy that declares kFunction must score a cell and
// the cell with its dead ops removed alike when the live ops have the same weights. The
// "reduced" space builds the reduced cell and copies every parameter and buffer in from the
// full cell's network built under the same seed (module names do not depend on other edges),
// so the engine sees the full cell's string, seeds and batch, and only the dead ops are gone.

class ReducedSpace : public nas::SearchSpace {
 public:
  ReducedSpace(std::shared_ptr<nas::SearchSpace> inner, std::string full, std::string reduced)
      : inner_(std::move(inner)), full_(std::move(full)), reduced_(std::move(reduced)) {}
  std::string name() const override { return inner_->name(); }
  nas::Arch parse(const std::string& t) const override { return inner_->parse(t); }
  nas::Arch sample(nas::Rng& r) const override { return inner_->sample(r); }
  nas::Arch mutate(const nas::Arch& a, nas::Rng& r) const override { return inner_->mutate(a, r); }
  std::vector<nas::Decision> decisions() const override { return inner_->decisions(); }
  std::vector<int> encode(const nas::Arch& a) const override { return inner_->encode(a); }
  nas::Arch decode(const std::vector<int>& c) const override { return inner_->decode(c); }
  std::int64_t params(const nas::Arch& a, const nas::NetSpec& s) const override {
    return inner_->params(a, s);
  }
  std::int64_t flops(const nas::Arch& a, const nas::NetSpec& s) const override {
    return inner_->flops(a, s);
  }
  std::shared_ptr<nas::Network> build(const nas::Arch& arch,
                                      const nas::NetSpec& spec) const override {
    if (arch.str() != full_) return inner_->build(arch, spec);
    // The caller seeded torch for `arch`: the full network draws exactly its own weights.
    std::shared_ptr<nas::Network> full = inner_->build(arch, spec);
    std::shared_ptr<nas::Network> reduced = inner_->build(inner_->parse(reduced_), spec);
    at::NoGradGuard no_grad;
    auto from_params = full->named_parameters();
    for (auto& p : reduced->named_parameters()) p.value().copy_(from_params[p.key()]);
    auto from_buffers = full->named_buffers();
    for (auto& b : reduced->named_buffers()) b.value().copy_(from_buffers[b.key()]);
    return reduced;
  }

 private:
  std::shared_ptr<nas::SearchSpace> inner_;
  std::string full_, reduced_;
};

nas::ProxySlot slot_of(const std::string& name) {
  const auto& c = nas::Registry::global().proxies.get(name);
  nas::ProxySlot s;
  s.name = name;
  s.proxy = c.create(nas::Params::defaults(c.schema, name));
  s.info = s.proxy->info();
  return s;
}

std::map<std::string, nas::ScoreRecord> score_all(std::shared_ptr<nas::SearchSpace> space,
                                                  const std::vector<std::string>& proxies,
                                                  const std::string& arch) {
  const auto& dc = nas::Registry::global().datasets.get("synthetic");
  std::shared_ptr<nas::Dataset> data = dc.create(nas::Params::defaults(dc.schema, "synthetic"));
  std::vector<nas::ProxySlot> slots;
  for (const auto& p : proxies) slots.push_back(slot_of(p));
  nas::ProbeOptions options;
  options.seed = 77;
  options.batch_size = 16;
  nas::ProbeEngine engine(space, data, slots, options);
  std::map<std::string, nas::ScoreRecord> out;
  for (const auto& r : engine.evaluate_one(space->parse(arch)).scores) out[r.proxy] = r;
  return out;
}

TEST(ProxyIdentity, FunctionLevelProxiesIgnoreDeadOpsStructureLevelOnesDoNot) {
  nb201();
  // Proxies that re-draw their weights (zen, ntk_cond, swap, linear_regions) draw a different
  // stream for a network with fewer layers, so this check cannot apply to them.
  const std::vector<std::string> function = {"synflow",   "jacov", "snip",    "grad_norm",
                                             "plain",     "grasp", "fisher",  "zico",
                                             "epsilon",   "sensitivity"};
  const std::vector<std::string> structure = {"nwot", "wrcor", "l2_norm"};
  for (const auto& p : function)
    EXPECT_EQ(slot_of(p).info.identity, NetworkIdentity::kFunction) << p;
  for (const auto& p : structure)
    EXPECT_EQ(slot_of(p).info.identity, NetworkIdentity::kStructure) << p;
  std::vector<std::string> names = function;
  names.insert(names.end(), structure.begin(), structure.end());

  // (full, reduced): the first has a conv that reaches nothing (1<-0) and a skip of the zero
  // node 2 (3<-2); in the second node 2 feeds only a none edge, so its two convs are dead.
  const std::vector<std::pair<std::string, std::string>> cells = {
      {"|nor_conv_3x3~0|+|none~0|none~1|+|nor_conv_1x1~0|none~1|skip_connect~2|",
       "|none~0|+|none~0|none~1|+|nor_conv_1x1~0|none~1|none~2|"},
      {"|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|nor_conv_3x3~1|none~2|",
       "|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|nor_conv_3x3~1|none~2|"}};
  std::map<std::string, int> finite;
  for (const auto& [full, reduced] : cells) {
    // `reduced` is full minus its dead ops, unrelabelled (so module names match): a member of
    // full's function class, not necessarily its representative.
    ASSERT_EQ(key(full, NetworkIdentity::kFunction), key(reduced, NetworkIdentity::kFunction));
    const auto plain = score_all(nb201(), names, full);
    const auto cut =
        score_all(std::make_shared<ReducedSpace>(nb201(), full, reduced), names, full);
    for (const auto& p : function) {
      const nas::ScoreRecord& a = plain.at(p);
      const nas::ScoreRecord& b = cut.at(p);
      // Equal, or the same non-finite status (epsilon's logits are constant on the first
      // cell's single live conv at weight 1e-7: NaN, as in the reference, both times).
      ASSERT_EQ(a.status, b.status) << p << " on " << full << ": " << a.message << b.message;
      if (a.status != nas::ScoreStatus::kOk) continue;
      ++finite[p];
      EXPECT_LE(std::abs(a.score - b.score), 1e-12 * std::max(1.0, std::abs(a.score)))
          << p << " on " << full << ": " << a.score << " vs " << b.score;
    }
    // These read the dead convs' taps or weights: removing them changes their score.
    for (const auto& p : structure) {
      EXPECT_EQ(plain.at(p).status, nas::ScoreStatus::kOk) << p;
      EXPECT_NE(plain.at(p).score, cut.at(p).score) << p << " on " << full;
    }
  }
  for (const auto& p : function) EXPECT_GE(finite[p], 1) << p << " was never compared";
}

TEST(ProxyIdentity, EveryBundledProxyDeclaresALevelAndWrcorByLayerSharesNothing) {
  nb201();
  const std::map<std::string, NetworkIdentity> expected = {
      {"synflow", NetworkIdentity::kFunction},      {"jacov", NetworkIdentity::kFunction},
      {"snip", NetworkIdentity::kFunction},         {"grad_norm", NetworkIdentity::kFunction},
      {"plain", NetworkIdentity::kFunction},        {"grasp", NetworkIdentity::kFunction},
      {"fisher", NetworkIdentity::kFunction},       {"zico", NetworkIdentity::kFunction},
      {"ntk_cond", NetworkIdentity::kFunction},     {"epsilon", NetworkIdentity::kFunction},
      {"sensitivity", NetworkIdentity::kFunction},  {"wrcor", NetworkIdentity::kStructure},
      {"nwot", NetworkIdentity::kStructure},        {"swap", NetworkIdentity::kStructure},
      {"reg_swap", NetworkIdentity::kStructure},    {"linear_regions", NetworkIdentity::kStructure},
      {"zen", NetworkIdentity::kStructure},         {"l2_norm", NetworkIdentity::kStructure},
      {"pnorm", NetworkIdentity::kStructure},       {"params", NetworkIdentity::kStructure},
      {"flops", NetworkIdentity::kStructure}};
  for (const auto& name : nas::Registry::global().proxies.names()) {
    auto it = expected.find(name);
    ASSERT_NE(it, expected.end()) << "bundled proxy '" << name << "' has no expected level here";
    EXPECT_EQ(slot_of(name).info.identity, it->second) << name;
  }
  const auto& c = nas::Registry::global().proxies.get("wrcor");
  nas::Params p = nas::Params::defaults(c.schema, "wrcor");
  p.set("weighting", std::string("layer"));
  EXPECT_EQ(c.create(p)->info().identity, NetworkIdentity::kArch);
}

// ------------------------------------------------------------------------------------------
// The caching evaluator: one computation per (class, proxy)

// A backend that records what it was asked and scores an architecture by its string, so a
// record shows which architecture was actually computed.
class CountingBackend : public nas::Evaluator {
 public:
  explicit CountingBackend(std::vector<std::string>* log) : log_(log) {}
  std::vector<std::string> proxy_names() const override { return {"f", "s", "a"}; }
  using nas::Evaluator::evaluate;
  std::vector<nas::Evaluation> evaluate_subset(const std::vector<nas::Arch>& archs,
                                               const std::vector<std::size_t>& proxies) override {
    std::vector<nas::Evaluation> out;
    for (const auto& a : archs) {
      nas::Evaluation e;
      e.arch = a;
      std::string asked;
      for (std::size_t p : proxies) {
        nas::ScoreRecord r;
        r.proxy = proxy_names()[p];
        r.version = "1";
        r.score = static_cast<double>(std::hash<std::string>()(a.str()) % 100000);
        r.seed = nas::derive_seed(1, r.proxy, a.str());
        e.scores.push_back(r);
        asked += r.proxy;
      }
      log_->push_back(a.str() + " " + asked);
      notify(e);
      out.push_back(e);
    }
    return out;
  }

 private:
  std::vector<std::string>* log_;
};

std::unique_ptr<nas::detail::CachingEvaluator> caching(std::vector<std::string>* log,
                                                        nas::detail::ScoresWriter* writer) {
  nas::detail::CachingEvaluator::Sharing sharing;
  sharing.space = nb201();
  sharing.levels = {{"f", NetworkIdentity::kFunction}, {"s", NetworkIdentity::kStructure}};
  return std::make_unique<nas::detail::CachingEvaluator>(
      std::make_unique<CountingBackend>(log),
      std::map<std::string, std::string>{{"f", "hf"}, {"s", "hs"}, {"a", "ha"}}, writer,
      sharing);
}

// Three members of one function class, each the representative of its structure class:
// x (the conv 2<-0 reaches nothing, the skip 3<-1 forwards the zero node 1), y (x reduced,
// the function class's representative) and w (x with only the skip dropped).
const std::string kX = "|none~0|+|nor_conv_3x3~0|none~1|+|nor_conv_1x1~0|skip_connect~1|none~2|";
const std::string kY = "|none~0|+|none~0|none~1|+|nor_conv_1x1~0|none~1|none~2|";
const std::string kW = "|none~0|+|nor_conv_3x3~0|none~1|+|nor_conv_1x1~0|none~1|none~2|";

TEST(CachingSharing, MembersOfOneBatchShareOneComputationAtTheirProxysLevel) {
  std::vector<std::string> log;
  auto ev = caching(&log, nullptr);
  const auto out = ev->evaluate({nb201()->parse(kX), nb201()->parse(kW), nb201()->parse(kX)});
  // f (function) is computed once, on y; s (structure) once per structure class, a (arch)
  // once per architecture: x's s and a are one job on x's network, and so are w's.
  const std::vector<std::string> expected = {kY + " f", kX + " sa", kW + " sa"};
  std::multiset<std::string> got(log.begin(), log.end());
  EXPECT_EQ(got, std::multiset<std::string>(expected.begin(), expected.end()));
  EXPECT_EQ(ev->networks_computed(), 3u);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].scores[0].score, out[1].scores[0].score);
  EXPECT_EQ(out[0].scores[0].seed, nas::derive_seed(1, "f", kY));  // y's own seed
  EXPECT_NE(out[0].scores[1].score, out[1].scores[1].score);
  EXPECT_EQ(ev->shared(), 2u);  // f of x and of w came from y
}

TEST(CachingSharing, LaterMembersAndResumedRowsAnswerTheirClass) {
  nas::test::TempDir t;
  std::vector<std::string> log;
  double f_of_x = 0;
  {
    nas::detail::ScoresWriter writer(t.file("scores.csv"));
    auto ev = caching(&log, &writer);
    f_of_x = ev->evaluate({nb201()->parse(kX)})[0].scores[0].score;
    log.clear();
    // w and y: f is known from x's class; y's s and a and w's s and a are not.
    ev->evaluate({nb201()->parse(kW)});
    EXPECT_EQ(log, std::vector<std::string>{kW + " sa"});
  }
  // A new evaluator resumed from the file: y's function class is answered from x's and w's
  // rows, so y is computed for s and a only.
  const auto rows = nas::detail::read_scores_file(t.file("scores.csv")).rows;
  EXPECT_EQ(rows.size(), 6u);  // x and w, three proxies each: members have their own rows
  log.clear();
  nas::detail::ScoresWriter writer(t.file("scores.csv"));
  auto ev = caching(&log, &writer);
  EXPECT_EQ(ev->add_known(rows), 6u);
  const auto out = ev->evaluate({nb201()->parse(kY)});
  EXPECT_EQ(log, std::vector<std::string>{kY + " sa"});
  EXPECT_EQ(out[0].scores[0].score, f_of_x);
}

TEST(CachingSharing, WithoutASpaceNothingIsShared) {
  std::vector<std::string> log;
  nas::detail::CachingEvaluator ev(
      std::make_unique<CountingBackend>(&log),
      std::map<std::string, std::string>{{"f", "hf"}, {"s", "hs"}, {"a", "ha"}}, nullptr);
  ev.evaluate({nb201()->parse(kX), nb201()->parse(kY)});
  EXPECT_EQ(log, (std::vector<std::string>{kX + " fsa", kY + " fsa"}));
  EXPECT_EQ(ev.shared(), 0u);
}

}  // namespace
