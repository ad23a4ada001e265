// The host's metrics registry: what plugins and the host record, rendered
// for /metrics in the Prometheus text exposition format 0.0.4.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <signet/services.hpp>

namespace signet::host {

// Thread-safe. Recording never throws and never fails loudly: a metric is
// diagnostics, so a bad name, a label set that cannot be rendered, or a name
// reused with another type drops the observation instead of hurting the
// caller.
class MetricsRegistry final : public signet::Metrics {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Negative or non-finite deltas are ignored: a counter only goes up.
  void counter_add(std::string_view name, std::string_view help, const Labels& labels,
                   double delta) override;
  void gauge_set(std::string_view name, std::string_view help, const Labels& labels,
                 double value) override;
  // NaN observations are ignored (they would poison _sum for good).
  void histogram_observe(std::string_view name, std::string_view help, const Labels& labels,
                         double value) override;

  // Families sorted by name, series by label set, so the output is stable.
  std::string render() const;

  // Upper bounds, in seconds, of the buckets every histogram uses.
  static const std::vector<double>& default_buckets();

 private:
  enum class Kind { counter, gauge, histogram };

  struct Series {
    std::string rendered_labels;  // `a="1",b="2"`, sorted by label name
    double value = 0;             // counter and gauge
    std::vector<std::uint64_t> bucket_hits;  // histogram, per bucket (not cumulative)
    double sum = 0;
    std::uint64_t count = 0;
  };

  struct Family {
    Kind kind = Kind::counter;
    std::string help;  // from the first use; later help texts are ignored
    std::map<std::string, Series, std::less<>> series;  // keyed by rendered_labels
  };

  // Runs `update` on the series under the lock, if the series may exist.
  template <class Update>
  void update_series(std::string_view name, std::string_view help, const Labels& labels,
                     Kind kind, const Update& update) noexcept;

  // Null when the name, the labels or the type do not fit; caller holds mutex_.
  Series* find_or_create_series(std::string_view name, std::string_view help,
                                const Labels& labels, Kind kind);

  static std::string_view kind_name(Kind kind);
  static void render_family(std::string& out, const std::string& name, const Family& family);
  static void render_histogram(std::string& out, const std::string& name, const Series& series);

  mutable std::mutex mutex_;
  std::map<std::string, Family, std::less<>> families_;
};

}  // namespace signet::host
