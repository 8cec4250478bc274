// GetContainerEvents and the announcements behind it (see container_events.h).
#include "daemon/container_events.h"

#include <spdlog/spdlog.h>

#include <atomic>

#include "daemon/event_stream.h"
#include "daemon/object_ids.h"
#include "daemon/server.h"

namespace berth::daemon {

namespace rt = runtime::v1;

ContainerEvents::ContainerEvents(FillStatuses fill, Hub::Options options)
    : fill_(std::move(fill)), hub_(std::move(options)) {}

void ContainerEvents::Announce(const std::string& id, const std::string& sandbox_id,
                               const std::function<events::Phase()>& now) {
  std::lock_guard<std::mutex> lock(mu_);
  const events::Phase phase = now();
  auto told = told_.find(id);
  const events::Phase was = told == told_.end() ? events::Phase::kNone : told->second;
  for (rt::ContainerEventType type : events::EventsBetween(was, phase)) {
    rt::ContainerEventResponse event;
    event.set_container_id(id);
    event.set_container_event_type(type);
    event.set_created_at(NowNs());
    fill_(sandbox_id, &event);
    spdlog::debug("event {} for {}", rt::ContainerEventType_Name(type), id);
    hub_.Publish(std::move(event));
  }
  if (phase == events::Phase::kDeleted) {
    told_.erase(id);
  } else if (phase > was) {
    told_[id] = phase;
  }
}

void ContainerEvents::Seed(const std::string& id, events::Phase told) {
  std::lock_guard<std::mutex> lock(mu_);
  told_[id] = told;
}

void Server::InitEvents() {
  events_ = std::make_unique<ContainerEvents>(
      [this](const std::string& sandbox_id, rt::ContainerEventResponse* event) {
        FillEventStatuses(sandbox_id, event);
      },
      ContainerEvents::Hub::Options{});
}

void Server::FillEventStatuses(const std::string& sandbox_id, rt::ContainerEventResponse* event) {
  // The handlers' own answers, so an event says what a status call would.
  rt::PodSandboxStatusRequest pod_req;
  pod_req.set_pod_sandbox_id(sandbox_id);
  rt::PodSandboxStatusResponse pod;
  if (PodSandboxStatus(pod_req, &pod).ok()) *event->mutable_pod_sandbox_status() = pod.status();
  for (const auto& c : ContainersOf(sandbox_id)) {
    rt::ContainerStatusRequest req;
    req.set_container_id(c->id);
    rt::ContainerStatusResponse resp;
    // One still being created is not there yet for clients.
    if (ContainerStatus(req, &resp).ok()) *event->add_containers_statuses() = resp.status();
  }
}

void Server::AnnounceContainer(const Container& c) {
  events_->Announce(c.id, c.sandbox_id, [&] {
    return containers_.Read([&] {
      // Until creation is done, the container does not exist for clients.
      return c.stage.empty() ? events::PhaseOf(c.state) : events::Phase::kNone;
    });
  });
}

void Server::AnnounceContainerRemoved(const Container& c) {
  events_->Announce(c.id, c.sandbox_id, [] { return events::Phase::kDeleted; });
}

void Server::AnnounceSandbox(const Sandbox& s) {
  events_->Announce(s.id, s.id, [&] {
    return sandboxes_.Read(
        [&] { return s.stage.empty() ? events::PhaseOf(s.state) : events::Phase::kNone; });
  });
}

void Server::AnnounceSandboxRemoved(const Sandbox& s) {
  events_->Announce(s.id, s.id, [] { return events::Phase::kDeleted; });
}

Status Server::StreamContainerEvents(
    const std::function<void()>& subscribed, const std::function<bool()>& cancelled,
    const std::function<bool(const rt::ContainerEventResponse&)>& write, const std::string& peer) {
  // A number tells apart two subscriptions from one peer (unix socket peers
  // all look alike).
  static std::atomic<uint64_t> next_subscription{1};
  return StreamEvents(events_->hub(), peer + " #" + std::to_string(next_subscription++), subscribed,
                      cancelled, write);
}

}  // namespace berth::daemon
