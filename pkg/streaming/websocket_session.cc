// Exec, attach and port-forward over WebSocket (RFC 6455, Boost.Beast).
//
// Remote commands use Kubernetes' channel protocols: every message carries
// one channel's bytes behind a channel byte — 0 stdin, 1 stdout, 2 stderr,
// 3 error, 4 resize — as binary messages ("channel.k8s.io", v4, v5), or as
// text with the channel as an ASCII digit and base64 data
// ("base64.channel.k8s.io"). v5 adds channel 255: [255, n] says the client
// has no more to send on channel n (stdin's end). The server opens with an
// empty message on the first output channel so the client knows it is
// attached, and ends with the status on the error channel, then a close.
//
// Port-forward ("v4.channel.k8s.io", ports from the "ports" query, else
// from the CRI request) gives port i channels 2i (data) and 2i+1 (error);
// each opens with the port number as two little-endian bytes.
//
// The framing is websocket_channels.h's.
#include <spdlog/spdlog.h>

#include <charconv>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include "pkg/streaming/exec_status.h"
#include "pkg/streaming/port_forward_copy.h"
#include "pkg/streaming/protocol.h"
#include "pkg/streaming/upgrade_protocols.h"
#include "pkg/streaming/websocket_channels.h"
#include "pkg/streaming/websocket_upgrade.h"

namespace berth::streaming {

namespace {

constexpr uint8_t kStdin = 0, kStdout = 1, kStderr = 2, kError = 3, kResize = 4;
constexpr uint8_t kCloseSignal = 255;
// What one input channel may hold before the frame reader stops reading the
// socket (back-pressure instead of growing memory).
constexpr size_t kChannelBuffer = 256 * 1024;
constexpr size_t kMaxMessage = 16 * 1024 * 1024;

// Bytes from the client for one channel, filled by the frame reader.
class ChannelBuffer final : public ByteReader {
 public:
  // Blocks while full; false once the reader side is cancelled.
  bool Put(std::string data) {
    std::unique_lock lock(mu_);
    room_.wait(lock, [&] { return cancelled_ || ended_ || bytes_ < kChannelBuffer; });
    if (cancelled_ || ended_) return false;
    bytes_ += data.size();
    chunks_.push_back(std::move(data));
    ready_.notify_all();
    return true;
  }
  // End of the channel: EOF for a clean end, else an error for the reader.
  void End(bool clean) {
    std::lock_guard lock(mu_);
    if (ended_) return;
    ended_ = true;
    clean_ = clean;
    ready_.notify_all();
    room_.notify_all();
  }
  Result<size_t> Read(char* buf, size_t len) override {
    std::unique_lock lock(mu_);
    ready_.wait(lock, [&] { return cancelled_ || ended_ || !chunks_.empty(); });
    if (cancelled_) return Cancelled("channel read cancelled");
    if (chunks_.empty()) {
      if (clean_) return size_t{0};
      return Unavailable("client went away");
    }
    std::string& front = chunks_.front();
    size_t n = std::min(len, front.size() - offset_);
    memcpy(buf, front.data() + offset_, n);
    offset_ += n;
    bytes_ -= n;
    if (offset_ == front.size()) {
      chunks_.pop_front();
      offset_ = 0;
    }
    room_.notify_all();
    return n;
  }
  void Cancel() override {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    chunks_.clear();
    ready_.notify_all();
    room_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable ready_, room_;
  std::deque<std::string> chunks_;
  size_t offset_ = 0, bytes_ = 0;
  bool ended_ = false, clean_ = false, cancelled_ = false;
};

class WsWriter final : public ByteWriter {
 public:
  WsWriter(std::function<Status(std::string_view)> write) : write_(std::move(write)) {}
  Status Write(std::string_view data) override { return write_(data); }
  void Close() override {}  // channels end with the session

 private:
  std::function<Status(std::string_view)> write_;
};

void RunRemoteCommand(std::shared_ptr<Connection> conn, WsLink& ws, const StreamRequest& request,
                      int version, const Handlers& handlers) {
  ChannelBuffer in, resize;
  WsWriter out([&](std::string_view d) { return ws.Write(kStdout, d); });
  WsWriter err([&](std::string_view d) { return ws.Write(kStderr, d); });
  Hangup hangup;
  ExecIo io;
  io.hangup = &hangup;
  if (request.stdin) io.stdin = &in;
  if (request.stdout) io.stdout = &out;
  if (request.stderr) io.stderr = &err;
  if (request.tty) io.resize = &resize;
  // The client learns the session is up from an empty message.
  (void)ws.Write(request.stdout ? kStdout : request.stderr ? kStderr : kError, "");

  std::thread handler([&] {
    ExecOutcome outcome = handlers.exec(request, io);
    std::string message = ErrorChannelMessage(version, outcome);
    if (!message.empty()) (void)ws.Write(kError, message);
    ws.Close();
    conn->Close();
  });
  while (true) {
    Result<std::pair<uint8_t, std::string>> msg = ws.ReadMessage();
    if (!msg.ok()) break;
    auto& [channel, data] = *msg;
    if (channel == kStdin && !data.empty()) {
      if (!in.Put(std::move(data))) continue;
    } else if (channel == kResize) {
      (void)resize.Put(std::move(data));
    } else if (channel == kCloseSignal && version >= 5 && !data.empty()) {
      if (static_cast<uint8_t>(data[0]) == kStdin) in.End(true);
      if (static_cast<uint8_t>(data[0]) == kResize) resize.End(true);
    }
  }
  in.End(false);
  resize.End(true);
  hangup.Signal();
  handler.join();
}

// Ports for a WebSocket port-forward: the "ports" query (comma-separated,
// repeatable), else the CRI request's.
std::vector<uint16_t> ForwardPorts(const UpgradeRequest& req, const StreamRequest& request) {
  std::vector<uint16_t> ports;
  std::string target(req.target());
  size_t q = target.find('?');
  for (size_t pos = q; pos != std::string::npos && pos < target.size();) {
    size_t end = target.find('&', pos + 1);
    std::string_view kv = std::string_view(target).substr(
        pos + 1, end == std::string::npos ? std::string::npos : end - pos - 1);
    if (kv.substr(0, 6) == "ports=" || kv.substr(0, 5) == "port=") {
      std::string_view list = kv.substr(kv.find('=') + 1);
      for (const std::string& p : SplitProtocolList({list})) {
        unsigned v = 0;
        auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
        if (ec == std::errc() && ptr == p.data() + p.size() && v >= 1 && v <= 65535) {
          ports.push_back(static_cast<uint16_t>(v));
        }
      }
    }
    pos = end;
  }
  if (ports.empty()) {
    for (int32_t p : request.ports) ports.push_back(static_cast<uint16_t>(p));
  }
  return ports;
}

void RunPortForward(std::shared_ptr<Connection> conn, WsLink& ws, const UpgradeRequest& req,
                    const StreamRequest& request, const Handlers& handlers) {
  std::vector<uint16_t> ports = ForwardPorts(req, request);
  std::vector<std::unique_ptr<ChannelBuffer>> inputs;
  std::vector<OwnedSocket> sockets(ports.size());
  std::vector<std::thread> pumps;
  // As the kubelet does, the session ends when every port's connection has:
  // the client sees the pod's close as the WebSocket's.
  std::mutex done_mu;
  size_t ports_left = ports.size();  // guarded by done_mu
  auto port_done = [&] {
    std::lock_guard lock(done_mu);
    if (--ports_left > 0) return;
    ws.Close();
    conn->Close();
  };
  for (size_t i = 0; i < ports.size(); ++i) {
    inputs.push_back(std::make_unique<ChannelBuffer>());
    const uint8_t data_ch = static_cast<uint8_t>(2 * i), error_ch = static_cast<uint8_t>(2 * i + 1);
    const std::string port_prefix = {static_cast<char>(ports[i] & 0xFF),
                                     static_cast<char>(ports[i] >> 8)};
    (void)ws.Write(data_ch, port_prefix);
    (void)ws.Write(error_ch, port_prefix);
    Result<OwnedSocket> fd = handlers.dial(request, ports[i]);
    if (!fd.ok()) {
      (void)ws.Write(error_ch, fd.status().message());
      inputs[i]->Cancel();
      continue;
    }
    sockets[i] = std::move(*fd);
    NativeSocket sock = sockets[i].get();
    ChannelBuffer* input = inputs[i].get();
    pumps.emplace_back([&, input, sock, data_ch] {
      // v4 has no way to end one channel: the pod's end of stream reaches
      // the client when the session closes, once every port is done.
      ForwardConnection(
          sock, *input, [&](std::string_view d) { return ws.Write(data_ch, d); }, nullptr);
      port_done();
    });
  }
  // Ports that could not be dialled are done already.
  for (size_t i = 0; i < ports.size(); ++i) {
    if (!sockets[i]) port_done();
  }
  while (true) {
    Result<std::pair<uint8_t, std::string>> msg = ws.ReadMessage();
    if (!msg.ok()) break;
    auto& [channel, data] = *msg;
    size_t i = channel / 2;
    if (channel % 2 == 0 && i < inputs.size() && !data.empty())
      (void)inputs[i]->Put(std::move(data));
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    inputs[i]->End(false);
    if (sockets[i]) ShutdownSocket(sockets[i].get(), ShutdownHow::kBoth);
  }
  for (auto& t : pumps) t.join();
}

void Serve(std::shared_ptr<Connection> conn, WsLink& ws, const UpgradeRequest& req,
           const StreamRequest& request, const std::string& protocol, const Handlers& handlers) {
  if (Status s = ws.Accept(req, protocol); !s.ok()) {
    spdlog::info("streaming: {}", s.message());
    return;
  }
  if (request.kind == StreamKind::kPortForward) {
    RunPortForward(conn, ws, req, request, handlers);
  } else {
    RunRemoteCommand(conn, ws, request, protocol.empty() ? 1 : RemoteCommandVersion(protocol),
                     handlers);
  }
}

}  // namespace

std::string Base64(std::string_view in) {
  static constexpr char k[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s : {18, 12, 6, 0}) out.push_back(k[(v >> s) & 63]);
  }
  if (i < in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) v |= uint8_t(in[i + 1]) << 8;
    out.push_back(k[(v >> 18) & 63]);
    out.push_back(k[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? k[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> Unbase64(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    else if (c == '=')
      break;
    else
      return std::nullopt;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

void ServeWebSocket(std::shared_ptr<Connection> conn, const UpgradeRequest& req,
                    const StreamRequest& request, const std::string& protocol,
                    const Handlers& handlers) {
  const bool base64 = protocol.rfind("base64.", 0) == 0;
  if (conn->tls() != nullptr) {
    Result<std::unique_ptr<WsLink>> ws = NewTlsWsLink(conn, base64, kMaxMessage);
    if (!ws.ok()) {
      spdlog::info("streaming: {}", ws.status().message());
      return;
    }
    Serve(conn, **ws, req, request, protocol, handlers);
  } else {
    WsChannels<Connection::TcpStream> ws(conn, conn->tcp(), base64, kMaxMessage);
    Serve(conn, ws, req, request, protocol, handlers);
  }
}

}  // namespace berth::streaming
