#include "pkg/streaming/spdy_stream.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace berth::streaming::spdy {
Stream::Stream(std::weak_ptr<StreamOwner> owner, uint32_t id, bool local, HeaderBlock headers,
               size_t buffer_limit, size_t max_write_frame)
    : owner_(std::move(owner)),
      id_(id),
      local_(local),
      headers_(std::move(headers)),
      buffer_limit_(buffer_limit),
      max_write_frame_(std::max<size_t>(max_write_frame, 1)),
      replied_(!local) {}

HeaderBlock Stream::reply_headers() const {
  std::lock_guard l(mu_);
  return reply_headers_;
}

Status Stream::WaitReply() {
  std::unique_lock l(mu_);
  readable_.wait(l, [&] { return replied_ || reset_ || !ended_.ok(); });
  if (replied_) return OkStatus();
  if (reset_) return reset_status_;
  return ended_;
}

Result<size_t> Stream::Read(void* buf, size_t len) {
  if (len == 0) return size_t{0};
  size_t n = 0;
  uint32_t delta = 0;
  {
    std::unique_lock l(mu_);
    readable_.wait(l, [&] {
      return buffered_ > 0 || remote_fin_ || reset_ || read_cancelled_ || !ended_.ok();
    });
    if (reset_) return reset_status_;
    if (read_cancelled_) {
      return Cancelled("spdy stream " + std::to_string(id_) + ": reading was cancelled");
    }
    if (buffered_ == 0) {
      if (remote_fin_) return size_t{0};
      return ended_;
    }
    auto* out = static_cast<char*>(buf);
    while (n < len && !chunks_.empty()) {
      const std::string& front = chunks_.front();
      const size_t take = std::min(len - n, front.size() - front_offset_);
      std::memcpy(out + n, front.data() + front_offset_, take);
      n += take;
      front_offset_ += take;
      if (front_offset_ == front.size()) {
        chunks_.pop_front();
        front_offset_ = 0;
      }
    }
    buffered_ -= n;
    writable_.notify_all();
    unacked_ += static_cast<uint32_t>(n);
    // No credit for a stream the peer has finished: it will send no more.
    if (!remote_fin_ && unacked_ >= kWindowUpdateStep) {
      delta = unacked_;
      unacked_ = 0;
    }
  }
  if (auto owner = owner_.lock()) owner->Consumed(id_, n, delta);
  return n;
}

Status Stream::Write(std::string_view data) {
  auto owner = owner_.lock();
  if (!owner) return Unavailable("spdy stream " + std::to_string(id_) + ": session is gone");
  while (!data.empty()) {
    const size_t n = std::min(data.size(), max_write_frame_);
    BERTH_RETURN_IF_ERROR(owner->SendData(*this, data.substr(0, n), false));
    data.remove_prefix(n);
  }
  return OkStatus();
}

Status Stream::CloseWrite() {
  auto owner = owner_.lock();
  if (!owner) return Unavailable("spdy stream " + std::to_string(id_) + ": session is gone");
  return owner->SendData(*this, {}, true);
}

Status Stream::Reset(RstStatus status) {
  if (auto owner = owner_.lock()) return owner->SendReset(*this, status);
  MarkLocalReset(status);  // no connection left to tell; still wake local waiters
  return OkStatus();
}

void Stream::CancelRead() {
  std::lock_guard l(mu_);
  read_cancelled_ = true;
  DropBufferLocked();
  readable_.notify_all();
  writable_.notify_all();
}

size_t Stream::buffered() const {
  std::lock_guard l(mu_);
  return buffered_;
}

void Stream::Deliver(std::string data, bool fin) {
  std::unique_lock l(mu_);
  auto dropping = [&] { return reset_ || read_cancelled_ || remote_fin_ || !ended_.ok(); };
  // The read loop waits here while the consumer is behind: that stops it
  // reading the socket, and TCP pushes back on the peer. An empty buffer
  // takes any chunk, so a chunk bigger than the limit cannot wedge the loop.
  writable_.wait(
      l, [&] { return dropping() || buffered_ == 0 || buffered_ + data.size() <= buffer_limit_; });
  if (!dropping() && !data.empty()) {
    buffered_ += data.size();
    chunks_.push_back(std::move(data));
  }
  if (fin) remote_fin_ = true;
  readable_.notify_all();
}

bool Stream::OnReply(HeaderBlock headers, bool fin) {
  std::lock_guard l(mu_);
  if (replied_) return false;
  replied_ = true;
  reply_headers_ = std::move(headers);
  if (fin) remote_fin_ = true;
  readable_.notify_all();
  return true;
}

void Stream::OnRemoteReset(RstStatus status) {
  std::lock_guard l(mu_);
  if (reset_) return;
  ResetLocked(Unavailable("spdy stream " + std::to_string(id_) + " reset by peer (" +
                          RstStatusName(status) + ")"));
}

void Stream::OnSessionEnd(const Status& why) {
  std::lock_guard l(mu_);
  if (ended_.ok()) ended_ = why;
  readable_.notify_all();
  writable_.notify_all();
}

void Stream::SetHalfClosed(bool remote, bool local) {
  std::lock_guard l(mu_);
  remote_fin_ = remote_fin_ || remote;
  local_fin_ = local_fin_ || local;
}

Status Stream::BeginSend(bool fin) {
  std::lock_guard l(mu_);
  if (reset_) return reset_status_;
  if (local_fin_) {
    return FailedPrecondition("spdy stream " + std::to_string(id_) + " is closed for writing");
  }
  if (!ended_.ok()) return ended_;
  if (fin) local_fin_ = true;
  return OkStatus();
}

bool Stream::MarkLocalReset(RstStatus status) {
  std::lock_guard l(mu_);
  if (DoneLocked()) return false;
  ResetLocked(Cancelled("spdy stream " + std::to_string(id_) + " was reset (" +
                        RstStatusName(status) + ")"));
  return true;
}

bool Stream::remote_closed() const {
  std::lock_guard l(mu_);
  return remote_fin_ || reset_;
}

bool Stream::TakeClosed() {
  std::lock_guard l(mu_);
  if (closed_taken_ || !DoneLocked()) return false;
  closed_taken_ = true;
  return true;
}

void Stream::ResetLocked(Status why) {
  reset_ = true;
  reset_status_ = std::move(why);
  DropBufferLocked();
  readable_.notify_all();
  writable_.notify_all();
}

void Stream::DropBufferLocked() {
  chunks_.clear();
  front_offset_ = 0;
  buffered_ = 0;
}

}  // namespace berth::streaming::spdy
