#include "pkg/platform/fake_registry_backend.h"

namespace berth::platform {

Result<bool> FakeRegistryBackend::SetStringIfAbsent(std::string_view name, std::string_view data) {
  if (!IsManagedValueName(name)) {
    return InvalidArgument("registry key " + std::string(KeyPath()) + ": refusing value name \"" +
                           std::string(name) + "\" outside the managed pattern");
  }
  std::lock_guard lock(mu_);
  ++set_calls_;
  if (fail_next_set_) {
    Status s = std::move(*fail_next_set_);
    fail_next_set_.reset();
    return s;
  }
  auto [it, inserted] = values_.try_emplace(std::string(name), std::string(data));
  return inserted;
}

Result<bool> FakeRegistryBackend::DeleteValue(std::string_view name) {
  if (!IsManagedValueName(name)) {
    return InvalidArgument("registry key " + std::string(KeyPath()) + ": refusing value name \"" +
                           std::string(name) + "\" outside the managed pattern");
  }
  std::lock_guard lock(mu_);
  if (fail_next_delete_) {
    Status s = std::move(*fail_next_delete_);
    fail_next_delete_.reset();
    return s;
  }
  return values_.erase(std::string(name)) > 0;
}

Result<std::vector<std::string>> FakeRegistryBackend::EnumerateValueNames() {
  std::lock_guard lock(mu_);
  std::vector<std::string> names;
  for (const auto& [name, data] : values_) names.push_back(name);
  return names;
}

Result<std::optional<std::string>> FakeRegistryBackend::ReadString(std::string_view name) {
  std::lock_guard lock(mu_);
  auto it = values_.find(std::string(name));
  if (it == values_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

void FakeRegistryBackend::Seed(std::string name, std::string data) {
  std::lock_guard lock(mu_);
  values_[std::move(name)] = std::move(data);
}

void FakeRegistryBackend::FailNextSet(Status status) {
  std::lock_guard lock(mu_);
  fail_next_set_ = std::move(status);
}

void FakeRegistryBackend::FailNextDelete(Status status) {
  std::lock_guard lock(mu_);
  fail_next_delete_ = std::move(status);
}

std::map<std::string, std::string> FakeRegistryBackend::Values() const {
  std::lock_guard lock(mu_);
  return values_;
}

int FakeRegistryBackend::set_calls() const {
  std::lock_guard lock(mu_);
  return set_calls_;
}

namespace {

class ForwardingRegistryBackend final : public RegistryBackend {
 public:
  explicit ForwardingRegistryBackend(std::shared_ptr<FakeRegistryBackend> registry)
      : registry_(std::move(registry)) {}
  std::string_view KeyPath() const override { return registry_->KeyPath(); }
  Result<bool> SetStringIfAbsent(std::string_view name, std::string_view data) override {
    return registry_->SetStringIfAbsent(name, data);
  }
  Result<bool> DeleteValue(std::string_view name) override { return registry_->DeleteValue(name); }
  Result<std::vector<std::string>> EnumerateValueNames() override {
    return registry_->EnumerateValueNames();
  }
  Result<std::optional<std::string>> ReadString(std::string_view name) override {
    return registry_->ReadString(name);
  }

 private:
  std::shared_ptr<FakeRegistryBackend> registry_;
};

}  // namespace

std::unique_ptr<RegistryBackend> ForwardingTo(std::shared_ptr<FakeRegistryBackend> registry) {
  return std::make_unique<ForwardingRegistryBackend>(std::move(registry));
}

}  // namespace berth::platform
