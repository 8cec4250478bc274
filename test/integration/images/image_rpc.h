// Small ImageService call helpers for the image integration tests, plus what
// the tests check on disk under a berthd root after a refused or killed pull.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <string>
#include <vector>

#include "pkg/fs/dir.h"
#include "runtime/v1/api.grpc.pb.h"
#include "test/integration/harness/berthd_fixture.h"

namespace berth::testing {

grpc::Status PullImage(BerthdProcess& d, const std::string& ref,
                       const runtime::v1::AuthConfig* auth = nullptr,
                       std::string* image_ref = nullptr);
// ImageStatus; fails the test if the RPC itself fails.
runtime::v1::ImageStatusResponse ImageStatus(BerthdProcess& d, const std::string& ref);
std::vector<runtime::v1::Image> ListImages(BerthdProcess& d);
grpc::Status RemoveImage(BerthdProcess& d, const std::string& ref);

// Layer directories (chain IDs) in the layer store under berthd's root.
std::vector<std::string> LayerDirs(const BerthdProcess& d);
// Files left anywhere under <root>/image/downloads and <root>/image/layers/tmp.
std::vector<std::string> LeftoverTempFiles(const BerthdProcess& d);
// Bytes of the regular files under `dir` (0 when it does not exist).
uint64_t BytesUnder(const std::string& dir);

}  // namespace berth::testing
