// An operation's pipeline: the ordered steps of its phases, built once at
// start-up and shared, immutable, by every worker.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/step.hpp"

namespace signet::host {

class Pipeline {
 public:
  Pipeline(std::string operation, std::vector<std::shared_ptr<Step>> steps)
      : operation_(std::move(operation)), steps_(std::move(steps)) {}

  const std::string& operation() const { return operation_; }
  std::size_t size() const { return steps_.size(); }
  Step& at(std::size_t i) const { return *steps_.at(i); }
  // Index of the step with this name; used to resume after a restart even
  // if the configured pipeline changed meanwhile.
  std::optional<std::size_t> index_of(const std::string& name) const {
    for (std::size_t i = 0; i < steps_.size(); ++i)
      if (steps_[i]->name() == name) return i;
    return std::nullopt;
  }
  // The notifier instances its notify phase delivers to, in order.
  std::vector<std::string> notifiers() const {
    std::vector<std::string> out;
    for (const auto& s : steps_)
      if (const std::string n = s->name(); n.rfind("notify:", 0) == 0) out.push_back(n.substr(7));
    return out;
  }

 private:
  std::string operation_;
  std::vector<std::shared_ptr<Step>> steps_;
};

// By operation ("issue"), and by "<operation>@<tenant id>" for a tenant's own.
using Pipelines = std::map<std::string, std::shared_ptr<const Pipeline>>;
inline std::string tenant_pipeline_suffix(const std::string& tenant_id) { return "@" + tenant_id; }

}  // namespace signet::host
