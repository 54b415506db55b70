#include "observe/exposition.hpp"

#include <cmath>

#include <fmt/format.h>

namespace lvscare::observe {

void Histogram::observe(double value) {
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    if (value <= bounds_[i]) {
      ++counts_[i];
      break;
    }
  }
  ++count_;
  sum_ += value;
}

std::string escapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string formatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) return fmt::format("{}", static_cast<long long>(value));
  return fmt::format("{}", value);
}

namespace {
std::string_view typeName(MetricsText::Type type) {
  switch (type) {
    case MetricsText::Type::Counter: return "counter";
    case MetricsText::Type::Gauge: return "gauge";
    case MetricsText::Type::Histogram: return "histogram";
  }
  return "untyped";
}

// HELP text escapes only backslash and newline.
std::string escapeHelp(std::string_view help) {
  std::string out;
  for (const char c : help) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}
}  // namespace

void MetricsText::family(std::string_view name, Type type, std::string_view help) {
  fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, escapeHelp(help), name,
                 typeName(type));
}

void MetricsText::labels(std::span<const Label> labels, const Label* extra) {
  if (labels.empty() && extra == nullptr) return;
  out_ += '{';
  bool first = true;
  const auto one = [&](const Label& label) {
    if (!first) out_ += ',';
    first = false;
    fmt::format_to(std::back_inserter(out_), "{}=\"{}\"", label.first, escapeLabelValue(label.second));
  };
  for (const Label& label : labels) one(label);
  if (extra != nullptr) one(*extra);
  out_ += '}';
}

void MetricsText::sample(std::string_view name, std::initializer_list<Label> list, double value) {
  sample(name, std::span<const Label>(list.begin(), list.size()), value);
}

void MetricsText::sample(std::string_view name, std::span<const Label> list, double value) {
  out_ += name;
  labels(list, nullptr);
  out_ += ' ';
  out_ += formatValue(value);
  out_ += '\n';
}

void MetricsText::histogram(std::string_view name, std::span<const Label> list, const Histogram& histogram) {
  const std::string bucket = std::string(name) + "_bucket";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < histogram.bounds().size(); ++i) {
    cumulative += histogram.counts()[i];
    const std::string le = formatValue(histogram.bounds()[i]);
    const Label extra{"le", le};
    out_ += bucket;
    labels(list, &extra);
    fmt::format_to(std::back_inserter(out_), " {}\n", cumulative);
  }
  const Label inf{"le", "+Inf"};
  out_ += bucket;
  labels(list, &inf);
  fmt::format_to(std::back_inserter(out_), " {}\n", histogram.count());
  sample(std::string(name) + "_sum", list, histogram.sum());
  sample(std::string(name) + "_count", list, static_cast<double>(histogram.count()));
}

}  // namespace lvscare::observe
