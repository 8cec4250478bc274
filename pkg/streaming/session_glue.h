// Glue between the SPDY session and the protocol-neutral channels the
// handlers see (channels.h), and the transport over a server connection.
#pragma once

#include <memory>

#include "pkg/streaming/channels.h"
#include "pkg/streaming/connection.h"
#include "pkg/streaming/spdy_stream.h"
#include "pkg/streaming/spdy_transport.h"

namespace berth::streaming {

class ConnectionTransport final : public spdy::Transport {
 public:
  explicit ConnectionTransport(std::shared_ptr<Connection> conn) : conn_(std::move(conn)) {}
  Result<size_t> ReadSome(void* buf, size_t len) override { return conn_->ReadSome(buf, len); }
  Status WriteAll(const void* data, size_t len) override { return conn_->WriteAll(data, len); }
  Status WriteParts(std::span<const std::string_view> parts) override {
    return conn_->WriteParts(parts);
  }
  void Close() override { conn_->Close(); }

 private:
  std::shared_ptr<Connection> conn_;
};

class SpdyReader final : public ByteReader {
 public:
  explicit SpdyReader(std::shared_ptr<spdy::Stream> s) : s_(std::move(s)) {}
  Result<size_t> Read(char* buf, size_t len) override { return s_->Read(buf, len); }
  void Cancel() override { s_->CancelRead(); }

 private:
  std::shared_ptr<spdy::Stream> s_;
};

class SpdyWriter final : public ByteWriter {
 public:
  explicit SpdyWriter(std::shared_ptr<spdy::Stream> s) : s_(std::move(s)) {}
  Status Write(std::string_view data) override { return s_->Write(data); }
  void Close() override { (void)s_->CloseWrite(); }

 private:
  std::shared_ptr<spdy::Stream> s_;
};

}  // namespace berth::streaming
