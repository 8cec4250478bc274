// The streams an exec or attach session expects, filled in as the client
// opens them, and channels that wait for theirs. The handler starts as soon
// as the connection is upgraded, before the client has opened its streams:
// the command's start-up (a runtime exec takes milliseconds) then overlaps
// the client's stream set-up, and each channel's first read or write waits
// until its stream is there.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "pkg/streaming/channels.h"
#include "pkg/streaming/spdy_stream.h"

namespace berth::streaming {

class PendingStreams {
 public:
  // `expected` stream types; the client has until `deadline` to open them all.
  PendingStreams(std::vector<std::string> expected, std::chrono::steady_clock::time_point deadline)
      : expected_(std::move(expected)), deadline_(deadline) {}

  // Whether the session has a channel of `type` (whether or not the client
  // opened its stream yet).
  bool Expects(const std::string& type) const;
  // Takes the client's stream of `type`: false (the caller refuses it) when
  // the session does not expect that type or already has one.
  bool Add(const std::string& type, std::shared_ptr<spdy::Stream> stream);
  // The session is over: every wait ends.
  void End();
  // Waits until all expected streams are open (true), or until the session
  // ended or the deadline passed (false).
  bool AwaitAll();
  // Waits up to `timeout` for End(): true once the session is over (at once
  // if it already is), false when the time ran out first.
  bool AwaitEnd(std::chrono::steady_clock::duration timeout);
  // How many streams are open, of how many expected.
  size_t opened() const;
  size_t expected() const { return expected_.size(); }

  // The stream of `type` once the client opened it, or null when it never
  // will (session over, deadline passed) or `*cancelled` was set under the
  // lock while waiting.
  std::shared_ptr<spdy::Stream> Await(const std::string& type, const bool* cancelled = nullptr);
  // The stream of `type` if it is open now, else null.
  std::shared_ptr<spdy::Stream> Peek(const std::string& type) const;
  // Sets `*flag` under the lock and wakes the waits; returns the stream of
  // `type` if it is open (so the caller can cancel a read already under way).
  std::shared_ptr<spdy::Stream> SetAndWake(const std::string& type, bool* flag);

 private:
  const std::vector<std::string> expected_;
  const std::chrono::steady_clock::time_point deadline_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::string, std::shared_ptr<spdy::Stream>> streams_;  // by type; guarded by mu_
  bool over_ = false;                                             // guarded by mu_
};

// The client's bytes on a stream that may not be open yet.
class PendingReader final : public ByteReader {
 public:
  PendingReader(PendingStreams& streams, std::string type)
      : streams_(streams), type_(std::move(type)) {}
  Result<size_t> Read(char* buf, size_t len) override;
  void Cancel() override;

 private:
  PendingStreams& streams_;
  const std::string type_;
  bool cancelled_ = false;  // guarded by the PendingStreams' lock
};

// Bytes to the client on a stream that may not be open yet.
class PendingWriter final : public ByteWriter {
 public:
  PendingWriter(PendingStreams& streams, std::string type)
      : streams_(streams), type_(std::move(type)) {}
  Status Write(std::string_view data) override;
  // Half-closes the stream if it is open; the session's end closes the rest.
  void Close() override;

 private:
  PendingStreams& streams_;
  const std::string type_;
};

}  // namespace berth::streaming
