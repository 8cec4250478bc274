// A gRPC message allocator that puts a callback RPC's request and response on
// one protobuf Arena per call. A List answer of 1,000 entries is some 15,000
// small heap objects when built on the heap; on an arena they are carved from
// a few large blocks and dropped together when the call is done, so neither
// the per-object frees nor glibc's consolidation of the freed chunks (which
// the next call paid for) remain.
#pragma once

#include <google/protobuf/arena.h>
#include <grpcpp/support/message_allocator.h>

namespace berth::daemon {

template <typename Request, typename Response>
class ArenaMessageAllocator final : public grpc::MessageAllocator<Request, Response> {
 public:
  grpc::MessageHolder<Request, Response>* AllocateMessages() override { return new ArenaHolder(); }

 private:
  class ArenaHolder final : public grpc::MessageHolder<Request, Response> {
   public:
    ArenaHolder() : arena_(BlockSizes()) {
      this->set_request(google::protobuf::Arena::CreateMessage<Request>(&arena_));
      this->set_response(google::protobuf::Arena::CreateMessage<Response>(&arena_));
    }
    // gRPC calls this once the answer is sent (or the call failed).
    void Release() override { delete this; }

   private:
    static google::protobuf::ArenaOptions BlockSizes() {
      google::protobuf::ArenaOptions options;
      // Blocks grow from small (most calls answer little) to 64 KiB, below
      // glibc's mmap threshold: a large answer takes about ten blocks, none of
      // them an mmap/munmap pair per call.
      options.start_block_size = 1024;
      options.max_block_size = 64 * 1024;
      return options;
    }
    google::protobuf::Arena arena_;
  };
};

}  // namespace berth::daemon
