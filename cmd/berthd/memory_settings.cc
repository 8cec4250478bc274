#include "cmd/berthd/memory_settings.h"

#include <malloc.h>

#include <cstdlib>

namespace berth::cmd {

void LimitMallocArenas() {
  if (std::getenv("MALLOC_ARENA_MAX") != nullptr) return;  // the operator's choice
  mallopt(M_ARENA_MAX, kMallocArenas);
}

void ReturnFreedMemory() {
  malloc_trim(0);
}

}  // namespace berth::cmd
