// The congestion control registry (Linux tcp_register_congestion_control /
// tcp_available_congestion_control): algorithms by their Linux names.
#include "transport/tcp/congestion.h"

#include "transport/tcp/cubic.h"
#include "transport/tcp/newreno.h"

namespace stackd::tcp {

std::unique_ptr<CongestionControl> make_congestion_control(std::string_view name) {
  if (name == "reno") return std::make_unique<NewReno>();
  if (name == "cubic") return std::make_unique<Cubic>();
  return nullptr;
}

std::vector<std::string_view> available_congestion_controls() { return {"reno", "cubic"}; }

}  // namespace stackd::tcp
