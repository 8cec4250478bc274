// Exec and attach over SPDY/3.1. The client opens one stream per channel,
// each naming itself in a "streamtype" header: error (always), stdin,
// stdout, stderr as the request asked, and resize for a terminal from
// protocol v3 on. Once all of them are there the handler runs; when it
// returns, its outcome goes to the error stream and the connection closes
// (FIN first; the client's close is awaited for a few seconds).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "pkg/streaming/connection.h"
#include "pkg/streaming/exec_status.h"
#include "pkg/streaming/session_glue.h"
#include "pkg/streaming/spdy_session.h"
#include "pkg/streaming/upgrade_protocols.h"

namespace berth::streaming {

namespace {
// How long a client may take to open all its streams after the upgrade.
constexpr auto kStreamCreationTimeout = std::chrono::seconds(30);
// How long, after the last frame, the client has to close the connection
// before the server closes it anyway.
constexpr auto kLingerTimeout = std::chrono::seconds(5);
}  // namespace

void ServeSpdyRemoteCommand(std::shared_ptr<Connection> conn, const StreamRequest& request,
                            int version, const Handlers& handlers) {
  std::vector<std::string> expected = {"error"};
  if (request.stdin) expected.push_back("stdin");
  if (request.stdout) expected.push_back("stdout");
  if (request.stderr) expected.push_back("stderr");
  if (request.tty && version >= 3) expected.push_back("resize");

  std::mutex mu;
  std::condition_variable changed;
  std::map<std::string, std::shared_ptr<spdy::Stream>> streams;  // by type; guarded by mu
  bool session_over = false;                                     // guarded by mu
  Hangup hangup;
  spdy::Session session(std::make_unique<ConnectionTransport>(conn), spdy::Role::kServer);

  std::thread handler([&] {
    {
      std::unique_lock lock(mu);
      bool complete = changed.wait_for(lock, kStreamCreationTimeout, [&] {
        return session_over || streams.size() == expected.size();
      });
      if (session_over) return;
      if (!complete) {
        spdlog::info("streaming: {} {} {}: client opened {} of {} streams in {}s; closing",
                     conn->peer(), KindPath(request.kind), request.container_id, streams.size(),
                     expected.size(), kStreamCreationTimeout.count());
        lock.unlock();
        session.Close();
        return;
      }
    }
    auto stream = [&](const char* type) { return streams.count(type) ? streams[type] : nullptr; };
    std::optional<SpdyReader> in, resize;
    std::optional<SpdyWriter> out, err;
    ExecIo io;
    io.hangup = &hangup;
    if (auto s = stream("stdin")) io.stdin = &in.emplace(s);
    if (auto s = stream("stdout")) io.stdout = &out.emplace(s);
    if (auto s = stream("stderr")) io.stderr = &err.emplace(s);
    if (auto s = stream("resize")) io.resize = &resize.emplace(s);
    ExecOutcome outcome = handlers.exec(request, io);
    if (out) out->Close();
    if (err) err->Close();
    std::shared_ptr<spdy::Stream> error_stream = stream("error");
    std::string message = ErrorChannelMessage(version, outcome);
    if (!message.empty()) (void)error_stream->Write(message);
    (void)error_stream->CloseWrite();
    // Everything is written (writes return once the transport took them).
    // Send FIN and wait for the client to close: closing while its frames
    // (stdin it still sends, WINDOW_UPDATEs) lie unread makes the kernel
    // reset the connection, and a reset throws away output not yet sent.
    // Nobody reads stdin or resize now: what comes is dropped, so the read
    // loop keeps draining.
    if (in) in->Cancel();
    if (resize) resize->Cancel();
    boost::asio::post(conn->strand(), [conn] {
      boost::system::error_code ignored;
      conn->tcp().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
    });
    {
      std::unique_lock lock(mu);
      changed.wait_for(lock, kLingerTimeout, [&] { return session_over; });
    }
    session.Close();
  });

  Status ended = session.Run([&](std::shared_ptr<spdy::Stream> s) {
    std::string type(s->headers().Get("streamtype").value_or(""));
    std::lock_guard lock(mu);
    bool wanted = std::find(expected.begin(), expected.end(), type) != expected.end();
    if (!wanted || streams.count(type)) {
      spdlog::info("streaming: {}: refusing {} stream \"{}\"", conn->peer(),
                   wanted ? "a second" : "an unexpected", type);
      (void)s->Reset(spdy::RstStatus::kRefusedStream);
      return;
    }
    streams[type] = std::move(s);
    changed.notify_all();
  });
  if (!ended.ok()) spdlog::info("streaming: {}: {}", conn->peer(), ended.message());
  {
    std::lock_guard lock(mu);
    session_over = true;
    changed.notify_all();
  }
  hangup.Signal();
  handler.join();
}

}  // namespace berth::streaming
