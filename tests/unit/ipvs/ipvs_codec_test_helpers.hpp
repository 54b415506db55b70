// Helpers shared by the IPVS codec tests (encoding and validation; decoding).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "ipvs/ipvs_codec.hpp"
#include "netlink/message.hpp"
#include "netlink/reply.hpp"

namespace lvscare::ipvs::codec_test {

using ByteVector = std::vector<std::uint8_t>;
using netlink::MessageBuilder;
using netlink::MessageView;

inline constexpr std::uint16_t kFamily = 0x1c;

inline Endpoint endpoint(std::string_view text) { return Endpoint::parse(text).value(); }
inline ServiceKey key(Protocol protocol, std::string_view text) { return ServiceKey{protocol, endpoint(text)}; }
inline RealServer realServer(std::string_view text, std::uint32_t weight, ForwardMethod forward, std::uint32_t upper,
                             std::uint32_t lower) {
  return RealServer{endpoint(text), weight, forward, upper, lower};
}

inline void expectError(const Error& error, Errc code, std::string_view fragment) {
  EXPECT_EQ(error.code, code) << error.message;
  EXPECT_NE(error.message.find(fragment), std::string::npos) << "message: " << error.message << "\nwant: " << fragment;
}

}  // namespace lvscare::ipvs::codec_test
