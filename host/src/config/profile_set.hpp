// The profiles of the running configuration. A live reload replaces them
// as a whole while requests are reading them (docs/operations.md,
// "Reloading"), so readers never hold a reference into the list: they get
// a snapshot, or one profile that keeps its snapshot alive.
#pragma once

#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "config/profile_config.hpp"

namespace signet::host {

class ProfileSet {
 public:
  using List = std::vector<ProfileConfig>;

  ProfileSet() : list_(std::make_shared<const List>()) {}
  ProfileSet(const ProfileSet& other) : list_(other.snapshot()) {}
  ProfileSet& operator=(const ProfileSet& other) {
    if (this != &other) replace(other.snapshot());
    return *this;
  }

  std::shared_ptr<const List> snapshot() const {
    const std::lock_guard lock(mutex_);
    return list_;
  }
  // The profile named so, or null; it stays valid after a reload.
  std::shared_ptr<const ProfileConfig> find(std::string_view name) const {
    auto list = snapshot();
    for (const auto& p : *list)
      if (p.name == name) return {list, &p};
    return nullptr;
  }
  void replace(std::shared_ptr<const List> list) {
    const std::lock_guard lock(mutex_);
    list_ = std::move(list);
  }
  // While the configuration is read, before anyone else sees it.
  void push_back(ProfileConfig profile) {
    auto list = std::make_shared<List>(*snapshot());
    list->push_back(std::move(profile));
    replace(std::move(list));
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const List> list_;
};

}  // namespace signet::host
