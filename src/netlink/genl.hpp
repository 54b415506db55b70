// Generic netlink: resolving a family (e.g. "IPVS") to its id through the nlctrl family.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "netlink/socket.hpp"

namespace lvscare::netlink {

struct GenlFamily {
  std::uint16_t id = 0;
  std::uint32_t version = 0;
  std::uint32_t maxAttribute = 0;
  std::string name;
};

// Errc::NotFound when the kernel has no such family (module not loaded or not built).
Result<GenlFamily> resolveFamily(Socket& socket, std::string_view name);

// Pure: the CTRL_CMD_GETFAMILY request and the decoding of its reply (for tests and fuzzing).
Message familyRequest(std::string_view name);
Result<GenlFamily> parseFamilyReply(const MessageView& reply);

}  // namespace lvscare::netlink
