// Issue 15, "bad-input and chaos tests": every untrusted field of every CRI
// request, given an invalid value, against one real berthd. Each row names
// the gRPC code it must get and a fragment the message must hold (the field
// or the object), and the message must be printable: a hostile value may not
// forge a log line. After the table berthd still answers, the table made
// nothing, and the leak census is clean.
//
// A new case is one row: a builder for the request family (Pod, Ctr, Runtime,
// Image) with the edit that spoils the valid request it starts from.
#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <functional>
#include <future>
#include <string>
#include <vector>

#include "runtime/v1/api.grpc.pb.h"
#include "test/integration/images/image_env.h"
#include "test/integration/restore/restore_env.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;
using Code = grpc::StatusCode;
using RuntimeStub = rt::RuntimeService::Stub;
using ImageStub = rt::ImageService::Stub;

constexpr Code kInvalid = Code::INVALID_ARGUMENT;
constexpr Code kNotFound = Code::NOT_FOUND;
constexpr Code kPrecondition = Code::FAILED_PRECONDITION;
constexpr Code kUnimplemented = Code::UNIMPLEMENTED;

// An ID no object has (64 hex digits, like berth's).
const std::string kNoSuchId(64, 'f');

// What the rows act on: the pod, containers and image the table reuses.
struct World {
  RuntimeStub* runtime = nullptr;
  ImageStub* image = nullptr;
  std::string pod;        // a ready pod (host network)
  std::string running;    // a running container in it
  std::string created;    // a created, never started container in it
  std::string ambiguous;  // a prefix two of the containers share
  std::string log_dir;
  std::string busybox;
  std::string endpoint;  // berthd's socket, for requests no stub can spoil
};

struct Case {
  std::string name;
  Code code;
  std::string names;  // a fragment the message must contain
  std::function<grpc::Status(const World&)> call;
};

// ---- valid requests each row starts from ----

rt::PodSandboxConfig ValidPod(const World& w) {
  rt::PodSandboxConfig c = PodConfig("bad-input-pod", "uid-bad-input-pod");
  c.set_log_directory(w.log_dir);
  SetHostNetwork(&c);
  return c;
}

rt::ContainerConfig ValidContainer(const World& w) {
  rt::ContainerConfig c;
  c.mutable_metadata()->set_name("bad-input-ctr");
  c.mutable_image()->set_image(w.busybox);
  c.add_command("/bin/true");
  c.set_log_path("bad-input-ctr.log");
  return c;
}

// ---- builders: one per request family ----

// RunPodSandbox with the valid pod spoiled by `edit`; a pod the daemon
// wrongly accepts is removed again, so the census still counts.
Case Pod(std::string name, std::function<void(rt::RunPodSandboxRequest&)> edit, Code code,
         std::string names) {
  return {"RunPodSandbox: " + name, code, std::move(names), [edit](const World& w) {
            rt::RunPodSandboxRequest req;
            *req.mutable_config() = ValidPod(w);
            edit(req);
            rt::RunPodSandboxResponse resp;
            grpc::Status s =
                w.runtime->RunPodSandbox(Ctx(std::chrono::seconds(60)).get(), req, &resp);
            if (s.ok()) {
              rt::StopPodSandboxRequest stop;
              stop.set_pod_sandbox_id(resp.pod_sandbox_id());
              rt::StopPodSandboxResponse stopped;
              (void)w.runtime->StopPodSandbox(Ctx(std::chrono::seconds(60)).get(), stop, &stopped);
              rt::RemovePodSandboxRequest rm;
              rm.set_pod_sandbox_id(resp.pod_sandbox_id());
              rt::RemovePodSandboxResponse removed;
              (void)w.runtime->RemovePodSandbox(Ctx(std::chrono::seconds(60)).get(), rm, &removed);
            }
            return s;
          }};
}

// CreateContainer in the table's pod with the valid container spoiled by
// `edit`; a container wrongly created is removed again.
Case Ctr(std::string name, std::function<void(rt::CreateContainerRequest&, const World&)> edit,
         Code code, std::string names) {
  return {"CreateContainer: " + name, code, std::move(names), [edit](const World& w) {
            rt::CreateContainerRequest req;
            req.set_pod_sandbox_id(w.pod);
            *req.mutable_config() = ValidContainer(w);
            *req.mutable_sandbox_config() = ValidPod(w);
            edit(req, w);
            rt::CreateContainerResponse resp;
            grpc::Status s =
                w.runtime->CreateContainer(Ctx(std::chrono::seconds(60)).get(), req, &resp);
            if (s.ok()) {
              rt::RemoveContainerRequest rm;
              rm.set_container_id(resp.container_id());
              rt::RemoveContainerResponse removed;
              (void)w.runtime->RemoveContainer(Ctx(std::chrono::seconds(60)).get(), rm, &removed);
            }
            return s;
          }};
}

// Any other RPC: `fill` writes the whole request.
template <typename Stub, typename Req, typename Resp, typename Fill>
Case Call(std::string name, Stub* World::*stub,
          grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*), Fill fill,
          Code code, std::string names) {
  return {std::move(name), code, std::move(names), [stub, method, fill](const World& w) {
            Req req;
            fill(req, w);
            Resp resp;
            return ((w.*stub)->*method)(Ctx(std::chrono::seconds(60)).get(), req, &resp);
          }};
}

template <typename Req, typename Resp, typename Fill>
Case Runtime(std::string name,
             grpc::Status (RuntimeStub::*method)(grpc::ClientContext*, const Req&, Resp*),
             Fill fill, Code code, std::string names) {
  return Call(std::move(name), &World::runtime, method, fill, code, std::move(names));
}

template <typename Req, typename Resp, typename Fill>
Case Image(std::string name,
           grpc::Status (ImageStub::*method)(grpc::ClientContext*, const Req&, Resp*), Fill fill,
           Code code, std::string names) {
  return Call(std::move(name), &World::image, method, fill, code, std::move(names));
}

// A request of `method` whose bytes are `body` as they are: what a stub
// cannot send, a message that does not parse.
Case Raw(std::string name, std::string method, std::string body, Code code, std::string names) {
  return {
      std::move(name), code, std::move(names), [method, body](const World& w) {
        grpc::GenericStub stub(grpc::CreateChannel(w.endpoint, grpc::InsecureChannelCredentials()));
        grpc::Slice slice(body);
        grpc::ByteBuffer req(&slice, 1), resp;
        std::promise<grpc::Status> answered;
        auto ctx = Ctx(std::chrono::seconds(60));
        stub.UnaryCall(ctx.get(), method, grpc::StubOptions(), &req, &resp,
                       [&answered](grpc::Status s) { answered.set_value(std::move(s)); });
        return answered.get_future().get();
      }};
}

// Short edits for the rows.
rt::PodSandboxConfig& P(rt::RunPodSandboxRequest& r) {
  return *r.mutable_config();
}
rt::LinuxSandboxSecurityContext& PSec(rt::RunPodSandboxRequest& r) {
  return *r.mutable_config()->mutable_linux()->mutable_security_context();
}
rt::ContainerConfig& C(rt::CreateContainerRequest& r) {
  return *r.mutable_config();
}
rt::LinuxContainerSecurityContext& CSec(rt::CreateContainerRequest& r) {
  return *r.mutable_config()->mutable_linux()->mutable_security_context();
}
rt::LinuxContainerResources& CRes(rt::CreateContainerRequest& r) {
  return *r.mutable_config()->mutable_linux()->mutable_resources();
}
rt::Mount& AddMount(rt::CreateContainerRequest& r, const std::string& container_path,
                    const std::string& host_path) {
  rt::Mount* m = r.mutable_config()->add_mounts();
  m->set_container_path(container_path);
  m->set_host_path(host_path);
  return *m;
}
rt::Device& AddDevice(rt::CreateContainerRequest& r, const std::string& container_path,
                      const std::string& host_path, const std::string& permissions) {
  rt::Device* d = r.mutable_config()->add_devices();
  d->set_container_path(container_path);
  d->set_host_path(host_path);
  d->set_permissions(permissions);
  return *d;
}
void AddSysctl(rt::RunPodSandboxRequest& r, const std::string& key, const std::string& value) {
  (*r.mutable_config()->mutable_linux()->mutable_sysctls())[key] = value;
}
std::string Nul(const std::string& a, const std::string& b) {
  return a + std::string(1, '\0') + b;
}

using RunPodReq = rt::RunPodSandboxRequest;
using CreateReq = rt::CreateContainerRequest;
using SecProfile = rt::SecurityProfile;

std::vector<Case> PodCases() {
  const std::string long_name(300, 'a');
  // One row per line, so that a new case is one line.
  // clang-format off
  return {
      Pod("no metadata", [](RunPodReq& r) { P(r).clear_metadata(); }, kInvalid, "metadata"),
      Pod("empty name", [](RunPodReq& r) { P(r).mutable_metadata()->set_name(""); }, kInvalid, "metadata.name"),
      Pod("empty namespace", [](RunPodReq& r) { P(r).mutable_metadata()->set_namespace_(""); }, kInvalid, "metadata.namespace"),
      Pod("empty uid", [](RunPodReq& r) { P(r).mutable_metadata()->set_uid(""); }, kInvalid, "metadata.uid"),
      Pod("name with '/'", [](RunPodReq& r) { P(r).mutable_metadata()->set_name("a/b"); }, kInvalid, "metadata.name"),
      Pod("name with '_'", [](RunPodReq& r) { P(r).mutable_metadata()->set_name("a_b"); }, kInvalid, "metadata.name"),
      Pod("name ..", [](RunPodReq& r) { P(r).mutable_metadata()->set_name(".."); }, kInvalid, "metadata.name"),
      Pod("name too long", [long_name](RunPodReq& r) { P(r).mutable_metadata()->set_name(long_name); }, kInvalid, "metadata.name"),
      Pod("name with newline", [](RunPodReq& r) { P(r).mutable_metadata()->set_name("a\nb"); }, kInvalid, "metadata.name"),
      Pod("namespace with space", [](RunPodReq& r) { P(r).mutable_metadata()->set_namespace_("kube system"); }, kInvalid, "metadata.namespace"),
      Pod("namespace with '_'", [](RunPodReq& r) { P(r).mutable_metadata()->set_namespace_("a_b"); }, kInvalid, "metadata.namespace"),
      Pod("uid with '/'", [](RunPodReq& r) { P(r).mutable_metadata()->set_uid("../../etc"); }, kInvalid, "metadata.uid"),
      Pod("uid with escape", [](RunPodReq& r) { P(r).mutable_metadata()->set_uid("u\x1b[31m"); }, kInvalid, "metadata.uid"),
      Pod("hostname with '_'", [](RunPodReq& r) { P(r).set_hostname("my_host"); }, kInvalid, "hostname"),
      Pod("hostname with '/'", [](RunPodReq& r) { P(r).set_hostname("a/b"); }, kInvalid, "hostname"),
      Pod("hostname too long", [](RunPodReq& r) { P(r).set_hostname(std::string(70, 'h')); }, kInvalid, "hostname"),
      Pod("hostname label starts with '-'", [](RunPodReq& r) { P(r).set_hostname("-host"); }, kInvalid, "hostname"),
      Pod("hostname empty label", [](RunPodReq& r) { P(r).set_hostname("a..b"); }, kInvalid, "hostname"),
      Pod("hostname with newline", [](RunPodReq& r) { P(r).set_hostname("a\nb"); }, kInvalid, "hostname"),
      Pod("log_directory relative", [](RunPodReq& r) { P(r).set_log_directory("var/log/pods"); }, kInvalid, "log_directory"),
      Pod("log_directory with ..", [](RunPodReq& r) { P(r).set_log_directory("/var/log/../../etc"); }, kInvalid, "log_directory"),
      Pod("log_directory with newline", [](RunPodReq& r) { P(r).set_log_directory("/var/log/a\nb"); }, kInvalid, "log_directory"),
      Pod("dns server not an IP", [](RunPodReq& r) { P(r).mutable_dns_config()->add_servers("dns.example"); }, kInvalid, "dns_config.servers[0]"),
      Pod("dns server bad IPv6", [](RunPodReq& r) { P(r).mutable_dns_config()->add_servers("fe80::zz"); }, kInvalid, "dns_config.servers[0]"),
      Pod("dns server with newline", [](RunPodReq& r) { P(r).mutable_dns_config()->add_servers("1.1.1.1\nnameserver 6.6.6.6"); }, kInvalid, "dns_config.servers[0]"),
      Pod("dns search with space", [](RunPodReq& r) { P(r).mutable_dns_config()->add_searches("a b"); }, kInvalid, "dns_config.searches[0]"),
      Pod("dns search empty", [](RunPodReq& r) { P(r).mutable_dns_config()->add_searches(""); }, kInvalid, "dns_config.searches[0]"),
      Pod("dns search with newline", [](RunPodReq& r) { P(r).mutable_dns_config()->add_searches("a\nnameserver"); }, kInvalid, "dns_config.searches[0]"),
      Pod("dns 33 searches", [](RunPodReq& r) { for (int i = 0; i < 33; ++i) P(r).mutable_dns_config()->add_searches("s" + std::to_string(i)); }, kInvalid, "dns_config.searches"),
      Pod("dns option empty", [](RunPodReq& r) { P(r).mutable_dns_config()->add_options(""); }, kInvalid, "dns_config.options[0]"),
      Pod("dns option with newline", [](RunPodReq& r) { P(r).mutable_dns_config()->add_options("ndots:5\nnameserver"); }, kInvalid, "dns_config.options[0]"),
      Pod("container_port 0", [](RunPodReq& r) { P(r).add_port_mappings()->set_container_port(0); }, kInvalid, "port_mappings[0].container_port"),
      Pod("container_port 70000", [](RunPodReq& r) { P(r).add_port_mappings()->set_container_port(70000); }, kInvalid, "port_mappings[0].container_port"),
      Pod("host_port -1", [](RunPodReq& r) { auto* p = P(r).add_port_mappings(); p->set_container_port(80); p->set_host_port(-1); }, kInvalid, "port_mappings[0].host_port"),
      Pod("host_port 65536", [](RunPodReq& r) { auto* p = P(r).add_port_mappings(); p->set_container_port(80); p->set_host_port(65536); }, kInvalid, "port_mappings[0].host_port"),
      Pod("port protocol unknown", [](RunPodReq& r) { auto* p = P(r).add_port_mappings(); p->set_container_port(80); p->set_protocol(static_cast<rt::Protocol>(7)); }, kInvalid, "port_mappings[0].protocol"),
      Pod("port host_ip not an IP", [](RunPodReq& r) { auto* p = P(r).add_port_mappings(); p->set_container_port(80); p->set_host_ip("localhost"); }, kInvalid, "port_mappings[0].host_ip"),
      Pod("annotation empty key", [](RunPodReq& r) { (*P(r).mutable_annotations())[""] = "v"; }, kInvalid, "annotations"),
      Pod("annotation internal key", [](RunPodReq& r) { (*P(r).mutable_annotations())["io.berth.internal.sandbox-id"] = "x"; }, kInvalid, "io.berth.internal.sandbox-id"),
      Pod("label empty key", [](RunPodReq& r) { (*P(r).mutable_labels())[""] = "v"; }, kInvalid, "labels"),
      Pod("trust annotation neither true nor false", [](RunPodReq& r) { (*P(r).mutable_annotations())["io.kubernetes.cri-o.TrustedSandbox"] = "yes"; }, kInvalid, "io.kubernetes.cri-o.TrustedSandbox"),
      Pod("unknown runtime handler", [](RunPodReq& r) { r.set_runtime_handler("no-such-handler"); }, kInvalid, "no-such-handler"),
      Pod("cgroup_parent with ..", [](RunPodReq& r) { P(r).mutable_linux()->set_cgroup_parent("/kubepods/../../escape"); }, kInvalid, "linux.cgroup_parent"),
      Pod("cgroup_parent with newline", [](RunPodReq& r) { P(r).mutable_linux()->set_cgroup_parent("/kubepods\n"); }, kInvalid, "linux.cgroup_parent"),
      Pod("network namespace TARGET", [](RunPodReq& r) { PSec(r).mutable_namespace_options()->set_network(rt::TARGET); }, kInvalid, "namespace_options"),
      Pod("ipc namespace CONTAINER", [](RunPodReq& r) { PSec(r).mutable_namespace_options()->set_ipc(rt::CONTAINER); }, kInvalid, "namespace_options"),
      Pod("pid namespace mode unknown", [](RunPodReq& r) { PSec(r).mutable_namespace_options()->set_pid(static_cast<rt::NamespaceMode>(9)); }, kInvalid, "namespace_options"),
      Pod("user namespace POD", [](RunPodReq& r) { PSec(r).mutable_namespace_options()->mutable_userns_options()->set_mode(rt::POD); }, kUnimplemented, "userns_options"),
      Pod("run_as_user -1", [](RunPodReq& r) { PSec(r).mutable_run_as_user()->set_value(-1); }, kInvalid, "run_as_user"),
      Pod("run_as_group past 32 bits", [](RunPodReq& r) { PSec(r).mutable_run_as_user()->set_value(0); PSec(r).mutable_run_as_group()->set_value(5000000000LL); }, kInvalid, "run_as_group"),
      Pod("supplemental group -5", [](RunPodReq& r) { PSec(r).add_supplemental_groups(-5); }, kInvalid, "supplemental_groups"),
      Pod("seccomp Localhost relative", [](RunPodReq& r) { PSec(r).mutable_seccomp()->set_profile_type(SecProfile::Localhost); PSec(r).mutable_seccomp()->set_localhost_ref("profiles/x.json"); }, kInvalid, "seccomp.localhost_ref"),
      Pod("seccomp Localhost empty", [](RunPodReq& r) { PSec(r).mutable_seccomp()->set_profile_type(SecProfile::Localhost); }, kInvalid, "seccomp.localhost_ref"),
      Pod("seccomp profile type unknown", [](RunPodReq& r) { PSec(r).mutable_seccomp()->set_profile_type(static_cast<SecProfile::ProfileType>(9)); }, kInvalid, "seccomp.profile_type"),
      Pod("sysctl not namespaced", [](RunPodReq& r) { AddSysctl(r, "kernel.panic", "1"); }, kInvalid, "kernel.panic"),
      Pod("sysctl name with /..", [](RunPodReq& r) { AddSysctl(r, "net.ipv4/../../../proc/sysrq-trigger", "b"); }, kInvalid, "linux.sysctls"),
      Pod("net sysctl with host network", [](RunPodReq& r) { AddSysctl(r, "net.ipv4.ip_forward", "1"); }, kInvalid, "net.ipv4.ip_forward"),
      Pod("sysctl value with newline", [](RunPodReq& r) { PSec(r).mutable_namespace_options()->set_ipc(rt::POD); AddSysctl(r, "kernel.shmmax", "1\n2"); }, kInvalid, "kernel.shmmax"),
      Pod("sysctl empty name", [](RunPodReq& r) { AddSysctl(r, "", "1"); }, kInvalid, "linux.sysctls"),
      Pod("overhead negative memory", [](RunPodReq& r) { P(r).mutable_linux()->mutable_overhead()->set_memory_limit_in_bytes(-1); }, kInvalid, "linux.overhead"),
      Pod("overhead cpu_period 10", [](RunPodReq& r) { P(r).mutable_linux()->mutable_overhead()->set_cpu_period(10); }, kInvalid, "linux.overhead.cpu_period"),
      Pod("resources cpu_shares above max", [](RunPodReq& r) { P(r).mutable_linux()->mutable_resources()->set_cpu_shares(300000); }, kInvalid, "linux.resources.cpu_shares"),
      Pod("resources cpu_quota below 1 ms", [](RunPodReq& r) { P(r).mutable_linux()->mutable_resources()->set_cpu_quota(500); }, kInvalid, "linux.resources.cpu_quota"),
      Pod("resources negative shares", [](RunPodReq& r) { P(r).mutable_linux()->mutable_resources()->set_cpu_shares(-2); }, kInvalid, "linux.resources"),
      // clang-format on
  };
}

std::vector<Case> ContainerCases() {
  // One row per line, so that a new case is one line.
  // clang-format off
  return {
      Ctr("no pod_sandbox_id", [](CreateReq& r, const World&) { r.clear_pod_sandbox_id(); }, kInvalid, "pod_sandbox_id"),
      Ctr("unknown pod", [](CreateReq& r, const World&) { r.set_pod_sandbox_id(kNoSuchId); }, kNotFound, kNoSuchId),
      Ctr("pod id with newline", [](CreateReq& r, const World&) { r.set_pod_sandbox_id("ab\ncd"); }, kNotFound, "ab\\x0acd"),
      Ctr("no config", [](CreateReq& r, const World&) { r.clear_config(); }, kInvalid, "config"),
      Ctr("no metadata", [](CreateReq& r, const World&) { C(r).clear_metadata(); }, kInvalid, "metadata.name"),
      Ctr("name with '/'", [](CreateReq& r, const World&) { C(r).mutable_metadata()->set_name("a/b"); }, kInvalid, "metadata.name"),
      Ctr("name with '_'", [](CreateReq& r, const World&) { C(r).mutable_metadata()->set_name("a_b"); }, kInvalid, "metadata.name"),
      Ctr("name with newline", [](CreateReq& r, const World&) { C(r).mutable_metadata()->set_name("a\nb"); }, kInvalid, "metadata.name"),
      Ctr("image empty", [](CreateReq& r, const World&) { C(r).mutable_image()->set_image(""); }, kInvalid, "image"),
      Ctr("image with newline", [](CreateReq& r, const World&) { C(r).mutable_image()->set_image("busybox\nlatest"); }, kInvalid, "image"),
      Ctr("image not present", [](CreateReq& r, const World&) { C(r).mutable_image()->set_image("127.0.0.1:1/no/such:image"); }, kNotFound, "127.0.0.1:1/no/such:image"),
      Ctr("command with NUL", [](CreateReq& r, const World&) { C(r).set_command(0, Nul("/bin/tr", "ue")); }, kInvalid, "command[0]"),
      Ctr("args with NUL", [](CreateReq& r, const World&) { C(r).add_args("ok"); C(r).add_args(Nul("a", "b")); }, kInvalid, "args[1]"),
      Ctr("env key empty", [](CreateReq& r, const World&) { C(r).add_envs()->set_value("v"); }, kInvalid, "envs[0]"),
      Ctr("env key with '='", [](CreateReq& r, const World&) { auto* e = C(r).add_envs(); e->set_key("A=B"); e->set_value("v"); }, kInvalid, "envs[0]"),
      Ctr("env value with NUL", [](CreateReq& r, const World&) { auto* e = C(r).add_envs(); e->set_key("A"); e->set_value(Nul("v", "w")); }, kInvalid, "envs[0]"),
      Ctr("working_dir relative", [](CreateReq& r, const World&) { C(r).set_working_dir("srv"); }, kInvalid, "working_dir"),
      Ctr("mount container_path relative", [](CreateReq& r, const World&) { AddMount(r, "data", "/tmp"); }, kInvalid, "mounts[0].container_path"),
      Ctr("mount container_path with ..", [](CreateReq& r, const World&) { AddMount(r, "/data/../../etc", "/tmp"); }, kInvalid, "mounts[0].container_path"),
      Ctr("mount host_path relative", [](CreateReq& r, const World&) { AddMount(r, "/data", "tmp"); }, kInvalid, "mounts[0].host_path"),
      Ctr("mount host_path with ..", [](CreateReq& r, const World&) { AddMount(r, "/data", "/tmp/../etc"); }, kInvalid, "mounts[0].host_path"),
      Ctr("mount propagation unknown", [](CreateReq& r, const World&) { AddMount(r, "/data", "/tmp").set_propagation(static_cast<rt::MountPropagation>(9)); }, kInvalid, "mounts[0].propagation"),
      Ctr("mount target twice", [](CreateReq& r, const World&) { AddMount(r, "/data", "/tmp"); AddMount(r, "/data", "/var"); }, kInvalid, "mounts[1].container_path"),
      Ctr("recursive_read_only without readonly", [](CreateReq& r, const World&) { AddMount(r, "/data", "/tmp").set_recursive_read_only(true); }, kInvalid, "mounts[0].recursive_read_only"),
      Ctr("device container_path relative", [](CreateReq& r, const World&) { AddDevice(r, "dev/null", "/dev/null", "rw"); }, kInvalid, "devices[0].container_path"),
      Ctr("device host_path with ..", [](CreateReq& r, const World&) { AddDevice(r, "/dev/x", "/dev/../etc/shadow", "rw"); }, kInvalid, "devices[0].host_path"),
      Ctr("device permissions", [](CreateReq& r, const World&) { AddDevice(r, "/dev/x", "/dev/null", "rwx"); }, kInvalid, "devices[0].permissions"),
      Ctr("device missing", [](CreateReq& r, const World&) { AddDevice(r, "/dev/x", "/dev/berth-no-such-device", "rw"); }, kInvalid, "/dev/berth-no-such-device"),
      Ctr("device not a device", [](CreateReq& r, const World&) { AddDevice(r, "/dev/x", "/etc/hostname", "rw"); }, kInvalid, "/etc/hostname"),
      Ctr("log_path absolute", [](CreateReq& r, const World&) { C(r).set_log_path("/etc/passwd"); }, kInvalid, "log_path"),
      Ctr("log_path with ..", [](CreateReq& r, const World&) { C(r).set_log_path("../../etc/cron.d/x"); }, kInvalid, "log_path"),
      Ctr("log_path with newline", [](CreateReq& r, const World&) { C(r).set_log_path("a\nb.log"); }, kInvalid, "log_path"),
      Ctr("cpu_shares negative", [](CreateReq& r, const World&) { CRes(r).set_cpu_shares(-1); }, kInvalid, "cpu_shares"),
      Ctr("memory limit negative", [](CreateReq& r, const World&) { CRes(r).set_memory_limit_in_bytes(-5); }, kInvalid, "memory_limit_in_bytes"),
      Ctr("cpu_period 10", [](CreateReq& r, const World&) { CRes(r).set_cpu_period(10); }, kInvalid, "cpu_period"),
      Ctr("cpu_quota below 1 ms", [](CreateReq& r, const World&) { CRes(r).set_cpu_quota(10); }, kInvalid, "cpu_quota"),
      Ctr("memory swap below -1", [](CreateReq& r, const World&) { CRes(r).set_memory_swap_limit_in_bytes(-2); }, kInvalid, "memory_swap_limit_in_bytes"),
      Ctr("cpu_shares above max", [](CreateReq& r, const World&) { CRes(r).set_cpu_shares(300000); }, kInvalid, "cpu_shares"),
      Ctr("cpu_period above 1 s", [](CreateReq& r, const World&) { CRes(r).set_cpu_period(2000000); }, kInvalid, "cpu_period"),
      Ctr("oom_score_adj 2000", [](CreateReq& r, const World&) { CRes(r).set_oom_score_adj(2000); }, kInvalid, "oom_score_adj"),
      Ctr("cpuset_cpus garbage", [](CreateReq& r, const World&) { CRes(r).set_cpuset_cpus("0-x"); }, kInvalid, "cpuset_cpus"),
      Ctr("cpuset_mems garbage", [](CreateReq& r, const World&) { CRes(r).set_cpuset_mems("zero"); }, kInvalid, "cpuset_mems"),
      Ctr("hugepage size garbage", [](CreateReq& r, const World&) { auto* h = CRes(r).add_hugepage_limits(); h->set_page_size("huge"); h->set_limit(1); }, kInvalid, "hugepage"),
      Ctr("unified key with /", [](CreateReq& r, const World&) { (*CRes(r).mutable_unified())["../../cgroup.procs"] = "1"; }, kInvalid, "unified"),
      Ctr("run_as_group without user", [](CreateReq& r, const World&) { CSec(r).mutable_run_as_group()->set_value(10); }, kInvalid, "run_as_group"),
      Ctr("run_as_user -1", [](CreateReq& r, const World&) { CSec(r).mutable_run_as_user()->set_value(-1); }, kInvalid, "run_as_user"),
      Ctr("supplemental group past 32 bits", [](CreateReq& r, const World&) { CSec(r).add_supplemental_groups(1LL << 33); }, kInvalid, "supplemental_groups[0]"),
      Ctr("run_as_username unknown", [](CreateReq& r, const World&) { CSec(r).set_run_as_username("no-such-user"); }, kInvalid, "no-such-user"),
      Ctr("run_as_username with newline", [](CreateReq& r, const World&) { CSec(r).set_run_as_username("root\nx"); }, kInvalid, "run_as_username"),
      Ctr("capability add unknown", [](CreateReq& r, const World&) { CSec(r).mutable_capabilities()->add_add_capabilities("CAP_BOGUS"); }, kInvalid, "CAP_BOGUS"),
      Ctr("capability drop unknown", [](CreateReq& r, const World&) { CSec(r).mutable_capabilities()->add_drop_capabilities("NOT_A_CAP"); }, kInvalid, "NOT_A_CAP"),
      Ctr("capability with newline", [](CreateReq& r, const World&) { CSec(r).mutable_capabilities()->add_add_capabilities("CAP_CHOWN\nx"); }, kInvalid, "CAP_CHOWN\\x0ax"),
      Ctr("ambient capabilities", [](CreateReq& r, const World&) { CSec(r).mutable_capabilities()->add_add_ambient_capabilities("CAP_CHOWN"); }, kUnimplemented, "add_ambient_capabilities"),
      Ctr("seccomp Localhost empty", [](CreateReq& r, const World&) { CSec(r).mutable_seccomp()->set_profile_type(SecProfile::Localhost); }, kInvalid, "seccomp"),
      Ctr("seccomp Localhost relative", [](CreateReq& r, const World&) { CSec(r).mutable_seccomp()->set_profile_type(SecProfile::Localhost); CSec(r).mutable_seccomp()->set_localhost_ref("x.json"); }, kInvalid, "x.json"),
      Ctr("seccomp Localhost missing", [](CreateReq& r, const World&) { CSec(r).mutable_seccomp()->set_profile_type(SecProfile::Localhost); CSec(r).mutable_seccomp()->set_localhost_ref("/nonexistent/seccomp.json"); }, kInvalid, "/nonexistent/seccomp.json"),
      Ctr("seccomp Localhost not JSON", [](CreateReq& r, const World&) { CSec(r).mutable_seccomp()->set_profile_type(SecProfile::Localhost); CSec(r).mutable_seccomp()->set_localhost_ref("/etc/hostname"); }, kInvalid, "/etc/hostname"),
      Ctr("seccomp profile type unknown", [](CreateReq& r, const World&) { CSec(r).mutable_seccomp()->set_profile_type(static_cast<SecProfile::ProfileType>(9)); }, kInvalid, "seccomp"),
      Ctr("apparmor Localhost empty", [](CreateReq& r, const World&) { CSec(r).mutable_apparmor()->set_profile_type(SecProfile::Localhost); }, kInvalid, "apparmor"),
      Ctr("apparmor profile type unknown", [](CreateReq& r, const World&) { CSec(r).mutable_apparmor()->set_profile_type(static_cast<SecProfile::ProfileType>(9)); }, kInvalid, "apparmor"),
      Ctr("masked path relative", [](CreateReq& r, const World&) { CSec(r).add_masked_paths("proc/kcore"); }, kInvalid, "masked_paths[0]"),
      Ctr("masked path with ..", [](CreateReq& r, const World&) { CSec(r).add_masked_paths("/proc/../etc"); }, kInvalid, "masked_paths[0]"),
      Ctr("readonly path relative", [](CreateReq& r, const World&) { CSec(r).add_readonly_paths("sys"); }, kInvalid, "readonly_paths[0]"),
      Ctr("readonly path with newline", [](CreateReq& r, const World&) { CSec(r).add_readonly_paths("/sys\n"); }, kInvalid, "readonly_paths[0]"),
      Ctr("pid TARGET without target", [](CreateReq& r, const World&) { CSec(r).mutable_namespace_options()->set_pid(rt::TARGET); }, kInvalid, "target_id"),
      Ctr("pid TARGET unknown container", [](CreateReq& r, const World&) { CSec(r).mutable_namespace_options()->set_pid(rt::TARGET); CSec(r).mutable_namespace_options()->set_target_id(kNoSuchId); }, kInvalid, "target_id"),
      Ctr("pid TARGET ambiguous", [](CreateReq& r, const World& w) { CSec(r).mutable_namespace_options()->set_pid(rt::TARGET); CSec(r).mutable_namespace_options()->set_target_id(w.ambiguous); }, kInvalid, "target_id"),
      Ctr("network TARGET", [](CreateReq& r, const World&) { CSec(r).mutable_namespace_options()->set_network(rt::TARGET); }, kInvalid, "namespace_options"),
      Ctr("pid mode unknown", [](CreateReq& r, const World&) { CSec(r).mutable_namespace_options()->set_pid(static_cast<rt::NamespaceMode>(9)); }, kInvalid, "namespace_options.pid"),
      Ctr("annotation empty key", [](CreateReq& r, const World&) { (*C(r).mutable_annotations())[""] = "v"; }, kInvalid, "annotations"),
      Ctr("annotation internal key", [](CreateReq& r, const World&) { (*C(r).mutable_annotations())["io.berth.internal.log-path"] = "/etc/passwd"; }, kInvalid, "io.berth.internal.log-path"),
      Ctr("label empty key", [](CreateReq& r, const World&) { (*C(r).mutable_labels())[""] = "v"; }, kInvalid, "labels"),
      Ctr("CDI device", [](CreateReq& r, const World&) { C(r).add_cdi_devices()->set_name("vendor.com/gpu=0"); }, kUnimplemented, "CDI"),
      // clang-format on
  };
}

std::vector<Case> IdCases() {
  using Stub = RuntimeStub;
  auto cid = [](const std::string& id) {
    return [id](auto& r, const World&) { r.set_container_id(id); };
  };
  auto pid = [](const std::string& id) {
    return [id](auto& r, const World&) { r.set_pod_sandbox_id(id); };
  };
  auto ambiguous = [](auto& r, const World& w) { r.set_container_id(w.ambiguous); };
  auto created = [](auto& r, const World& w) { r.set_container_id(w.created); };
  // One row per line, so that a new case is one line.
  // clang-format off
  return {
      Runtime("StartContainer: empty id", &Stub::StartContainer, cid(""), kInvalid, "container_id"),
      Runtime("StartContainer: unknown id", &Stub::StartContainer, cid(kNoSuchId), kNotFound, kNoSuchId),
      Runtime("StartContainer: ambiguous prefix", &Stub::StartContainer, ambiguous, kInvalid, "ambiguous"),
      Runtime("StopContainer: empty id", &Stub::StopContainer, cid(""), kInvalid, "container_id"),
      Runtime("StopContainer: negative timeout", &Stub::StopContainer, [](auto& r, const World& w) { r.set_container_id(w.created); r.set_timeout(-1); }, kInvalid, "timeout"),
      Runtime("StopContainer: ambiguous prefix", &Stub::StopContainer, ambiguous, kInvalid, "ambiguous"),
      Runtime("RemoveContainer: empty id", &Stub::RemoveContainer, cid(""), kInvalid, "container_id"),
      Runtime("RemoveContainer: ambiguous prefix", &Stub::RemoveContainer, ambiguous, kInvalid, "ambiguous"),
      Runtime("ContainerStatus: empty id", &Stub::ContainerStatus, cid(""), kInvalid, "container_id"),
      Runtime("ContainerStatus: unknown id", &Stub::ContainerStatus, cid(kNoSuchId), kNotFound, kNoSuchId),
      Runtime("ContainerStatus: id with newline", &Stub::ContainerStatus, cid("ab\ncd"), kNotFound, "ab\\x0acd"),
      Runtime("ContainerStatus: ambiguous prefix", &Stub::ContainerStatus, ambiguous, kInvalid, "ambiguous"),
      Runtime("ContainerStats: unknown id", &Stub::ContainerStats, cid(kNoSuchId), kNotFound, kNoSuchId),
      Runtime("ContainerStats: empty id", &Stub::ContainerStats, cid(""), kInvalid, "container_id"),
      Runtime("ReopenContainerLog: unknown id", &Stub::ReopenContainerLog, cid(kNoSuchId), kNotFound, kNoSuchId),
      Runtime("ReopenContainerLog: not running", &Stub::ReopenContainerLog, created, kPrecondition, "not running"),
      Runtime("UpdateContainerResources: unknown id", &Stub::UpdateContainerResources, cid(kNoSuchId), kNotFound, kNoSuchId),
      Runtime("UpdateContainerResources: cpu_shares negative", &Stub::UpdateContainerResources, [](auto& r, const World& w) { r.set_container_id(w.running); r.mutable_linux()->set_cpu_shares(-1); }, kInvalid, "cpu_shares"),
      Runtime("UpdateContainerResources: memory negative", &Stub::UpdateContainerResources, [](auto& r, const World& w) { r.set_container_id(w.running); r.mutable_linux()->set_memory_limit_in_bytes(-1); }, kInvalid, "memory_limit_in_bytes"),
      Runtime("UpdateContainerResources: oom_score_adj 5000", &Stub::UpdateContainerResources, [](auto& r, const World& w) { r.set_container_id(w.running); r.mutable_linux()->set_oom_score_adj(5000); }, kInvalid, "oom_score_adj"),
      Runtime("UpdateContainerResources: cpuset garbage", &Stub::UpdateContainerResources, [](auto& r, const World& w) { r.set_container_id(w.running); r.mutable_linux()->set_cpuset_cpus("all"); }, kInvalid, "cpuset_cpus"),
      Runtime("UpdateContainerResources: cpu_quota below 1 ms", &Stub::UpdateContainerResources, [](auto& r, const World& w) { r.set_container_id(w.running); r.mutable_linux()->set_cpu_quota(5); }, kInvalid, "cpu_quota"),
      Runtime("UpdateContainerResources: windows", &Stub::UpdateContainerResources, [](auto& r, const World& w) { r.set_container_id(w.running); r.mutable_windows()->set_cpu_count(1); }, kInvalid, "windows"),
      Runtime("ExecSync: empty id", &Stub::ExecSync, [](auto& r, const World&) { r.add_cmd("true"); }, kInvalid, "container_id"),
      Runtime("ExecSync: unknown id", &Stub::ExecSync, [](auto& r, const World&) { r.set_container_id(kNoSuchId); r.add_cmd("true"); }, kNotFound, kNoSuchId),
      Runtime("ExecSync: empty cmd", &Stub::ExecSync, [](auto& r, const World& w) { r.set_container_id(w.running); }, kInvalid, "cmd"),
      Runtime("ExecSync: negative timeout", &Stub::ExecSync, [](auto& r, const World& w) { r.set_container_id(w.running); r.add_cmd("true"); r.set_timeout(-1); }, kInvalid, "timeout"),
      Runtime("ExecSync: cmd with NUL", &Stub::ExecSync, [](auto& r, const World& w) { r.set_container_id(w.running); r.add_cmd(Nul("tr", "ue")); }, kInvalid, "cmd[0]"),
      Runtime("ExecSync: ambiguous prefix", &Stub::ExecSync, [](auto& r, const World& w) { r.set_container_id(w.ambiguous); r.add_cmd("true"); }, kInvalid, "ambiguous"),
      Runtime("ExecSync: not running", &Stub::ExecSync, [](auto& r, const World& w) { r.set_container_id(w.created); r.add_cmd("true"); }, kPrecondition, "not running"),
      Runtime("Exec: unknown id", &Stub::Exec, [](auto& r, const World&) { r.set_container_id(kNoSuchId); r.add_cmd("sh"); r.set_stdout(true); }, kNotFound, kNoSuchId),
      Runtime("Exec: empty cmd", &Stub::Exec, [](auto& r, const World& w) { r.set_container_id(w.running); r.set_stdout(true); }, kInvalid, "cmd"),
      Runtime("Exec: ambiguous prefix", &Stub::Exec, [](auto& r, const World& w) { r.set_container_id(w.ambiguous); r.add_cmd("sh"); r.set_stdout(true); }, kInvalid, "ambiguous"),
      Runtime("Exec: no stream", &Stub::Exec, [](auto& r, const World& w) { r.set_container_id(w.running); r.add_cmd("sh"); }, kInvalid, "stdin, stdout and stderr"),
      Runtime("Exec: tty and stderr", &Stub::Exec, [](auto& r, const World& w) { r.set_container_id(w.running); r.add_cmd("sh"); r.set_tty(true); r.set_stdout(true); r.set_stderr(true); }, kInvalid, "tty and stderr"),
      Runtime("Exec: cmd with NUL", &Stub::Exec, [](auto& r, const World& w) { r.set_container_id(w.running); r.add_cmd(Nul("s", "h")); r.set_stdout(true); }, kInvalid, "cmd[0]"),
      Runtime("Attach: unknown id", &Stub::Attach, [](auto& r, const World&) { r.set_container_id(kNoSuchId); r.set_stdout(true); }, kNotFound, kNoSuchId),
      Runtime("Attach: no stream", &Stub::Attach, [](auto& r, const World& w) { r.set_container_id(w.running); }, kInvalid, "stdin, stdout and stderr"),
      Runtime("Attach: not running", &Stub::Attach, [](auto& r, const World& w) { r.set_container_id(w.created); r.set_stdout(true); }, kPrecondition, "not running"),
      Runtime("PortForward: empty pod id", &Stub::PortForward, pid(""), kInvalid, "pod_sandbox_id"),
      Runtime("PortForward: unknown pod", &Stub::PortForward, pid(kNoSuchId), kNotFound, kNoSuchId),
      Runtime("PortForward: port 0", &Stub::PortForward, [](auto& r, const World& w) { r.set_pod_sandbox_id(w.pod); r.add_port(0); }, kInvalid, "port"),
      Runtime("PortForward: port 70000", &Stub::PortForward, [](auto& r, const World& w) { r.set_pod_sandbox_id(w.pod); r.add_port(70000); }, kInvalid, "port"),
      Runtime("PortForward: port -1", &Stub::PortForward, [](auto& r, const World& w) { r.set_pod_sandbox_id(w.pod); r.add_port(-1); }, kInvalid, "port"),
      Runtime("PodSandboxStatus: empty id", &Stub::PodSandboxStatus, pid(""), kInvalid, "pod_sandbox_id"),
      Runtime("PodSandboxStatus: unknown id", &Stub::PodSandboxStatus, pid(kNoSuchId), kNotFound, kNoSuchId),
      Runtime("PodSandboxStats: unknown id", &Stub::PodSandboxStats, pid(kNoSuchId), kNotFound, kNoSuchId),
      Runtime("PodSandboxStats: empty id", &Stub::PodSandboxStats, pid(""), kInvalid, "pod_sandbox_id"),
      Runtime("StopPodSandbox: empty id", &Stub::StopPodSandbox, pid(""), kInvalid, "pod_sandbox_id"),
      Runtime("RemovePodSandbox: empty id", &Stub::RemovePodSandbox, pid(""), kInvalid, "pod_sandbox_id"),
      Runtime("UpdatePodSandboxResources: unknown id", &Stub::UpdatePodSandboxResources, [](auto& r, const World&) { r.set_pod_sandbox_id(kNoSuchId); r.mutable_resources()->set_cpu_shares(2); }, kNotFound, kNoSuchId),
      Runtime("UpdatePodSandboxResources: negative memory", &Stub::UpdatePodSandboxResources, [](auto& r, const World& w) { r.set_pod_sandbox_id(w.pod); r.mutable_resources()->set_memory_limit_in_bytes(-1); }, kInvalid, "resources"),
      Runtime("UpdatePodSandboxResources: cpu_period 5", &Stub::UpdatePodSandboxResources, [](auto& r, const World& w) { r.set_pod_sandbox_id(w.pod); r.mutable_resources()->set_cpu_period(5); }, kInvalid, "cpu_period"),
      Runtime("UpdateRuntimeConfig: pod_cidr garbage", &Stub::UpdateRuntimeConfig, [](auto& r, const World&) { r.mutable_runtime_config()->mutable_network_config()->set_pod_cidr("10.0.0.0/99"); }, kInvalid, "pod_cidr"),
      // The List calls parse their own requests (raw RPCs): a truncated filter.
      Raw("ListContainers: request does not parse", "/runtime.v1.RuntimeService/ListContainers", "\x0a\x20\x0a", kInvalid, "runtime.v1.ListContainersRequest"),
      Raw("ListPodSandbox: request does not parse", "/runtime.v1.RuntimeService/ListPodSandbox", "\x0a\x20\x0a", kInvalid, "runtime.v1.ListPodSandboxRequest"),
      // clang-format on
  };
}

std::vector<Case> ImageCases() {
  using Stub = ImageStub;
  auto pull = [](const std::string& ref) {
    return [ref](rt::PullImageRequest& r, const World&) { r.mutable_image()->set_image(ref); };
  };
  auto status = [](const std::string& ref) {
    return [ref](rt::ImageStatusRequest& r, const World&) { r.mutable_image()->set_image(ref); };
  };
  auto remove = [](const std::string& ref) {
    return [ref](rt::RemoveImageRequest& r, const World&) { r.mutable_image()->set_image(ref); };
  };
  // One row per line, so that a new case is one line.
  // clang-format off
  return {
      Image("PullImage: empty reference", &Stub::PullImage, pull(""), kInvalid, "image"),
      Image("PullImage: upper-case repository", &Stub::PullImage, pull("127.0.0.1:5000/BusyBox:latest"), kInvalid, "BusyBox"),
      Image("PullImage: space in reference", &Stub::PullImage, pull("busy box"), kInvalid, "busy box"),
      Image("PullImage: newline in reference", &Stub::PullImage, pull("busybox\n:latest"), kInvalid, "busybox\\x0a:latest"),
      Image("PullImage: tag too long", &Stub::PullImage, pull("busybox:" + std::string(200, 't')), kInvalid, "tag"),
      Image("PullImage: digest not hex", &Stub::PullImage, pull("busybox@sha256:" + std::string(64, 'z')), kInvalid, "digest"),
      Image("PullImage: digest too short", &Stub::PullImage, pull("busybox@sha256:abc"), kInvalid, "digest"),
      Image("PullImage: digest algorithm unknown", &Stub::PullImage, pull("busybox@md5:" + std::string(32, 'a')), kInvalid, "md5"),
      Image("PullImage: port out of range", &Stub::PullImage, pull("127.0.0.1:99999/busybox"), kInvalid, "99999"),
      Image("PullImage: not in the registry", &Stub::PullImage, [](auto& r, const World& w) { r.mutable_image()->set_image(w.busybox.substr(0, w.busybox.find('/')) + "/berth-test/no-such-image:latest"); }, kNotFound, "berth-test/no-such-image"),
      Image("PullImage: auth not base64", &Stub::PullImage, [](auto& r, const World& w) { r.mutable_image()->set_image(w.busybox); r.mutable_auth()->set_auth("!!!not base64!!!"); }, kInvalid, "auth"),
      Image("PullImage: auth without colon", &Stub::PullImage, [](auto& r, const World& w) { r.mutable_image()->set_image(w.busybox); r.mutable_auth()->set_auth("dXNlcm5hbWU="); }, kInvalid, "auth"),
      Image("PullImage: registry_token with newline", &Stub::PullImage, [](auto& r, const World& w) { r.mutable_image()->set_image(w.busybox); r.mutable_auth()->set_registry_token("tok\r\nX-Evil: 1"); }, kInvalid, "registry_token"),
      Image("PullImage: username with newline", &Stub::PullImage, [](auto& r, const World& w) { r.mutable_image()->set_image(w.busybox); r.mutable_auth()->set_username("u\nv"); r.mutable_auth()->set_password("p"); }, kInvalid, "username"),
      Image("PullImage: password with NUL", &Stub::PullImage, [](auto& r, const World& w) { r.mutable_image()->set_image(w.busybox); r.mutable_auth()->set_username("u"); r.mutable_auth()->set_password(Nul("p", "q")); }, kInvalid, "password"),
      Image("ImageStatus: empty reference", &Stub::ImageStatus, status(""), kInvalid, "image"),
      Image("RemoveImage: empty reference", &Stub::RemoveImage, remove(""), kInvalid, "image"),
      Image("RemoveImage: in use", &Stub::RemoveImage, [](auto& r, const World& w) { r.mutable_image()->set_image(w.busybox); }, kPrecondition, "in use"),
      // clang-format on
  };
}

// No control byte in `s`: a hostile value must come back escaped.
bool Printable(const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

class BadInputTableTest : public RestoreFixture {
 protected:
  World world_;
};

TEST_F(BadInputTableTest, EveryBadFieldIsRefusedNamingItAndNothingLeaks) {
  ASSERT_NO_FATAL_FAILURE(StartRestoreDaemon());
  ASSERT_NO_FATAL_FAILURE(PullBusybox());
  world_.runtime = &d_->runtime();
  world_.image = &d_->image();
  world_.log_dir = LogDir();
  world_.busybox = BusyboxRef();
  world_.endpoint = d_->endpoint();

  // The valid requests the rows spoil work as they are (so a row fails
  // only for its own edit): the pod, a started and a created container.
  {
    rt::RunPodSandboxRequest req;
    *req.mutable_config() = ValidPod(world_);
    req.mutable_config()->mutable_metadata()->set_name("bad-input-world");
    rt::RunPodSandboxResponse resp;
    grpc::Status s = d_->runtime().RunPodSandbox(Ctx(std::chrono::seconds(120)).get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << d_->Log();
    world_.pod = resp.pod_sandbox_id();
  }
  {
    std::string id;
    grpc::Status s = Create(world_.pod, ValidContainer(world_), &id);
    ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << d_->Log();
    ASSERT_TRUE(RemoveContainer(id).ok());
  }
  world_.running = CreateAndStartOk(world_.pod, TermExiting("running"));
  world_.created = CreateOk(world_.pod, TermExiting("created"));
  // Created containers until two IDs share a first digit (16 digits: at most
  // 17 containers), for the ambiguous-prefix rows.
  std::vector<std::string> ids = {world_.running, world_.created};
  while (world_.ambiguous.empty()) {
    for (size_t i = 0; i + 1 < ids.size() && world_.ambiguous.empty(); ++i) {
      if (ids[i][0] == ids.back()[0]) world_.ambiguous = ids.back().substr(0, 1);
    }
    if (world_.ambiguous.empty()) {
      ASSERT_LT(ids.size(), 17u);
      ids.push_back(CreateOk(world_.pod, TermExiting("spare-" + std::to_string(ids.size()))));
    }
  }
  ASSERT_FALSE(::testing::Test::HasFailure()) << d_->Log();

  std::vector<Case> cases;
  for (auto family : {PodCases, ContainerCases, IdCases, ImageCases}) {
    for (Case& c : family()) cases.push_back(std::move(c));
  }
  ASSERT_GE(cases.size(), 100u);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    grpc::Status s = c.call(world_);
    EXPECT_EQ(s.error_code(), c.code) << s.error_code() << ": " << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(c.names));
    EXPECT_TRUE(Printable(s.error_message())) << s.error_message();
  }

  // berthd is the same process and answers; the table made nothing.
  EXPECT_EQ(::kill(d_->pid(), 0), 0) << d_->Log();
  rt::VersionRequest version;
  rt::VersionResponse v;
  ASSERT_TRUE(d_->runtime().Version(Ctx().get(), version, &v).ok());
  EXPECT_EQ(List().size(), 1u);
  std::vector<std::string> listed;
  for (const auto& c : ListContainers()) listed.push_back(c.id());
  EXPECT_THAT(listed, ::testing::UnorderedElementsAreArray(ids));
  KubeletCleanup();
  ExpectNoLeaksAtAll();
}

}  // namespace
}  // namespace berth::testing
