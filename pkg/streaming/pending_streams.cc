#include "pkg/streaming/pending_streams.h"

#include <algorithm>

namespace berth::streaming {

bool PendingStreams::Expects(const std::string& type) const {
  return std::find(expected_.begin(), expected_.end(), type) != expected_.end();
}

bool PendingStreams::Add(const std::string& type, std::shared_ptr<spdy::Stream> stream) {
  if (!Expects(type)) return false;
  std::lock_guard lock(mu_);
  if (!streams_.emplace(type, std::move(stream)).second) return false;
  changed_.notify_all();
  return true;
}

void PendingStreams::End() {
  std::lock_guard lock(mu_);
  over_ = true;
  changed_.notify_all();
}

bool PendingStreams::AwaitAll() {
  std::unique_lock lock(mu_);
  changed_.wait_until(lock, deadline_,
                      [&] { return over_ || streams_.size() == expected_.size(); });
  return !over_ && streams_.size() == expected_.size();
}

bool PendingStreams::AwaitEnd(std::chrono::steady_clock::duration timeout) {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, timeout, [&] { return over_; });
}

size_t PendingStreams::opened() const {
  std::lock_guard lock(mu_);
  return streams_.size();
}

std::shared_ptr<spdy::Stream> PendingStreams::Await(const std::string& type,
                                                    const bool* cancelled) {
  std::unique_lock lock(mu_);
  changed_.wait_until(lock, deadline_, [&] {
    return over_ || streams_.count(type) != 0 || (cancelled != nullptr && *cancelled);
  });
  if (cancelled != nullptr && *cancelled) return nullptr;
  auto it = streams_.find(type);
  return it == streams_.end() ? nullptr : it->second;
}

std::shared_ptr<spdy::Stream> PendingStreams::Peek(const std::string& type) const {
  std::lock_guard lock(mu_);
  auto it = streams_.find(type);
  return it == streams_.end() ? nullptr : it->second;
}

std::shared_ptr<spdy::Stream> PendingStreams::SetAndWake(const std::string& type, bool* flag) {
  std::lock_guard lock(mu_);
  *flag = true;
  changed_.notify_all();
  auto it = streams_.find(type);
  return it == streams_.end() ? nullptr : it->second;
}

Result<size_t> PendingReader::Read(char* buf, size_t len) {
  std::shared_ptr<spdy::Stream> s = streams_.Await(type_, &cancelled_);
  if (s == nullptr) return Unavailable("the client did not open its " + type_ + " stream");
  return s->Read(buf, len);
}

void PendingReader::Cancel() {
  // A Read waiting for the stream sees the flag; one already reading the
  // stream is woken by the stream's own cancel (which later Reads also see).
  if (std::shared_ptr<spdy::Stream> s = streams_.SetAndWake(type_, &cancelled_)) s->CancelRead();
}

Status PendingWriter::Write(std::string_view data) {
  std::shared_ptr<spdy::Stream> s = streams_.Await(type_);
  if (s == nullptr) return Unavailable("the client did not open its " + type_ + " stream");
  return s->Write(data);
}

void PendingWriter::Close() {
  if (std::shared_ptr<spdy::Stream> s = streams_.Peek(type_)) (void)s->CloseWrite();
}

}  // namespace berth::streaming
