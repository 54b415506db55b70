#include "nftables/ipset_codec.hpp"

#include <linux/netfilter.h>
#include <linux/netfilter/ipset/ip_set.h>
#include <linux/netfilter/nfnetlink.h>

#include "netlink/attributes.hpp"

namespace lvscare::nftables::ipset {

using netlink::AttributeTable;
using netlink::MessageBuilder;

namespace {

// ipset requests carry the family of the set they create; for the commands here the kernel
// ignores it, and ipset(8) sends AF_INET.
MessageBuilder builderFor(std::uint8_t command, std::uint16_t flags) {
  MessageBuilder builder(ipsetType(command), flags);
  builder.nfgenHeader(NFPROTO_IPV4, 0);
  builder.putU8(IPSET_ATTR_PROTOCOL, kProtocol);
  return builder;
}

Result<void> checkName(std::string_view set) {
  if (set.empty() || set.size() > kMaxName || set.find('\0') != std::string_view::npos)
    return fail(Errc::InvalidArgument, "ipset name '" + std::string(set) + "': want 1-31 characters");
  return {};
}

Result<AttributeTable> replyAttributes(const MessageView& message, std::uint8_t command) {
  if (message.type != ipsetType(command))
    return fail(Errc::Malformed,
                "ipset reply of type " + std::to_string(message.type) + ", want " + std::to_string(ipsetType(command)));
  auto attributes = netlink::skipHeader(message, sizeof(nfgenmsg), "nfgenmsg");
  if (!attributes) return passOn(attributes);
  return AttributeTable::parse(*attributes, IPSET_ATTR_CMD_MAX);
}

}  // namespace

std::uint16_t ipsetType(std::uint8_t command) { return static_cast<std::uint16_t>((NFNL_SUBSYS_IPSET << 8) | command); }

bool inUse(const Error& error) { return error.sysErrno == IPSET_ERR_BUSY || error.sysErrno == IPSET_ERR_REFERENCED; }

Message protocolRequest() { return builderFor(IPSET_CMD_PROTOCOL, 0).finish(); }

Result<Message> listHeaderRequest(std::string_view set) {
  if (auto ok = checkName(set); !ok) return passOn(ok);
  return builderFor(IPSET_CMD_LIST, 0)
      .putString(IPSET_ATTR_SETNAME, set)
      .putBe32(IPSET_ATTR_FLAGS, IPSET_FLAG_LIST_HEADER)
      .finish();
}

Result<Message> destroyRequest(std::string_view set) {
  if (auto ok = checkName(set); !ok) return passOn(ok);
  return builderFor(IPSET_CMD_DESTROY, 0).putString(IPSET_ATTR_SETNAME, set).finish();
}

Result<ProtocolInfo> parseProtocolReply(const MessageView& message) {
  auto table = replyAttributes(message, IPSET_CMD_PROTOCOL);
  if (!table) return passOn(table);
  auto protocol = table->requireU8(IPSET_ATTR_PROTOCOL, "ipset protocol");
  if (!protocol) return passOn(protocol);
  ProtocolInfo info;
  info.protocol = *protocol;
  if (const auto* minimum = table->find(IPSET_ATTR_PROTOCOL_MIN)) {
    auto value = minimum->u8("ipset minimum protocol");
    if (!value) return passOn(value);
    info.minimum = *value;
  }
  return info;
}

bool speaksOurProtocol(const ProtocolInfo& info) {
  return info.protocol >= kOldestProtocol && info.minimum.value_or(info.protocol) <= kProtocol;
}

Result<SetHeader> parseListReply(const MessageView& message) {
  auto table = replyAttributes(message, IPSET_CMD_LIST);
  if (!table) return passOn(table);
  SetHeader header;
  auto name = table->requireString(IPSET_ATTR_SETNAME, "ipset name");
  if (!name) return passOn(name);
  auto type = table->requireString(IPSET_ATTR_TYPENAME, "ipset type");
  if (!type) return passOn(type);
  auto family = table->requireU8(IPSET_ATTR_FAMILY, "ipset family");
  if (!family) return passOn(family);
  header.name = std::move(*name);
  header.type = std::move(*type);
  header.family = *family;
  if (table->has(IPSET_ATTR_DATA)) {
    auto data = table->requireNested(IPSET_ATTR_DATA, IPSET_ATTR_CREATE_MAX, "ipset header data");
    if (!data) return passOn(data);
    if (const auto* references = data->find(IPSET_ATTR_REFERENCES)) {
      auto value = references->be32("ipset references");
      if (!value) return passOn(value);
      header.references = *value;
    }
    if (const auto* elements = data->find(IPSET_ATTR_ELEMENTS)) {
      auto value = elements->be32("ipset elements");
      if (!value) return passOn(value);
      header.elements = *value;
    }
  }
  return header;
}

}  // namespace lvscare::nftables::ipset
