// Exec and attach over SPDY/3.1. The client opens one stream per channel,
// each naming itself in a "streamtype" header: error (always), stdin,
// stdout, stderr as the request asked, and resize for a terminal from
// protocol v3 on. The handler runs at once, its channels waiting for their
// streams (pending_streams.h); when it returns, its outcome goes to the error
// stream and the connection closes (FIN first; the client's close is awaited
// for a few seconds).
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <thread>

#include "pkg/streaming/connection.h"
#include "pkg/streaming/exec_status.h"
#include "pkg/streaming/pending_streams.h"
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

  PendingStreams streams(std::move(expected),
                         std::chrono::steady_clock::now() + kStreamCreationTimeout);
  Hangup hangup;
  spdy::Session session(std::make_unique<ConnectionTransport>(conn), spdy::Role::kServer);

  // A client that never opens all its streams loses the session when the
  // creation time is up; the handler, already running, sees the hang-up.
  // (AwaitAll also gives up when the session ended first: nothing to close.)
  std::thread creation_watch([&] {
    if (streams.AwaitAll() || streams.AwaitEnd(std::chrono::steady_clock::duration::zero())) {
      return;
    }
    spdlog::info("streaming: {} {} {}: client opened {} of {} streams in {}s; closing",
                 conn->peer(), KindPath(request.kind), request.container_id, streams.opened(),
                 streams.expected(), kStreamCreationTimeout.count());
    session.Close();
  });

  std::thread handler([&] {
    std::optional<PendingReader> in, resize;
    std::optional<PendingWriter> out, err;
    ExecIo io;
    io.hangup = &hangup;
    if (streams.Expects("stdin")) io.stdin = &in.emplace(streams, "stdin");
    if (streams.Expects("stdout")) io.stdout = &out.emplace(streams, "stdout");
    if (streams.Expects("stderr")) io.stderr = &err.emplace(streams, "stderr");
    if (streams.Expects("resize")) io.resize = &resize.emplace(streams, "resize");
    ExecOutcome outcome = handlers.exec(request, io);
    // The outcome goes on the error stream: without all streams (the client
    // gave up or timed out) there is nobody to tell.
    if (!streams.AwaitAll()) {
      if (in) in->Cancel();
      if (resize) resize->Cancel();
      return;
    }
    if (out) out->Close();
    if (err) err->Close();
    std::shared_ptr<spdy::Stream> error_stream = streams.Peek("error");
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
    (void)streams.AwaitEnd(kLingerTimeout);
    session.Close();
  });

  Status ended = session.Run([&](std::shared_ptr<spdy::Stream> s) {
    std::string type(s->headers().Get("streamtype").value_or(""));
    if (!streams.Add(type, s)) {
      spdlog::info("streaming: {}: refusing {} stream \"{}\"", conn->peer(),
                   streams.Expects(type) ? "a second" : "an unexpected", type);
      (void)s->Reset(spdy::RstStatus::kRefusedStream);
    }
  });
  if (!ended.ok()) spdlog::info("streaming: {}: {}", conn->peer(), ended.message());
  streams.End();
  hangup.Signal();
  handler.join();
  creation_watch.join();
}

}  // namespace berth::streaming
