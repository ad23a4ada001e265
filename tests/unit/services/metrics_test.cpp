#include "services/metrics.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace signet::host {
namespace {

TEST(MetricsRegistry, RendersNothingBeforeFirstUse) {
  const MetricsRegistry registry;
  EXPECT_EQ(registry.render(), "");
}

TEST(MetricsRegistry, CountersAccumulatePerLabelSet) {
  MetricsRegistry registry;
  registry.counter_add("jobs_total", "Jobs run.", {{"queue", "b"}, {"kind", "x"}}, 1);
  // Same labels in another order: the same series. Later help is ignored.
  registry.counter_add("jobs_total", "Other help.", {{"kind", "x"}, {"queue", "b"}}, 2);
  registry.counter_add("jobs_total", "", {{"kind", "y"}}, 0.5);

  EXPECT_EQ(registry.render(),
            "# HELP jobs_total Jobs run.\n"
            "# TYPE jobs_total counter\n"
            "jobs_total{kind=\"x\",queue=\"b\"} 3\n"
            "jobs_total{kind=\"y\"} 0.5\n");
}

TEST(MetricsRegistry, CounterIgnoresNegativeAndNonFiniteDeltas) {
  MetricsRegistry registry;
  registry.counter_add("c_total", "C.", {}, 4);
  registry.counter_add("c_total", "C.", {}, -1);
  registry.counter_add("c_total", "C.", {}, std::numeric_limits<double>::quiet_NaN());
  registry.counter_add("c_total", "C.", {}, std::numeric_limits<double>::infinity());

  EXPECT_EQ(registry.render(), "# HELP c_total C.\n# TYPE c_total counter\nc_total 4\n");
}

TEST(MetricsRegistry, GaugeKeepsTheLastValueAndPrintsIntegersPlainly) {
  MetricsRegistry registry;
  registry.gauge_set("big", "", {}, 5);
  registry.gauge_set("big", "", {}, 1e6);
  registry.gauge_set("negative", "", {}, -2.5);

  EXPECT_EQ(registry.render(),
            "# TYPE big gauge\nbig 1000000\n"
            "# TYPE negative gauge\nnegative -2.5\n");
}

TEST(MetricsRegistry, EscapesHelpAndLabelValues) {
  MetricsRegistry registry;
  registry.counter_add("esc_total", "Line one\nback\\slash \"quoted\"",
                       {{"path", "a\"b\\c\nd"}}, 1);

  EXPECT_EQ(registry.render(),
            "# HELP esc_total Line one\\nback\\\\slash \"quoted\"\n"
            "# TYPE esc_total counter\n"
            "esc_total{path=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(MetricsRegistry, HistogramBucketsAreCumulativeWithSumAndCount) {
  MetricsRegistry registry;
  for (const double seconds : {0.5, 0.5, 2.0, 20.0})
    registry.histogram_observe("op_seconds", "Op latency.", {{"op", "sign"}}, seconds);
  registry.histogram_observe("op_seconds", "", {{"op", "sign"}},
                             std::numeric_limits<double>::quiet_NaN());  // ignored

  // A bound is inclusive (0.5 lands in le="0.5"); 20 is only in +Inf.
  EXPECT_EQ(registry.render(),
            "# HELP op_seconds Op latency.\n"
            "# TYPE op_seconds histogram\n"
            "op_seconds_bucket{op=\"sign\",le=\"0.001\"} 0\n"
            "op_seconds_bucket{op=\"sign\",le=\"0.0025\"} 0\n"
            "op_seconds_bucket{op=\"sign\",le=\"0.005\"} 0\n"
            "op_seconds_bucket{op=\"sign\",le=\"0.01\"} 0\n"
            "op_seconds_bucket{op=\"sign\",le=\"0.025\"} 0\n"
            "op_seconds_bucket{op=\"sign\",le=\"0.05\"} 0\n"
            "op_seconds_bucket{op=\"sign\",le=\"0.1\"} 0\n"
            "op_seconds_bucket{op=\"sign\",le=\"0.25\"} 0\n"
            "op_seconds_bucket{op=\"sign\",le=\"0.5\"} 2\n"
            "op_seconds_bucket{op=\"sign\",le=\"1\"} 2\n"
            "op_seconds_bucket{op=\"sign\",le=\"2.5\"} 3\n"
            "op_seconds_bucket{op=\"sign\",le=\"5\"} 3\n"
            "op_seconds_bucket{op=\"sign\",le=\"10\"} 3\n"
            "op_seconds_bucket{op=\"sign\",le=\"+Inf\"} 4\n"
            "op_seconds_sum{op=\"sign\"} 23\n"
            "op_seconds_count{op=\"sign\"} 4\n");
}

TEST(MetricsRegistry, HistogramWithoutLabelsHasOnlyTheLeLabel) {
  MetricsRegistry registry;
  registry.histogram_observe("h_seconds", "", {}, 0.003);

  const std::string text = registry.render();
  EXPECT_NE(text.find("h_seconds_bucket{le=\"0.0025\"} 0\n"
                      "h_seconds_bucket{le=\"0.005\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("h_seconds_bucket{le=\"+Inf\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_seconds_sum 0.003\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_seconds_count 1\n"), std::string::npos) << text;
}

TEST(MetricsRegistry, DropsInvalidNamesAndLabelSets) {
  MetricsRegistry registry;
  registry.counter_add("1starts_with_digit", "", {}, 1);
  registry.counter_add("has-dash", "", {}, 1);
  registry.counter_add("", "", {}, 1);
  registry.gauge_set("bad_label", "", {{"bad-label", "v"}}, 1);
  registry.gauge_set("bad_label", "", {{"1x", "v"}}, 1);
  registry.gauge_set("bad_label", "", {{"colon:not_allowed", "v"}}, 1);
  registry.gauge_set("repeated_label", "", {{"a", "1"}, {"a", "2"}}, 1);
  registry.histogram_observe("le_label_seconds", "", {{"le", "1"}}, 1);

  EXPECT_EQ(registry.render(), "");
}

TEST(MetricsRegistry, AcceptsColonsInMetricNamesAndUnderscoreLabels) {
  MetricsRegistry registry;
  registry.counter_add("ns:sub_total", "", {{"_private", "v"}}, 1);

  EXPECT_EQ(registry.render(), "# TYPE ns:sub_total counter\nns:sub_total{_private=\"v\"} 1\n");
}

TEST(MetricsRegistry, IgnoresANameReusedWithAnotherType) {
  MetricsRegistry registry;
  registry.counter_add("things", "Things.", {}, 2);
  registry.gauge_set("things", "Other.", {}, 7);
  registry.histogram_observe("things", "Other.", {}, 1);

  EXPECT_EQ(registry.render(), "# HELP things Things.\n# TYPE things counter\nthings 2\n");
}

TEST(MetricsRegistry, SortsFamiliesByName) {
  MetricsRegistry registry;
  registry.gauge_set("b_metric", "", {}, 1);
  registry.counter_add("a_metric", "", {}, 1);

  EXPECT_EQ(registry.render(),
            "# TYPE a_metric counter\na_metric 1\n"
            "# TYPE b_metric gauge\nb_metric 1\n");
}

TEST(MetricsRegistry, CountsConcurrentAddsExactly) {
  MetricsRegistry registry;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&registry] {
      for (int i = 0; i < 1000; ++i) registry.counter_add("c_total", "", {{"k", "v"}}, 1);
    });
  }
  for (auto& thread : threads) thread.join();

  EXPECT_EQ(registry.render(), "# TYPE c_total counter\nc_total{k=\"v\"} 4000\n");
}

}  // namespace
}  // namespace signet::host
