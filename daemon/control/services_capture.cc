// Capture: server-streaming pcap records (`stackctl capture -w - 'tcp port 80'`).
#include <time.h>

#include <fmt/format.h>

#include "control/capture.h"
#include "control/convert.h"
#include "control/service_common.h"

namespace stackd::control {
namespace {

using grpc::ServerContext;
using grpc::Status;
using grpc::StatusCode;

int64_t clock_ns(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

class CaptureService final : public pb::Capture::Service {
 public:
  explicit CaptureService(ServiceContext& c) : c_(c) {}

  Status Start(ServerContext* ctx, const pb::CaptureRequest* req, grpc::ServerWriter<pb::CaptureRecord>* w) override {
    // As tcpdump needs CAP_NET_RAW: traffic is not for every reader.
    if (auto s = c_.auth->check(*ctx, Access::kMutate, "capture"); !s.ok()) return s;
    uint16_t ifindex = 0;
    std::vector<std::string> names;  // by ifindex
    auto st = on_worker(c_, [&](stack::Stack& s, Instant) {
      for (const auto& i : s.interfaces()) {
        if (!i) continue;
        if (names.size() <= i->index) names.resize(i->index + 1u);
        names[i->index] = i->name;
      }
      if (!req->dev().empty()) {
        ifindex = ifindex_of(s, req->dev());
        if (ifindex == 0) return Status(StatusCode::NOT_FOUND, fmt::format("no link \"{}\"", req->dev()));
      }
      return Status::OK;
    });
    if (!st.ok()) return st;
    std::string err;
    auto session = CaptureSession::create(req->filter(), req->snaplen(), ifindex, &err);
    if (!session) return {StatusCode::INVALID_ARGUMENT, err};
    const int64_t wall_offset = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);

    pb::CaptureRecord hdr;
    hdr.set_link_type(DLT_EN10MB);
    hdr.set_snaplen(session->snaplen());
    if (!w->Write(hdr)) return Status::OK;
    if (!c_.queue->call([&](stack::Stack& s, Instant) { c_.capture->add(s, session); return true; }, c_.timeout))
      return worker_gone();

    uint64_t sent = 0;
    std::vector<CapturedFrame> frames;
    bool open = true;
    while (open && !ctx->IsCancelled() && (req->count() == 0 || sent < req->count())) {
      frames.clear();
      session->take(&frames, std::chrono::milliseconds(200));
      for (auto& f : frames) {
        pb::CaptureRecord r;
        r.set_ts_ns(static_cast<uint64_t>(f.mono_ns + wall_offset));
        r.set_orig_len(f.orig_len);
        r.set_data(f.data.data(), f.data.size());
        if (f.ifindex < names.size()) r.set_dev(names[f.ifindex]);
        r.set_outgoing(f.outgoing);
        r.set_dropped(session->dropped());
        if (!w->Write(r)) {
          open = false;
          break;
        }
        if (req->count() != 0 && ++sent >= req->count()) break;
      }
    }
    // Detach (the hub drops the tap when this was the last capture); a
    // stopped worker cannot call the session again either way.
    c_.queue->call([&](stack::Stack& s, Instant) { c_.capture->remove(s, session); return true; }, c_.timeout);
    return Status::OK;
  }

 private:
  ServiceContext& c_;
};

}  // namespace

std::unique_ptr<grpc::Service> make_capture_service(ServiceContext& c) {
  return std::make_unique<CaptureService>(c);
}

}  // namespace stackd::control
