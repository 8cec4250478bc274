#include "pkg/platform/credential_spec_store.h"

#include <array>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>

namespace berth::platform {

bool IsManagedValueName(std::string_view name) {
  if (name.size() != kCredentialSpecValuePrefix.size() + 2 * kCredentialSpecRandomBytes) {
    return false;
  }
  if (!name.starts_with(kCredentialSpecValuePrefix)) return false;
  for (char c : name.substr(kCredentialSpecValuePrefix.size())) {
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (!hex) return false;
  }
  return true;
}

Result<std::size_t> RegistryStringDataBytes(std::string_view utf8) {
  std::size_t units = 0;
  for (std::size_t i = 0; i < utf8.size();) {
    const auto lead = static_cast<unsigned char>(utf8[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (lead < 0x80) {
      len = 1, cp = lead;
    } else if ((lead & 0xe0) == 0xc0) {
      len = 2, cp = lead & 0x1f;
    } else if ((lead & 0xf0) == 0xe0) {
      len = 3, cp = lead & 0x0f;
    } else if ((lead & 0xf8) == 0xf0) {
      len = 4, cp = lead & 0x07;
    } else {
      return InvalidArgument("credential spec is not valid UTF-8 (byte " + std::to_string(i) + ")");
    }
    if (i + len > utf8.size()) {
      return InvalidArgument("credential spec is not valid UTF-8 (truncated sequence at end)");
    }
    for (std::size_t k = 1; k < len; ++k) {
      const auto cont = static_cast<unsigned char>(utf8[i + k]);
      if ((cont & 0xc0) != 0x80) {
        return InvalidArgument("credential spec is not valid UTF-8 (byte " + std::to_string(i + k) +
                               ")");
      }
      cp = (cp << 6) | (cont & 0x3f);
    }
    static constexpr std::array<std::uint32_t, 5> kMinForLen = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLen[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return InvalidArgument("credential spec is not valid UTF-8 (byte " + std::to_string(i) + ")");
    }
    units += cp >= 0x10000 ? 2 : 1;
    i += len;
  }
  return (units + 1) * 2;  // UTF-16 code units plus the terminating NUL
}

Status ValidateCredentialSpec(std::string_view spec) {
  BERTH_ASSIGN_OR_RETURN(std::size_t bytes, RegistryStringDataBytes(spec));
  if (bytes > kMaxRegistryValueDataBytes) {
    return InvalidArgument("credential spec needs " + std::to_string(bytes) +
                           " bytes as a registry string, above the " +
                           std::to_string(kMaxRegistryValueDataBytes) + "-byte value limit");
  }
  // accept() validates without building a document and never throws on bad input;
  // it does not echo the input, so the spec cannot leak into an error message.
  bool valid = false;
  try {
    valid = nlohmann::json::accept(spec.begin(), spec.end());
  } catch (const std::exception&) {
    valid = false;
  }
  if (!valid) return InvalidArgument("credential spec is not valid JSON");
  const auto first = spec.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || spec[first] != '{') {
    return InvalidArgument("credential spec must be a JSON object");
  }
  return OkStatus();
}

Status ValidateContainerId(std::string_view id) {
  if (id.empty() || id.size() > 128) {
    return InvalidArgument("container ID must be 1 to 128 characters, got " +
                           std::to_string(id.size()));
  }
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return InvalidArgument("container ID contains a character outside [A-Za-z0-9_.-]");
  }
  return OkStatus();
}

RegistryCredentialSpecStore::RegistryCredentialSpecStore(std::unique_ptr<RegistryBackend> backend,
                                                         std::unique_ptr<RandomSource> random,
                                                         AuditLogger& audit)
    : backend_(std::move(backend)), random_(std::move(random)), audit_(audit) {}

Result<std::string> RegistryCredentialSpecStore::NewValueName() {
  std::array<std::uint8_t, kCredentialSpecRandomBytes> bytes{};
  BERTH_RETURN_IF_ERROR(random_->Fill(bytes));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string name(kCredentialSpecValuePrefix);
  for (std::uint8_t b : bytes) {
    name += kHex[b >> 4];
    name += kHex[b & 0x0f];
  }
  return name;
}

Result<CredentialSpecValue> RegistryCredentialSpecStore::Create(std::string_view container_id,
                                                                std::string_view spec) {
  BERTH_RETURN_IF_ERROR(ValidateContainerId(container_id));
  if (Status s = ValidateCredentialSpec(spec); !s.ok()) {
    return s.WithContext("container " + std::string(container_id));
  }
  const std::string key(backend_->KeyPath());
  for (int attempt = 0; attempt < kMaxValueNameAttempts; ++attempt) {
    BERTH_ASSIGN_OR_RETURN(std::string name, NewValueName());
    Result<bool> written = backend_->SetStringIfAbsent(name, spec);
    if (!written.ok()) {
      audit_.Record({"create-value", key, name, container_id, CodeName(written.status().code())});
      return written.status().WithContext("container " + std::string(container_id) +
                                          ": storing credential spec");
    }
    if (!*written) {
      // A 320-bit collision means a broken RNG or an attack; never overwrite, draw again.
      audit_.Record({"create-value", key, name, container_id, "exists"});
      continue;
    }
    audit_.Record({"create-value", key, name, container_id, "ok"});
    return CredentialSpecValue{name, "registry://" + name};
  }
  return Internal("registry key " + key + ": no unused credential spec value name after " +
                  std::to_string(kMaxValueNameAttempts) + " attempts for container " +
                  std::string(container_id));
}

Result<bool> RegistryCredentialSpecStore::DeleteAudited(std::string_view op,
                                                        std::string_view container_id,
                                                        std::string_view value_name) {
  Result<bool> deleted = backend_->DeleteValue(value_name);
  const std::string_view outcome =
      !deleted.ok() ? CodeName(deleted.status().code()) : (*deleted ? "ok" : "absent");
  audit_.Record({op, backend_->KeyPath(), value_name, container_id, outcome});
  return deleted;
}

Status RegistryCredentialSpecStore::Remove(std::string_view container_id,
                                           std::string_view value_name) {
  BERTH_RETURN_IF_ERROR(ValidateContainerId(container_id));
  if (!IsManagedValueName(value_name)) {
    return InvalidArgument("container " + std::string(container_id) +
                           ": refusing to remove registry value outside the managed pattern");
  }
  return DeleteAudited("delete-value", container_id, value_name).status();
}

Result<std::size_t> RegistryCredentialSpecStore::RemoveStale(const std::set<std::string>& in_use) {
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, backend_->EnumerateValueNames());
  std::size_t removed = 0;
  Status first_error;
  for (const std::string& name : names) {
    if (!IsManagedValueName(name)) continue;  // another program's value: not ours to touch
    if (in_use.contains(name)) continue;
    Result<bool> deleted = DeleteAudited("sweep-value", "", name);
    if (deleted.ok()) {
      removed += *deleted ? 1 : 0;
    } else if (first_error.ok()) {
      first_error = deleted.status();  // keep sweeping; report the first failure
    }
  }
  if (!first_error.ok()) return first_error.WithContext("removing stale credential specs");
  return removed;
}

}  // namespace berth::platform
