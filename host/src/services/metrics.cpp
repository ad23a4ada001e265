#include "services/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <utility>

namespace signet::host {
namespace {

bool is_ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }

// Checked by hand rather than with <cctype>, whose answers depend on the locale.
bool is_valid_name(std::string_view name, bool allow_colon) {
  const auto allowed = [allow_colon](char c, bool first) {
    return is_ascii_letter(c) || c == '_' || (allow_colon && c == ':') ||
           (!first && is_ascii_digit(c));
  };
  if (name.empty() || !allowed(name.front(), true)) return false;
  return std::all_of(name.begin() + 1, name.end(), [&](char c) { return allowed(c, false); });
}

bool is_valid_metric_name(std::string_view name) { return is_valid_name(name, true); }
bool is_valid_label_name(std::string_view name) { return is_valid_name(name, false); }

// HELP text escapes backslash and newline; label values also escape quotes.
std::string escape(std::string_view text, bool escape_quotes) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

// `a="1",b="2"` sorted by label name, so {b,a} and {a,b} are one series.
// Empty when a label cannot be rendered: an invalid or repeated name, or
// `le` on a histogram, where it would clash with the bucket label.
std::optional<std::string> render_label_set(const Labels& labels, bool reserve_le) {
  Labels sorted = labels;
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    const auto& [name, value] = sorted[i];
    if (!is_valid_label_name(name)) return std::nullopt;
    if (reserve_le && name == "le") return std::nullopt;
    if (i > 0 && sorted[i - 1].first == name) return std::nullopt;
    if (i > 0) out += ',';
    out += name;
    out += "=\"";
    out += escape(value, true);
    out += '"';
  }
  return out;
}

// Whole numbers print plainly ("1000000", not "1e+06") as long as a double
// holds them exactly; anything else in the shortest form that reads back
// to the same double.
std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  constexpr double largest_exact_integer = 9007199254740992.0;  // 2^53
  if (std::trunc(value) == value && std::fabs(value) <= largest_exact_integer)
    return std::to_string(static_cast<std::int64_t>(value));
  char buffer[64];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  if (error != std::errc{}) return "NaN";  // cannot happen with 64 bytes
  return std::string(buffer, end);
}

void append_sample(std::string& out, std::string_view metric, std::string_view labels,
                   std::string_view value) {
  out += metric;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  out += value;
  out += '\n';
}

std::string with_le(const std::string& labels, std::string_view bound) {
  std::string out = labels;
  if (!out.empty()) out += ',';
  out += "le=\"";
  out += bound;
  out += '"';
  return out;
}

}  // namespace

const std::vector<double>& MetricsRegistry::default_buckets() {
  static const std::vector<double> buckets{.001, .0025, .005, .01, .025, .05, .1,
                                          .25,  .5,    1,    2.5, 5,    10};
  return buckets;
}

template <class Update>
void MetricsRegistry::update_series(std::string_view name, std::string_view help,
                                    const Labels& labels, Kind kind,
                                    const Update& update) noexcept {
  try {
    const std::lock_guard lock(mutex_);
    if (Series* series = find_or_create_series(name, help, labels, kind)) update(*series);
  } catch (...) {
    // Out of memory while recording: losing one observation beats throwing
    // into plugin code, which no exception may enter.
  }
}

void MetricsRegistry::counter_add(std::string_view name, std::string_view help,
                                  const Labels& labels, double delta) {
  if (!std::isfinite(delta) || delta < 0) return;
  update_series(name, help, labels, Kind::counter, [delta](Series& s) { s.value += delta; });
}

void MetricsRegistry::gauge_set(std::string_view name, std::string_view help,
                                const Labels& labels, double value) {
  update_series(name, help, labels, Kind::gauge, [value](Series& s) { s.value = value; });
}

void MetricsRegistry::histogram_observe(std::string_view name, std::string_view help,
                                        const Labels& labels, double value) {
  if (std::isnan(value)) return;
  update_series(name, help, labels, Kind::histogram, [value](Series& s) {
    const auto& bounds = default_buckets();
    // Stored per bucket; render() accumulates. A value above the last bound
    // lands only in +Inf, which is the count.
    const auto bucket = std::lower_bound(bounds.begin(), bounds.end(), value);
    if (bucket != bounds.end()) ++s.bucket_hits[static_cast<std::size_t>(bucket - bounds.begin())];
    s.sum += value;
    ++s.count;
  });
}

MetricsRegistry::Series* MetricsRegistry::find_or_create_series(std::string_view name,
                                                                std::string_view help,
                                                                const Labels& labels, Kind kind) {
  if (!is_valid_metric_name(name)) return nullptr;
  auto rendered = render_label_set(labels, kind == Kind::histogram);
  if (!rendered) return nullptr;

  auto family = families_.find(name);
  if (family == families_.end()) {
    family = families_.emplace(std::string(name), Family{kind, std::string(help), {}}).first;
  } else if (family->second.kind != kind) {
    return nullptr;
  }

  auto& all_series = family->second.series;
  auto series = all_series.find(*rendered);
  if (series == all_series.end()) {
    Series fresh;
    fresh.rendered_labels = *rendered;
    if (kind == Kind::histogram) fresh.bucket_hits.assign(default_buckets().size(), 0);
    series = all_series.emplace(std::move(*rendered), std::move(fresh)).first;
  }
  return &series->second;
}

std::string MetricsRegistry::render() const {
  std::string out;
  const std::lock_guard lock(mutex_);
  for (const auto& [name, family] : families_) render_family(out, name, family);
  return out;
}

std::string_view MetricsRegistry::kind_name(Kind kind) {
  switch (kind) {
    case Kind::counter: return "counter";
    case Kind::gauge: return "gauge";
    case Kind::histogram: return "histogram";
  }
  return "untyped";
}

void MetricsRegistry::render_family(std::string& out, const std::string& name,
                                    const Family& family) {
  if (!family.help.empty()) {
    out += "# HELP " + name + ' ' + escape(family.help, false) + '\n';
  }
  out += "# TYPE " + name + ' ';
  out += kind_name(family.kind);
  out += '\n';
  for (const auto& [labels, series] : family.series) {
    if (family.kind == Kind::histogram) {
      render_histogram(out, name, series);
    } else {
      append_sample(out, name, labels, format_value(series.value));
    }
  }
}

void MetricsRegistry::render_histogram(std::string& out, const std::string& name,
                                       const Series& series) {
  const auto& bounds = default_buckets();
  const std::string bucket_name = name + "_bucket";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    cumulative += series.bucket_hits[i];
    append_sample(out, bucket_name, with_le(series.rendered_labels, format_value(bounds[i])),
                  std::to_string(cumulative));
  }
  append_sample(out, bucket_name, with_le(series.rendered_labels, "+Inf"),
                std::to_string(series.count));
  append_sample(out, name + "_sum", series.rendered_labels, format_value(series.sum));
  append_sample(out, name + "_count", series.rendered_labels, std::to_string(series.count));
}

}  // namespace signet::host
