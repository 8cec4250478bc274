// Port-forward over SPDY/3.1 ("portforward.k8s.io"). For every connection
// the client forwards it opens two streams with the same "port" and
// "requestid" headers: "streamtype: error" first, then "streamtype: data".
// Once both are there berthd dials the port in the pod and copies both ways
// (port_forward_copy.h: each end of stream is passed on as a half-close, and
// the pair ends shortly after the pod's side has). A port that cannot be
// reached is reported on that pair's error stream only; other pairs and the
// session go on. Older clients send no requestid: then a data stream pairs
// with the error stream opened just before it (stream id − 2).
#include <spdlog/spdlog.h>

#include <atomic>
#include <charconv>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "pkg/streaming/port_forward_copy.h"
#include "pkg/streaming/session_glue.h"
#include "pkg/streaming/spdy_session.h"
#include "pkg/streaming/upgrade_protocols.h"

namespace berth::streaming {

namespace {

struct Pair {
  std::shared_ptr<spdy::Stream> error, data;
  int port = 0;
};

// The thread copying one pair, and whether it has finished.
struct Worker {
  std::thread thread;
  std::shared_ptr<std::atomic<bool>> done = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace

void ServeSpdyPortForward(std::shared_ptr<Connection> conn, const StreamRequest& request,
                          const Handlers& handlers) {
  spdy::Session session(std::make_unique<ConnectionTransport>(conn), spdy::Role::kServer);
  std::mutex mu;
  std::map<std::string, Pair> pending;  // by request id; guarded by mu
  std::set<NativeSocket> live_fds;      // sockets being copied; guarded by mu
  bool session_over = false;            // guarded by mu
  std::vector<Worker> workers;          // only the Run thread touches it

  auto forward = [&](Pair pair) {
    Result<OwnedSocket> fd = handlers.dial(request, static_cast<uint16_t>(pair.port));
    if (!fd.ok()) {
      spdlog::info("streaming: {}: {}", conn->peer(), fd.status().message());
      (void)pair.error->Write(fd.status().message());
      (void)pair.error->CloseWrite();
      (void)pair.data->Reset(spdy::RstStatus::kCancel);
      return;
    }
    {
      std::lock_guard lock(mu);
      if (session_over) return;
      live_fds.insert(fd->get());
    }
    SpdyReader from_client(pair.data);
    ForwardEnd end = ForwardConnection(
        fd->get(), from_client, [&](std::string_view d) { return pair.data->Write(d); },
        [&] { (void)pair.data->CloseWrite(); });
    {
      std::lock_guard lock(mu);
      live_fds.erase(fd->get());
    }
    // The end of the error stream is what ends the connection for client-go.
    (void)pair.error->CloseWrite();
    // Cut off after the linger: the client's half of the data stream is
    // abandoned too, so the session forgets the stream (nothing is sent for
    // a stream already closed both ways).
    if (!end.client_finished) (void)pair.data->Reset(spdy::RstStatus::kCancel);
  };

  Status ended = session.Run([&](std::shared_ptr<spdy::Stream> s) {
    std::string type(s->headers().Get("streamtype").value_or(""));
    std::string port_text(s->headers().Get("port").value_or(""));
    std::string id(s->headers().Get("requestid").value_or(""));
    int port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if ((type != "data" && type != "error") || ec != std::errc() ||
        end != port_text.data() + port_text.size() || port < 1 || port > 65535) {
      spdlog::info("streaming: {}: refusing port-forward stream (type \"{}\", port \"{}\")",
                   conn->peer(), type, port_text);
      (void)s->Reset(spdy::RstStatus::kRefusedStream);
      return;
    }
    if (id.empty()) id = std::to_string(type == "data" ? s->id() - 2 : s->id());
    std::lock_guard lock(mu);
    Pair& p = pending[id];
    (type == "data" ? p.data : p.error) = std::move(s);
    p.port = port;
    if (p.data && p.error) {
      Pair ready = std::move(p);
      pending.erase(id);
      // Finished workers are joined as new ones start: kubectl keeps one
      // session for hours and opens a pair per connection it forwards, and
      // an unjoined thread keeps its stack.
      std::erase_if(workers, [](Worker& w) {
        if (!*w.done) return false;
        w.thread.join();  // at once: its work is over
        return true;
      });
      Worker w;
      w.thread = std::thread([&forward, ready = std::move(ready), done = w.done]() mutable {
        forward(std::move(ready));
        *done = true;
      });
      workers.push_back(std::move(w));
    }
  });
  if (!ended.ok()) spdlog::info("streaming: {}: {}", conn->peer(), ended.message());
  {
    std::lock_guard lock(mu);
    session_over = true;
    // Wake every copier blocked on its pod socket; stream calls fail already.
    for (NativeSocket fd : live_fds) ShutdownSocket(fd, ShutdownHow::kBoth);
  }
  for (auto& w : workers) w.thread.join();
}

}  // namespace berth::streaming
