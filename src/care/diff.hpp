// The step of the data flow between the desired state and the datapath: what the kernel holds for
// our virtual server, and the ops that make it what we want. Pure: no kernel, no clock; the
// reconciler (reconciler.hpp) reads the kernel, calls diff() and applies its ops.
#pragma once

#include <span>
#include <vector>

#include "lvscare/datapath.hpp"

namespace lvscare::care {

// Our virtual server as the kernel has it (Datapath::readVirtualServer).
using KernelState = VirtualServerState;

// The ops that make `kernel` equal `desired` + `desiredReals`, in an order the kernel accepts:
// the virtual server first, then deletions, updates and additions of real servers. Real servers in
// the kernel that are not desired (including foreign ones on our virtual server) are deleted.
std::vector<DatapathOp> diff(const VirtualServer& desired, std::span<const RealServer> desiredReals,
                             const KernelState& kernel);

}  // namespace lvscare::care
