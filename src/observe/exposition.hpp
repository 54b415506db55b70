// Prometheus' text exposition format (version 0.0.4): families with HELP and TYPE, samples with
// escaped label values, histograms with cumulative buckets. Only what lvscare exposes; no registry,
// no locking: the care loop owns its counters and renders them on the loop when scraped.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lvscare::observe {

inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

using Label = std::pair<std::string_view, std::string_view>;

// Cumulative-bucket histogram with fixed upper bounds (seconds for durations).
class Histogram {
 public:
  explicit Histogram(std::vector<double> upperBounds) : bounds_(std::move(upperBounds)), counts_(bounds_.size(), 0) {}
  void observe(double value);
  const std::vector<double>& bounds() const { return bounds_; }
  const std::vector<std::uint64_t>& counts() const { return counts_; }  // per bucket, not cumulative
  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

class MetricsText {
 public:
  enum class Type : std::uint8_t { Counter, Gauge, Histogram };

  // Starts a family. Samples that follow use its name (plus _bucket/_sum/_count for histograms).
  void family(std::string_view name, Type type, std::string_view help);
  void sample(std::string_view name, std::initializer_list<Label> labels, double value);
  void sample(std::string_view name, std::span<const Label> labels, double value);
  void histogram(std::string_view name, std::span<const Label> labels, const Histogram& histogram);

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void labels(std::span<const Label> labels, const Label* extra);
  std::string out_;
};

// A label value as the format wants it: backslash, double quote and newline escaped.
std::string escapeLabelValue(std::string_view value);
// A sample value: integers without a fraction, NaN and infinities by their names.
std::string formatValue(double value);

}  // namespace lvscare::observe
