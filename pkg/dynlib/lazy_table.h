// LazyTable: a table of library functions built on first use and then kept.
#pragma once

#include <memory>
#include <mutex>

#include "pkg/base/status.h"

namespace berth::dynlib {

template <typename Table>
class LazyTable {
 public:
  // The table, built by `load` (Result<Table>()) on the first call that
  // succeeds. A failure is returned and not kept, so a library installed
  // after the daemon started is found by the next call.
  template <typename Load>
  Result<const Table*> Get(Load&& load) {
    std::lock_guard<std::mutex> lock(mu_);
    if (table_) return table_.get();
    BERTH_ASSIGN_OR_RETURN(Table loaded, load());
    table_ = std::make_unique<const Table>(loaded);
    return table_.get();
  }

 private:
  std::mutex mu_;
  std::unique_ptr<const Table> table_;  // guarded by mu_; never replaced once set
};

}  // namespace berth::dynlib
