// NameRegistrar: the name -> ID reservations for pod and container names.
//
// The kubelet derives names from pod metadata and expects a second create with
// a name still in use to fail with a message naming the current holder, so it
// can remove the stale object. A name is held by at most one ID; one ID may
// hold several names. Every method is safe to call from any thread.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/base/status.h"

namespace berth {

class NameRegistrar {
 public:
  NameRegistrar() = default;
  NameRegistrar(const NameRegistrar&) = delete;
  NameRegistrar& operator=(const NameRegistrar&) = delete;

  // Reserves `name` for `id`. Reserving a name the same ID already holds
  // succeeds; a name held by another ID fails with AlreadyExists
  // ("name \"<name>\" is reserved for ID <holder>"). Empty name or ID:
  // InvalidArgument.
  Status Reserve(std::string_view name, std::string_view id);

  // Frees `name` whoever holds it; freeing a free name is not an error.
  void Release(std::string_view name);

  // Frees every name `id` holds; an ID holding nothing is not an error.
  void ReleaseById(std::string_view id);

  // The ID holding `name`, or NotFound.
  Result<std::string> Get(std::string_view name) const;

  // The names `id` holds, sorted; empty when it holds none.
  std::vector<std::string> GetNames(std::string_view id) const;

 private:
  using NameSet = std::set<std::string, std::less<>>;

  mutable std::mutex mu_;
  // name -> holder ID. Guarded by mu_.
  std::map<std::string, std::string, std::less<>> id_by_name_;
  // holder ID -> its names; the inverse of id_by_name_, kept in step with it.
  // Guarded by mu_.
  std::map<std::string, NameSet, std::less<>> names_by_id_;
};

}  // namespace berth
