#include "progress.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

namespace nas {

Progress::Progress(bool json_lines, bool enabled)
    : json_(json_lines), enabled_(enabled), terminal_(isatty(fileno(stderr)) != 0) {}

void Progress::start(const std::string& stage, std::int64_t total) {
  stage_ = stage;
  total_ = total;
  done_ = 0;
  last_logged_decile_ = -1;
  start_ = last_draw_ = std::chrono::steady_clock::now();
  if (json_) {
    std::printf("%s\n", nlohmann::json{{"event", "stage_start"}, {"stage", stage}, {"total", total}}
                            .dump()
                            .c_str());
    std::fflush(stdout);
  }
}

void Progress::advance(std::int64_t n) {
  done_ += n;
  draw(false);
}

void Progress::finish() { draw(true); }

void Progress::draw(bool final) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? done_ / elapsed : 0.0;
  if (json_) {
    std::printf("%s\n", nlohmann::json{{"event", final ? "stage_end" : "progress"},
                                       {"stage", stage_},
                                       {"done", done_},
                                       {"total", total_},
                                       {"seconds", elapsed},
                                       {"per_second", rate}}
                            .dump()
                            .c_str());
    std::fflush(stdout);
    return;
  }
  if (terminal_) {
    if (!final && std::chrono::duration<double>(now - last_draw_).count() < 0.1) return;
    last_draw_ = now;
    const int width = 30;
    const int filled = total_ > 0 ? static_cast<int>(width * done_ / total_) : width;
    std::string bar(static_cast<std::size_t>(std::min(filled, width)), '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r%-7s [%s] %lld/%lld  %.2f/s  %.0fs", stage_.c_str(), bar.c_str(),
                 static_cast<long long>(done_), static_cast<long long>(total_), rate, elapsed);
    if (final) std::fprintf(stderr, "\n");
    std::fflush(stderr);
    return;
  }
  const std::int64_t decile = total_ > 0 ? done_ * 10 / total_ : 10;
  if (decile != last_logged_decile_ || final) {
    last_logged_decile_ = decile;
    spdlog::info("{}: {}/{} ({:.2f}/s, {:.0f}s)", stage_, done_, total_, rate, elapsed);
  }
}

void Progress::message(const std::string& text) {
  if (json_) {
    std::printf("%s\n", nlohmann::json{{"event", "message"}, {"text", text}}.dump().c_str());
  } else {
    std::printf("%s\n", text.c_str());
  }
  std::fflush(stdout);
}

}  // namespace nas
