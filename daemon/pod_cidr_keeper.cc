#include "daemon/pod_cidr_keeper.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "pkg/cni/conf_list.h"
#include "pkg/cni/conf_template.h"
#include "pkg/fs/atomic_file.h"
#include "pkg/fs/dir.h"

namespace berth::daemon {
namespace {

constexpr char kPodCidrField[] = "runtime_config.network_config.pod_cidr";
constexpr char kRecordKey[] = "pod_cidr";
// A template is a few hundred bytes; the record a few dozen.
constexpr size_t kMaxTemplateBytes = 1 << 20;
constexpr size_t kMaxRecordBytes = 64 << 10;

}  // namespace

PodCidrKeeper::PodCidrKeeper(std::string record_path, std::string template_path,
                             std::string conf_dir, cni::CniNetwork& network)
    : record_path_(std::move(record_path)),
      template_path_(std::move(template_path)),
      conf_dir_(std::move(conf_dir)),
      network_(network) {}

std::string PodCidrKeeper::Recorded() const {
  std::lock_guard<std::mutex> lock(mu_);
  return recorded_;
}

Status PodCidrKeeper::Update(std::string_view pod_cidr) {
  // 1. The kubelet sends "" until it knows a CIDR: nothing to do.
  if (pod_cidr.empty()) return OkStatus();
  Result<std::vector<cni::PodCidr>> cidrs = cni::ParsePodCidrs(pod_cidr);
  if (!cidrs.ok()) return cidrs.status().WithContext(kPodCidrField);
  const std::string joined = cni::JoinPodCidrs(*cidrs);

  std::lock_guard<std::mutex> lock(mu_);
  // 2. Without a template the CIDR is only kept: whatever manages the node's
  // network writes the conf dir (containerd answers the same way).
  if (template_path_.empty()) {
    if (joined == recorded_) return OkStatus();
    BERTH_RETURN_IF_ERROR(WriteRecord(joined));
    spdlog::info(
        "pod CIDR {} recorded; no cni.network_config_template, so the pod network is "
        "left to whatever writes {}",
        joined, conf_dir_);
    return OkStatus();
  }
  // 3. Render first: a broken template leaves the record as it was.
  BERTH_ASSIGN_OR_RETURN(std::string content, Render(*cidrs));
  // 4. Record, then publish: a crash in between is repaired by Restore().
  if (joined != recorded_) {
    BERTH_RETURN_IF_ERROR(WriteRecord(joined));
    spdlog::info("pod CIDR {} recorded", joined);
  }
  return Publish(content);
}

void PodCidrKeeper::Restore() {
  Result<std::string> bytes = ReadFile(record_path_, kMaxRecordBytes);
  if (!bytes.ok()) {
    if (bytes.status().code() != Code::kNotFound) {
      spdlog::warn("pod CIDR record: {}; waiting for the kubelet to send it again",
                   bytes.status().message());
    }
    return;
  }
  const nlohmann::json doc = nlohmann::json::parse(*bytes, nullptr, false);
  const auto field = doc.is_object() ? doc.find(kRecordKey) : doc.end();
  Result<std::vector<cni::PodCidr>> cidrs =
      field != doc.end() && field->is_string()
          ? cni::ParsePodCidrs(field->get<std::string>())
          : Result<std::vector<cni::PodCidr>>(InvalidArgument("no \"pod_cidr\" string"));
  if (!cidrs.ok()) {
    spdlog::warn("pod CIDR record {} is unreadable ({}); waiting for the kubelet to send it again",
                 record_path_, cidrs.status().message());
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  recorded_ = cni::JoinPodCidrs(*cidrs);
  spdlog::info("pod CIDR {} restored from {}", recorded_, record_path_);
  if (template_path_.empty()) return;
  Result<std::string> content = Render(*cidrs);
  Status published = content.ok() ? Publish(*content) : content.status();
  if (!published.ok()) spdlog::warn("pod network not rendered: {}", published.message());
}

Result<std::string> PodCidrKeeper::Render(const std::vector<cni::PodCidr>& cidrs) const {
  const auto failed = [&](const Status& s) {
    return FailedPrecondition("cni.network_config_template " + template_path_ + ": " + s.message());
  };
  Result<std::string> text = ReadFile(template_path_, kMaxTemplateBytes);
  if (!text.ok()) return failed(text.status());
  Result<std::string> rendered = cni::RenderConfTemplate(*text, cni::TemplateDataFor(cidrs));
  if (!rendered.ok()) return failed(rendered.status());
  // The file is named .conflist, so it must read as one; a template error
  // found now is an answer to the caller, not a silently skipped file.
  if (Result<cni::NetworkConfigList> list = cni::ParseConfList(*rendered); !list.ok()) {
    return failed(list.status().WithContext("rendered, it is not a network config list"));
  }
  return rendered;
}

Status PodCidrKeeper::Publish(const std::string& content) {
  const std::string path = conf_dir_ + "/" + kRenderedFile;
  const cni::NetworkStatus net = network_.GetStatus();
  if (net.ready && net.config_file != path) {
    spdlog::info("network {} from {} is in use: {} not rendered", net.network_name, net.config_file,
                 template_path_);
    return OkStatus();
  }
  if (Result<std::string> current = ReadFile(path, kMaxTemplateBytes);
      current.ok() && *current == content) {
    return OkStatus();
  }
  BERTH_RETURN_IF_ERROR(MkdirAll(conf_dir_, 0755));
  BERTH_RETURN_IF_ERROR(WriteFileAtomic(path, content, 0644));
  spdlog::info("pod network rendered from {} to {}", template_path_, path);
  // The watcher would see the file too; loading now makes the next pod (and
  // Status) use it as soon as this call returns.
  if (Status loaded = network_.Load(); !loaded.ok()) {
    spdlog::warn("rendered pod network {} is not usable: {}", path, loaded.message());
  }
  return OkStatus();
}

Status PodCidrKeeper::WriteRecord(const std::string& cidrs) {
  BERTH_RETURN_IF_ERROR(
      WriteFileAtomic(record_path_, nlohmann::json{{kRecordKey, cidrs}}.dump() + "\n", 0644));
  recorded_ = cidrs;
  return OkStatus();
}

}  // namespace berth::daemon
