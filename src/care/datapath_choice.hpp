// --datapath: which kernel load balancer to drive, and one line saying why.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "lvscare/care.hpp"
#include "lvscare/datapath.hpp"

namespace lvscare::care {

using DatapathOpener = std::function<Result<std::unique_ptr<Datapath>>()>;

struct ChosenDatapath {
  std::unique_ptr<Datapath> datapath;
  std::string reason;  // "IPVS is available", "the kernel has no IPVS: ...", "--datapath nftables"
};

// ipvs / nftables: that one or its error. auto: IPVS when openIpvs succeeds (it loads ip_vs if it
// can); nftables when IPVS is Unsupported; any other IPVS failure (no permission, ...) is the error,
// since nftables would fail the same way.
Result<ChosenDatapath> chooseDatapath(DatapathChoice choice, const DatapathOpener& openIpvs,
                                      const DatapathOpener& openNftables);

}  // namespace lvscare::care
