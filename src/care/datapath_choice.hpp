// The config's DatapathChoice: which kernel load balancer to drive, and one line saying why.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "lvscare/care.hpp"
#include "lvscare/datapath.hpp"

namespace lvscare::care {

using DatapathOpener = std::function<Result<std::unique_ptr<Datapath>>()>;

// Which kernel load balancer was opened: what the composition root needs to know about the chosen
// datapath (the host setup differs), carried here so nothing has to compare Datapath::name().
enum class DatapathKind : std::uint8_t { Ipvs, Nftables };
std::string_view toString(DatapathKind kind);  // "ipvs", "nftables"

struct ChosenDatapath {
  std::unique_ptr<Datapath> datapath;
  DatapathKind kind = DatapathKind::Ipvs;
  std::string reason;  // "IPVS is available", "the kernel has no IPVS: ...", "the config asks for nftables"
};

// ipvs / nftables: that one or its error. auto: IPVS when openIpvs succeeds (it loads ip_vs if it
// can); nftables when IPVS is Unsupported; any other IPVS failure (no permission, ...) is the error,
// since nftables would fail the same way.
Result<ChosenDatapath> chooseDatapath(DatapathChoice choice, const DatapathOpener& openIpvs,
                                      const DatapathOpener& openNftables);

}  // namespace lvscare::care
