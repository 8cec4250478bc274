// berthd's allocator settings: the daemon idles most of its life, so what it
// keeps resident while idle is a cost on every node (issue 16: idle RSS).
#pragma once

namespace berth::cmd {

// glibc gives every thread that meets a locked arena an arena of its own, up
// to 8 per core; each keeps the memory its thread freed. berthd's threads are
// mostly idle waiters, so two arenas serve them without contention. Call
// before any thread starts. MALLOC_ARENA_MAX in the environment wins.
inline constexpr int kMallocArenas = 2;
void LimitMallocArenas();

// Hands the memory freed during start-up (config, probes, restore) back to
// the kernel; call once start-up is done.
void ReturnFreedMemory();

}  // namespace berth::cmd
