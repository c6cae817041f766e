#include "nas/trainer.h"

#include <fcntl.h>
#include <unistd.h>

#include <torch/torch.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "nas/dataset.h"
#include "nas/device.h"
#include "nas/distributed.h"
#include "nas/epoch_loader.h"
#include "nas/error.h"
#include "nas/network.h"
#include "nas/seed.h"
#include "nas/teacher.h"
#include "nas/transform.h"
#include "run_files.h"

namespace nas {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr const char* kLogHeader = "epoch,step,split,lr,loss,top1,top5,images_per_second,seconds";

std::string read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot read");
  std::ostringstream s;
  s << in.rdbuf();
  if (!in.good() && !in.eof()) throw Error(path + ": cannot read");
  return s.str();
}

// Appends to train_log.csv, one checked write per row.
class LogWriter {
 public:
  explicit LogWriter(std::string path) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Error(path_ + ": cannot write");
  }
  ~LogWriter() {
    if (fd_ >= 0) ::close(fd_);
  }
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;
  void append(const std::string& line) {
    const std::string text = line + "\n";
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
      if (n <= 0) throw Error(path_ + ": could not write a log row (disk full?)");
      done += static_cast<std::size_t>(n);
    }
  }

 private:
  std::string path_;
  int fd_ = -1;
};

std::string format_double(double v) {
  std::ostringstream s;
  s.precision(std::numeric_limits<double>::max_digits10);
  s << v;
  return s.str();
}

std::string log_line(const TrainLogRow& r) {
  return std::to_string(r.epoch) + "," + std::to_string(r.step) + "," + r.split + "," +
         format_double(r.lr) + "," + format_double(r.loss) + "," + format_double(r.top1) + "," +
         format_double(r.top5) + "," + format_double(r.images_per_second) + "," +
         format_double(r.seconds);
}

// Gamma(shape, 1) by Marsaglia and Tsang, with Box-Muller normals, all from `rng`.
double gamma_draw(Rng& rng, double shape) {
  if (shape < 1.0) {
    const double u = rng.uniform();
    return gamma_draw(rng, shape + 1.0) * std::pow(u, 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  while (true) {
    double x, v;
    do {
      const double u1 = 1.0 - rng.uniform();  // (0, 1]
      const double u2 = rng.uniform();
      x = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = 1.0 - rng.uniform();
    if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
  }
}

struct Counts {
  double loss_sum = 0;  // sum over samples
  double correct1 = 0, correct5 = 0;
  std::int64_t seen = 0;
};

void count_batch(const at::Tensor& logits, const at::Tensor& labels, std::int64_t real, Counts& c) {
  const std::int64_t k = std::min<std::int64_t>(5, logits.size(1));
  const at::Tensor top = std::get<1>(logits.narrow(0, 0, real).topk(k, 1)).cpu();
  const at::Tensor y = labels.narrow(0, 0, real).cpu().unsqueeze(1);
  const at::Tensor hit = top.eq(y);
  c.correct1 += hit.narrow(1, 0, 1).sum().item<double>();
  c.correct5 += hit.sum().item<double>();
  c.seen += real;
}

// Judges samples [begin, end) of `split` in index order, in batches of batch_size, without
// augmentation, in eval mode and without gradient, adding to `c`.
void count_samples(Network& net, const Dataset& data, Split split, std::int64_t begin,
                   std::int64_t end, std::int64_t batch_size, const c10::Device& dev, Counts& c) {
  const auto normalization = data.normalization();
  const bool was_training = net.is_training();
  net.eval();
  torch::NoGradGuard no_grad;
  for (std::int64_t start = begin; start < end; start += batch_size) {
    std::vector<std::int64_t> idx;
    for (std::int64_t i = start; i < std::min(end, start + batch_size); ++i) idx.push_back(i);
    Batch batch = data.samples(split, idx);
    if (normalization) {
      batch.inputs = normalization->apply(batch.inputs, std::vector<std::uint64_t>(idx.size(), 0));
    }
    const at::Tensor x = batch.inputs.to(dev);
    const at::Tensor y = batch.labels.to(dev);
    const at::Tensor logits = net.forward(x);
    c.loss_sum += torch::nn::functional::cross_entropy(logits, y).item<double>() *
                  static_cast<double>(idx.size());
    count_batch(logits, y, static_cast<std::int64_t>(idx.size()), c);
  }
  net.train(was_training);
}

double percent(double correct, std::int64_t seen) {
  return seen == 0 ? 0.0 : 100.0 * correct / static_cast<double>(seen);
}

// The network's tensors by name: parameters, then buffers (BatchNorm running statistics).
std::vector<std::pair<std::string, at::Tensor>> named_state(Network& net) {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& p : net.named_parameters(true)) out.emplace_back(p.key(), p.value());
  for (const auto& b : net.named_buffers(true)) out.emplace_back(b.key(), b.value());
  return out;
}

std::vector<char> pickle(const c10::IValue& value) { return torch::pickle_save(value); }

c10::IValue unpickle(const std::string& path) {
  const std::string bytes = read_file_bytes(path);
  try {
    return torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  } catch (const std::exception& e) {
    throw Error(path + ": not a readable nas checkpoint or weights file (" +
                std::string(e.what()).substr(0, 200) + ")");
  }
}

void save_bytes(const std::string& path, const std::vector<char>& bytes) {
  detail::write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
}

void copy_state(Network& net, const c10::Dict<std::string, at::Tensor>& dict,
                const std::string& prefix, const std::string& path) {
  torch::NoGradGuard no_grad;
  for (auto& [name, tensor] : named_state(net)) {
    auto it = dict.find(prefix + name);
    if (it == dict.end()) throw Error(path + ": has no tensor '" + name + "'");
    const at::Tensor& saved = it->value();
    if (saved.sizes() != tensor.sizes() || saved.scalar_type() != tensor.scalar_type()) {
      std::ostringstream why;
      why << path << ": tensor '" << name << "' has shape " << saved.sizes() << " ("
          << saved.scalar_type() << "); the network's is " << tensor.sizes() << " ("
          << tensor.scalar_type() << ")";
      throw Error(why.str());
    }
    tensor.copy_(saved);
  }
}

// The options that differ between two train.json texts, as "key: old -> new".
std::string option_differences(const std::string& before, const std::string& now) {
  const json a = json::parse(before, nullptr, false);
  const json b = json::parse(now);
  if (a.is_discarded() || !a.is_object()) return "train.json is unreadable";
  std::string out;
  for (const auto& [key, value] : b.items()) {
    const std::string old = a.contains(key) ? a.at(key).dump() : "(absent)";
    if (old != value.dump()) {
      out += (out.empty() ? "" : ", ") + ("train." + key) + ": " + old + " -> " + value.dump();
    }
  }
  for (const auto& [key, value] : a.items()) {
    if (!b.contains(key)) {
      out += (out.empty() ? "" : ", ") + ("train." + key) + ": " + value.dump() + " -> (absent)";
    }
  }
  return out;
}

}  // namespace

std::string TrainOptions::to_json() const {
  json j;
  j["epochs"] = epochs;
  j["batch_size"] = batch_size;
  j["lr"] = lr;
  j["min_lr"] = min_lr;
  j["momentum"] = momentum;
  j["nesterov"] = nesterov;
  j["weight_decay"] = weight_decay;
  j["decay_norm_and_bias"] = decay_norm_and_bias;
  j["schedule"] = schedule;
  j["warmup_epochs"] = warmup_epochs;
  j["label_smoothing"] = label_smoothing;
  j["mixup"] = mixup;
  j["grad_clip"] = grad_clip;
  if (!teacher.empty()) {
    j["teacher"] = teacher;
    j["kd_ratio"] = kd_ratio;
  }
  // Written only when set: train.json of runs made before these options still matches.
  if (auxiliary_weight > 0) j["auxiliary_weight"] = auxiliary_weight;
  if (drop_path > 0) j["drop_path"] = drop_path;
  j["steps_per_epoch"] = steps_per_epoch;
  j["eval_batches"] = eval_batches;
  j["eval_batch_size"] = eval_batch_size;
  j["checkpoint_every"] = checkpoint_every;
  j["log_every"] = log_every;
  j["seed"] = seed;
  j["threads"] = threads;
  j["device"] = device;
  return j.dump(2);
}

void validate(const TrainOptions& o) {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw UsageError("train." + what);
  };
  need(o.epochs >= 1, "epochs must be at least 1");
  need(o.batch_size >= 1, "batch_size must be at least 1");
  need(std::isfinite(o.lr) && o.lr > 0, "lr must be a finite number > 0");
  need(std::isfinite(o.min_lr) && o.min_lr >= 0 && o.min_lr <= o.lr, "min_lr must be in [0, lr]");
  need(std::isfinite(o.momentum) && o.momentum >= 0 && o.momentum < 1,
       "momentum must be in [0, 1)");
  need(!o.nesterov || o.momentum > 0, "nesterov needs momentum > 0");
  need(std::isfinite(o.weight_decay) && o.weight_decay >= 0, "weight_decay must be >= 0");
  need(o.schedule == "cosine" || o.schedule == "constant",
       "schedule must be one of: cosine, constant");
  need(std::isfinite(o.warmup_epochs) && o.warmup_epochs >= 0 &&
           o.warmup_epochs <= static_cast<double>(o.epochs),
       "warmup_epochs must be in [0, epochs]");
  need(std::isfinite(o.label_smoothing) && o.label_smoothing >= 0 && o.label_smoothing < 1,
       "label_smoothing must be in [0, 1)");
  need(std::isfinite(o.mixup) && o.mixup >= 0,
       "mixup (the Beta distribution's alpha) must be >= 0");
  need(std::isfinite(o.grad_clip) && o.grad_clip >= 0, "grad_clip must be >= 0 (0: off)");
  need(std::isfinite(o.kd_ratio) && o.kd_ratio >= 0, "kd_ratio must be >= 0");
  need(std::isfinite(o.auxiliary_weight) && o.auxiliary_weight >= 0,
       "auxiliary_weight must be >= 0 (0: off)");
  need(std::isfinite(o.drop_path) && o.drop_path >= 0 && o.drop_path < 1,
       "drop_path must be in [0, 1) (0: off)");
  need(o.steps_per_epoch >= 0, "steps_per_epoch must be >= 0 (0: the whole split)");
  need(o.eval_batches >= 0, "eval_batches must be >= 0 (0: the whole split)");
  need(o.eval_batch_size >= 0, "eval_batch_size must be >= 0 (0: batch_size)");
  need(o.checkpoint_every >= 0, "checkpoint_every must be >= 0 (0: at epoch ends)");
  need(o.log_every >= 1, "log_every must be at least 1");
  need(o.threads >= 1, "threads must be at least 1");
}

double lr_at(const TrainOptions& o, std::int64_t step, std::int64_t total_steps,
             std::int64_t warmup_steps) {
  if (step < warmup_steps) {
    return o.lr * static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
  }
  if (o.schedule == "constant" || total_steps <= warmup_steps) return o.lr;
  const double t =
      static_cast<double>(step - warmup_steps) / static_cast<double>(total_steps - warmup_steps);
  return o.min_lr + (o.lr - o.min_lr) * (1.0 + std::cos(kPi * t)) / 2.0;
}

EvalResult evaluate(Network& net, const Dataset& data, Split split, std::int64_t batch_size,
                    std::int64_t batches, const std::string& device) {
  const c10::Device dev = resolve_device(device, "train.device");
  std::int64_t end = data.size(split);
  if (batches > 0) end = std::min(end, batches * batch_size);
  Counts c;
  count_samples(net, data, split, 0, end, batch_size, dev, c);
  EvalResult r;
  r.samples = c.seen;
  r.loss = c.seen ? c.loss_sum / static_cast<double>(c.seen) : 0.0;
  r.top1 = percent(c.correct1, c.seen);
  r.top5 = percent(c.correct5, c.seen);
  return r;
}

void load_weights(Network& net, const std::string& path) {
  const c10::IValue v = unpickle(path);
  if (!v.isGenericDict()) throw Error(path + ": expected a dict of named tensors");
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& e : v.toGenericDict()) dict.insert(e.key().toStringRef(), e.value().toTensor());
  copy_state(net, dict, "", path);
}

TrainMetrics read_train_metrics(const std::string& path) {
  const json j = json::parse(read_file_bytes(path), nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw Error(path + ": not a final_metrics.json");
  TrainMetrics m;
  try {
    m.test_top1 = j.at("test_top1").get<double>();
    m.test_top5 = j.at("test_top5").get<double>();
    m.best_validation_top1 = j.at("best_validation_top1").get<double>();
    m.best_validation_epoch = j.at("best_validation_epoch").get<std::int64_t>();
    m.params = j.at("params").get<std::int64_t>();
    m.flops = j.at("flops").get<std::int64_t>();
    m.epochs = j.at("epochs").get<std::int64_t>();
    m.steps = j.at("steps").get<std::int64_t>();
    m.seconds = j.at("seconds").get<double>();
    m.world_size = j.value("world_size", std::int64_t{1});
  } catch (const json::exception& e) {
    throw Error(path + ": " + e.what());
  }
  return m;
}

namespace {

// Validation or test over the ranks: rank r judges the r-th contiguous run of the samples one
// process would judge (the first `batches` × batch_size, or all), in batches of batch_size;
// the sums go to every rank.
EvalResult evaluate_sharded(Network& net, const Dataset& data, Split split, std::int64_t batch_size,
                            std::int64_t batches, const std::string& device, Communicator& comm) {
  const c10::Device dev = resolve_device(device, "train.device");
  std::int64_t n = data.size(split);
  if (batches > 0) n = std::min(n, batches * batch_size);
  const std::int64_t w = comm.world_size(), r = comm.rank();
  const std::int64_t begin = n * r / w, end = n * (r + 1) / w;
  Counts c;
  count_samples(net, data, split, begin, end, batch_size, dev, c);
  at::Tensor sums = torch::tensor({c.loss_sum, c.correct1, c.correct5, static_cast<double>(c.seen)},
                                  torch::kFloat64);
  comm.all_reduce_sum(sums);
  EvalResult out;
  out.samples = static_cast<std::int64_t>(sums[3].item<double>());
  out.loss = out.samples ? sums[0].item<double>() / static_cast<double>(out.samples) : 0.0;
  out.top1 = percent(sums[1].item<double>(), out.samples);
  out.top5 = percent(sums[2].item<double>(), out.samples);
  return out;
}

// FNV-1a over the bytes of every tensor: equal on two ranks only if the weights are bit for bit
// equal (up to a 2^-63 chance).
std::int64_t state_hash(Network& net) {
  std::uint64_t h = 1469598103934665603ull;
  for (auto& [name, t] : named_state(net)) {
    const at::Tensor c = t.detach().cpu().contiguous();
    const auto* p = static_cast<const unsigned char*>(c.data_ptr());
    const std::size_t bytes = static_cast<std::size_t>(c.numel()) * c.element_size();
    for (std::size_t i = 0; i < bytes; ++i) h = (h ^ p[i]) * 1099511628211ull;
  }
  return static_cast<std::int64_t>(h >> 1);  // non-negative, so that MIN and MAX compare
}

}  // namespace

TrainMetrics train(Network& net, std::shared_ptr<const Dataset> data, const TrainOptions& o,
                   const std::string& dir, std::int64_t flops,
                   const std::function<void(const TrainLogRow&)>& observer, Communicator* comm,
                   Teacher* teacher, const std::function<void(const TrainStep&)>& on_step) {
  validate(o);
  std::unique_ptr<Teacher> own_teacher;
  if (!o.teacher.empty() && !teacher) {
    own_teacher = load_teacher(o.teacher, data->shape());
    teacher = own_teacher.get();
  }
  if (o.teacher.empty()) teacher = nullptr;
  if (o.auxiliary_weight > 0 && !net.has_auxiliary_head()) {
    throw UsageError("train.auxiliary_weight is " + json(o.auxiliary_weight).dump() +
                     ", but the network has no auxiliary head (a space parameter builds one, "
                     "e.g. darts's `auxiliary: true`)");
  }
  if (o.drop_path > 0 && !net.supports_drop_path()) {
    throw UsageError("train.drop_path is " + json(o.drop_path).dump() +
                     ", but the network has no drop-path");
  }
  // A rank's own GPU: cuda:LOCAL_RANK mod the visible devices (nas/distributed.h). Every rank
  // fails here alike, before any collective, when it cannot have it.
  const std::string device_name = comm ? device_for_rank(o.device, comm->local_rank()) : o.device;
  const std::int64_t world = comm ? comm->world_size() : 1;
  const bool lead = comm == nullptr || comm->rank() == 0;  // reads and writes DIR
  if (o.batch_size % world != 0) {
    throw UsageError("train.batch_size " + std::to_string(o.batch_size) +
                     " (the global batch) is not divisible by the " + std::to_string(world) +
                     " processes of this run (WORLD_SIZE)");
  }
  const std::string options_path = dir + "/train.json";
  const std::string checkpoint_path = dir + "/checkpoint.pt";
  const std::string log_path = dir + "/train_log.csv";
  const std::string metrics_path = dir + "/final_metrics.json";
  std::string options_text = o.to_json();
  if (world > 1) {
    // A checkpoint continues only under the same process count (per-rank batches, BatchNorm).
    json j = json::parse(options_text);
    j["world_size"] = world;
    options_text = j.dump(2);
  }

  // Rank 0 decides (fresh, resumed, already complete, or an error) and tells the others.
  enum : std::int64_t { kTrain = 0, kComplete = 1, kFailed = 2, kUsage = 3 };
  std::int64_t status = kTrain;
  TrainMetrics complete;
  auto tell = [&](std::int64_t what) {
    if (!comm) return;
    std::vector<at::Tensor> t{torch::tensor({what}, torch::kInt64)};
    comm->broadcast(t);
    status = t[0].item<std::int64_t>();
  };

  std::error_code ec;
  if (lead) {
    try {
      fs::create_directories(dir, ec);
      if (ec) throw Error(dir + ": cannot create the training directory (" + ec.message() + ")");
      if (fs::exists(options_path, ec)) {
        const std::string before = read_file_bytes(options_path);
        if (before != options_text) {
          throw UsageError(dir + " holds a training run made under other options (" +
                           option_differences(before, options_text) +
                           "); remove the directory or train into another");
        }
        if (fs::exists(metrics_path, ec)) {
          complete = read_train_metrics(metrics_path);
          status = kComplete;
        }
      } else {
        // A fresh run: files of an earlier run without train.json are not ours to continue.
        fs::remove(checkpoint_path, ec);
        fs::remove(log_path, ec);
        detail::write_file_atomic(options_path, options_text);
      }
    } catch (const UsageError&) {
      tell(kUsage);
      throw;
    } catch (...) {
      tell(kFailed);
      throw;
    }
  }
  tell(status);
  auto stopped = [&] {
    const std::string why = "rank " + std::to_string(comm ? comm->rank() : 0) +
                            ": rank 0 stopped before training; its error says why";
    if (status == kUsage) throw UsageError(why);
    if (status == kFailed) throw Error(why);
  };
  stopped();
  if (status == kComplete) return complete;

  at::set_num_threads(o.threads);
  const c10::Device device = resolve_device(device_name, "train.device");
  net.to(device);
  net.train();

  LoaderOptions lo;
  lo.split = Split::kTrain;
  lo.seed = o.seed;
  lo.epoch.batch_size = o.batch_size / world;
  lo.epoch.rank = comm ? comm->rank() : 0;
  lo.epoch.world_size = world;
  lo.epoch.shuffle = true;
  lo.epoch.drop_last = true;
  lo.device = device_name;
  EpochLoader loader(data, lo);
  std::int64_t per_epoch = loader.num_batches();
  if (per_epoch == 0) {
    throw UsageError("train.batch_size " + std::to_string(o.batch_size) +
                     " is larger than the train split (" +
                     std::to_string(data->size(Split::kTrain)) + " samples)");
  }
  if (o.steps_per_epoch > 0) per_epoch = std::min(per_epoch, o.steps_per_epoch);
  const std::int64_t total_steps = per_epoch * o.epochs;
  const auto warmup_steps =
      static_cast<std::int64_t>(std::llround(o.warmup_epochs * static_cast<double>(per_epoch)));
  const std::int64_t eval_batch = o.eval_batch_size > 0 ? o.eval_batch_size : o.batch_size;
  const bool has_validation = data->size(Split::kValidation) > 0;

  // Parameters in registration order; 1-D tensors (BatchNorm weights and biases, every bias)
  // are the ones `decay_norm_and_bias: false` exempts.
  std::vector<at::Tensor> params;
  std::vector<double> decay;
  std::int64_t param_count = 0;
  for (const auto& p : net.parameters(true)) {
    params.push_back(p);
    decay.push_back(o.decay_norm_and_bias || p.dim() > 1 ? o.weight_decay : 0.0);
    param_count += p.numel();
  }
  std::vector<at::Tensor> momentum(params.size());
  std::vector<at::Tensor> buffers;  // BatchNorm running statistics: rank 0's everywhere
  for (const auto& b : net.buffers(true)) buffers.push_back(b);

  // State that a checkpoint restores.
  std::int64_t epoch = 0, batch = 0, step = 0, log_rows = 0, best_epoch = 0;
  double best_top1 = 0, elapsed_before = 0;
  Counts running;

  std::unique_ptr<LogWriter> log;
  try {
    if (lead && fs::exists(checkpoint_path, ec)) {
      const c10::IValue v = unpickle(checkpoint_path);
      if (!v.isGenericDict()) throw Error(checkpoint_path + ": not a nas checkpoint");
      const auto d = v.toGenericDict();
      auto get = [&](const std::string& key) -> c10::IValue {
        auto it = d.find(key);
        if (it == d.end()) throw Error(checkpoint_path + ": lacks '" + key + "'");
        return it->value();
      };
      c10::Dict<std::string, at::Tensor> model;
      for (const auto& e : get("model").toGenericDict()) {
        model.insert(e.key().toStringRef(), e.value().toTensor());
      }
      copy_state(net, model, "", checkpoint_path);
      const auto saved = get("momentum").toList();
      if (saved.size() != momentum.size()) {
        throw Error(checkpoint_path + ": holds " + std::to_string(saved.size()) +
                    " momentum buffers; the network has " + std::to_string(momentum.size()) +
                    " parameters");
      }
      for (std::size_t i = 0; i < momentum.size(); ++i) {
        const c10::IValue b = saved.get(i);
        if (b.isTensor()) momentum[i] = b.toTensor().to(device);
      }
      epoch = get("epoch").toInt();
      batch = get("batch").toInt();
      step = get("step").toInt();
      log_rows = get("log_rows").toInt();
      best_epoch = get("best_epoch").toInt();
      best_top1 = get("best_top1").toDouble();
      elapsed_before = get("seconds").toDouble();
      running.loss_sum = get("loss_sum").toDouble();
      running.correct1 = get("correct1").toDouble();
      running.correct5 = get("correct5").toDouble();
      running.seen = get("seen").toInt();
      // Log rows written after the checkpoint are written again.
      std::istringstream old(read_file_bytes(log_path));
      std::string kept, line;
      std::getline(old, line);
      kept = std::string(kLogHeader) + "\n";
      for (std::int64_t r = 0; r < log_rows && std::getline(old, line); ++r) kept += line + "\n";
      detail::write_file_atomic(log_path, kept);
    } else if (lead) {
      detail::write_file_atomic(log_path, std::string(kLogHeader) + "\n");
    }
    if (lead) log = std::make_unique<LogWriter>(log_path);
  } catch (const UsageError&) {
    tell(kUsage);
    throw;
  } catch (...) {
    tell(kFailed);
    throw;
  }

  std::unique_ptr<GradientReducer> reducer;
  if (comm) {
    tell(kTrain);
    stopped();
    // Rank 0's position, weights, statistics and momentum buffers (the fresh network's or the
    // checkpoint's) everywhere.
    std::vector<at::Tensor> position{torch::tensor(
        {epoch, batch, step, best_epoch, static_cast<std::int64_t>(running.seen)}, torch::kInt64)};
    comm->broadcast(position);
    epoch = position[0][0].item<std::int64_t>();
    batch = position[0][1].item<std::int64_t>();
    step = position[0][2].item<std::int64_t>();
    best_epoch = position[0][3].item<std::int64_t>();
    std::vector<at::Tensor> reals{torch::tensor({best_top1, elapsed_before}, torch::kFloat64)};
    comm->broadcast(reals);
    best_top1 = reals[0][0].item<double>();
    elapsed_before = reals[0][1].item<double>();
    std::vector<at::Tensor> state;
    for (auto& [name, t] : named_state(net)) state.push_back(t);
    std::vector<std::int64_t> has(momentum.size());
    for (std::size_t i = 0; i < momentum.size(); ++i) has[i] = momentum[i].defined() ? 1 : 0;
    std::vector<at::Tensor> mask{torch::tensor(has, torch::kInt64)};
    comm->broadcast(mask);
    for (std::size_t i = 0; i < momentum.size(); ++i) {
      if (mask[0][static_cast<std::int64_t>(i)].item<std::int64_t>() == 0) {
        momentum[i] = at::Tensor();
        continue;
      }
      if (!momentum[i].defined()) momentum[i] = torch::zeros_like(params[i]).detach();
      state.push_back(momentum[i]);
    }
    comm->broadcast(state);
    reducer = std::make_unique<GradientReducer>(*comm, params);
  }

  const auto started = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return elapsed_before +
           std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  auto write_row = [&](TrainLogRow row) {
    ++log_rows;
    if (!lead) return;
    row.seconds = seconds();
    log->append(log_line(row));
    if (observer) observer(row);
  };
  auto save_checkpoint = [&] {
    if (!lead) return;
    c10::impl::GenericDict model(c10::StringType::get(), c10::TensorType::get());
    for (auto& [name, t] : named_state(net)) model.insert(name, t.detach().cpu());
    c10::impl::GenericList saved(c10::AnyType::get());
    for (const auto& m : momentum) {
      saved.push_back(m.defined() ? c10::IValue(m.cpu()) : c10::IValue());
    }
    c10::impl::GenericDict d(c10::StringType::get(), c10::AnyType::get());
    d.insert("model", model);
    d.insert("momentum", saved);
    d.insert("epoch", epoch);
    d.insert("batch", batch);
    d.insert("step", step);
    d.insert("log_rows", log_rows);
    d.insert("best_epoch", best_epoch);
    d.insert("best_top1", best_top1);
    d.insert("seconds", seconds());
    d.insert("loss_sum", running.loss_sum);
    d.insert("correct1", running.correct1);
    d.insert("correct5", running.correct5);
    d.insert("seen", running.seen);
    save_bytes(checkpoint_path, pickle(d));
  };
  // Distributed: this rank's counts since the last log row or checkpoint, summed over the
  // ranks into `running` only there (one small all-reduce, not one a step).
  Counts local;
  auto gather_counts = [&] {
    if (!comm) return;
    at::Tensor sums = torch::tensor(
        {local.loss_sum, local.correct1, local.correct5, static_cast<double>(local.seen)},
        torch::kFloat64);
    comm->all_reduce_sum(sums);
    running.loss_sum += sums[0].item<double>();
    running.correct1 += sums[1].item<double>();
    running.correct5 += sums[2].item<double>();
    running.seen += static_cast<std::int64_t>(sums[3].item<double>());
    local = Counts{};
  };
  auto judge = [&](Split split) {
    return comm
               ? evaluate_sharded(net, *data, split, eval_batch, o.eval_batches, device_name, *comm)
               : evaluate(net, *data, split, eval_batch, o.eval_batches, device_name);
  };

  namespace F = torch::nn::functional;
  const auto ce = F::CrossEntropyFuncOptions().label_smoothing(o.label_smoothing);
  // The progress display's counts: this process's batches since the epoch (or resume) began.
  Counts shown;
  const std::int64_t first_step = step;
  // The auxiliary head's logits of the step's forward (checked: a head that computed nothing in
  // training mode is a bug of its network).
  auto auxiliary_logits = [&net] {
    at::Tensor aux = net.auxiliary_logits();
    if (!aux.defined()) throw Error("the network's auxiliary head gave no logits in training");
    return aux;
  };
  auto window_start = std::chrono::steady_clock::now();
  std::int64_t window_images = 0;
  while (epoch < o.epochs) {
    for (; batch < per_epoch; ++batch) {
      Batch b = loader.batch(static_cast<std::uint64_t>(epoch), batch);
      const double lr = lr_at(o, step, total_steps, warmup_steps);
      net.set_training_progress(
          {static_cast<double>(epoch) / static_cast<double>(o.epochs), o.drop_path,
           derive_seed(o.seed, "drop_path", std::to_string(comm ? comm->rank() : 0),
                       static_cast<std::uint64_t>(step))});
      at::Tensor x = b.inputs;
      at::Tensor logits;
      at::Tensor loss;
      if (o.mixup > 0) {
        Rng rng(derive_seed(o.seed, "mixup", "", static_cast<std::uint64_t>(step)));
        const double g1 = gamma_draw(rng, o.mixup);
        const double g2 = gamma_draw(rng, o.mixup);
        const double lambda = g1 / (g1 + g2);
        const std::int64_t n = x.size(0);
        std::vector<std::int64_t> perm(static_cast<std::size_t>(n));
        for (std::int64_t i = 0; i < n; ++i) perm[static_cast<std::size_t>(i)] = i;
        for (std::int64_t i = n - 1; i > 0; --i) {
          std::swap(perm[static_cast<std::size_t>(i)],
                    perm[static_cast<std::size_t>(rng.below(i + 1))]);
        }
        const at::Tensor index = torch::tensor(perm, torch::kLong).to(device);
        x = x * lambda + x.index_select(0, index) * (1.0 - lambda);
        logits = net.forward(x);
        loss = F::cross_entropy(logits, b.labels, ce) * lambda +
               F::cross_entropy(logits, b.labels.index_select(0, index), ce) * (1.0 - lambda);
        if (o.auxiliary_weight > 0) {
          const at::Tensor aux = auxiliary_logits();
          const at::Tensor aux_loss =
              F::cross_entropy(aux, b.labels, ce) * lambda +
              F::cross_entropy(aux, b.labels.index_select(0, index), ce) * (1.0 - lambda);
          loss = loss + aux_loss * o.auxiliary_weight;
        }
      } else {
        logits = net.forward(x);
        loss = F::cross_entropy(logits, b.labels, ce);
        if (o.auxiliary_weight > 0) {
          loss = loss + F::cross_entropy(auxiliary_logits(), b.labels, ce) * o.auxiliary_weight;
        }
      }
      if (teacher && o.kd_ratio > 0) {
        const at::Tensor soft = torch::softmax(teacher->logits(x), 1);
        loss = loss - (soft * torch::log_softmax(logits, 1)).sum(1).mean() * o.kd_ratio;
      }
      for (auto& p : params) {
        if (p.grad().defined()) p.mutable_grad().zero_();
      }
      if (reducer) reducer->begin_step();
      loss.backward();
      if (reducer) reducer->finish_step();
      // DDP's broadcast_buffers: the forward updated each rank's running statistics from its
      // own batch; rank 0's win, so that every rank evaluates and saves the same network. (After
      // backward: BatchNorm's backward reads the running statistics it saved.)
      if (comm && !buffers.empty()) comm->broadcast(buffers);
      if (o.grad_clip > 0) torch::nn::utils::clip_grad_norm_(params, o.grad_clip);
      {
        // torch.optim.SGD's single-tensor step, operation for operation.
        torch::NoGradGuard no_grad;
        for (std::size_t i = 0; i < params.size(); ++i) {
          at::Tensor& p = params[i];
          if (!p.grad().defined()) continue;
          at::Tensor d_p = p.grad();
          if (decay[i] != 0) d_p = d_p.add(p, decay[i]);
          if (o.momentum != 0) {
            if (!momentum[i].defined()) {
              momentum[i] = torch::clone(d_p).detach();
            } else {
              momentum[i].mul_(o.momentum).add_(d_p, 1.0);
            }
            d_p = o.nesterov ? d_p.add(momentum[i], o.momentum) : momentum[i];
          }
          p.add_(d_p, -lr);
        }
      }
      ++step;
      const std::int64_t n = b.labels.size(0);
      Counts& counts = comm ? local : running;
      counts.loss_sum += loss.item<double>() * static_cast<double>(n);
      count_batch(logits.detach(), b.labels, n, counts);
      if (on_step && lead) {
        shown.loss_sum += loss.item<double>() * static_cast<double>(n);
        count_batch(logits.detach(), b.labels, n, shown);
        TrainStep shown_step;
        shown_step.epoch = epoch + 1;
        shown_step.step = step;
        shown_step.total_steps = total_steps;
        shown_step.loss = shown.loss_sum / static_cast<double>(shown.seen);
        shown_step.top1 = percent(shown.correct1, shown.seen);
        const double since =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        shown_step.images_per_second =
            since > 0 ? static_cast<double>((step - first_step) * o.batch_size) / since : 0.0;
        on_step(shown_step);
      }
      window_images += n * world;
      const bool last = batch + 1 == per_epoch;
      const bool checkpoint = !last && o.checkpoint_every > 0 && step % o.checkpoint_every == 0;
      if (last || step % o.log_every == 0 || checkpoint) gather_counts();
      if (last || step % o.log_every == 0) {
        const double window =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - window_start).count();
        TrainLogRow row;
        row.epoch = epoch + 1;
        row.step = step;
        row.split = "train";
        row.lr = lr;
        row.loss = running.loss_sum / static_cast<double>(running.seen);
        row.top1 = percent(running.correct1, running.seen);
        row.top5 = percent(running.correct5, running.seen);
        row.images_per_second = window > 0 ? static_cast<double>(window_images) / window : 0.0;
        write_row(row);
        window_start = std::chrono::steady_clock::now();
        window_images = 0;
      }
      if (checkpoint) {
        ++batch;  // the checkpoint resumes at the next batch
        save_checkpoint();
        --batch;
      }
    }
    if (has_validation) {
      const EvalResult v = judge(Split::kValidation);
      TrainLogRow row;
      row.epoch = epoch + 1;
      row.step = step;
      row.split = "validation";
      row.lr = lr_at(o, std::max<std::int64_t>(0, step - 1), total_steps, warmup_steps);
      row.loss = v.loss;
      row.top1 = v.top1;
      row.top5 = v.top5;
      write_row(row);
      if (best_epoch == 0 || v.top1 > best_top1) {
        best_top1 = v.top1;
        best_epoch = epoch + 1;
      }
    }
    ++epoch;
    batch = 0;
    running = Counts{};
    shown = Counts{};
    save_checkpoint();
  }

  const EvalResult t = judge(Split::kTest);
  TrainLogRow row;
  row.epoch = o.epochs;
  row.step = step;
  row.split = "test";
  row.lr = lr_at(o, std::max<std::int64_t>(0, step - 1), total_steps, warmup_steps);
  row.loss = t.loss;
  row.top1 = t.top1;
  row.top5 = t.top5;
  write_row(row);

  if (comm) {
    // Every rank must end with rank 0's weights, bit for bit.
    at::Tensor hi = torch::tensor({state_hash(net)}, torch::kInt64);
    at::Tensor lo_hash = hi.clone();
    comm->all_reduce_max(hi);
    comm->all_reduce_min(lo_hash);
    if (hi.item<std::int64_t>() != lo_hash.item<std::int64_t>()) {
      throw Error("rank " + std::to_string(comm->rank()) +
                  ": the ranks' weights differ after training (a bug: data-parallel ranks must "
                  "stay identical)");
    }
  }

  TrainMetrics m;
  m.test_top1 = t.top1;
  m.test_top5 = t.top5;
  m.best_validation_top1 = best_top1;
  m.best_validation_epoch = best_epoch;
  m.params = param_count;
  m.flops = flops;
  m.epochs = o.epochs;
  m.steps = step;
  m.seconds = seconds();
  m.world_size = world;
  if (!lead) return m;

  c10::impl::GenericDict weights(c10::StringType::get(), c10::TensorType::get());
  for (auto& [name, tensor] : named_state(net)) weights.insert(name, tensor.detach().cpu());
  save_bytes(dir + "/model.pt", pickle(weights));

  json j;
  j["test_top1"] = m.test_top1;
  j["test_top5"] = m.test_top5;
  j["best_validation_top1"] = m.best_validation_top1;
  j["best_validation_epoch"] = m.best_validation_epoch;
  j["params"] = m.params;
  j["flops"] = m.flops;
  j["epochs"] = m.epochs;
  j["steps"] = m.steps;
  j["seconds"] = m.seconds;
  if (world > 1) j["world_size"] = world;
  detail::write_file_atomic(metrics_path, j.dump(2) + "\n");
  return m;
}

}  // namespace nas
