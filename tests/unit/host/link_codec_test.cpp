// Link and address messages for link mode, and interface name validation.
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cstring>

#include <gtest/gtest.h>

#include "host/link_codec.hpp"
#include "netlink/attributes.hpp"

namespace lvscare::host {
namespace {

IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

template <class Header>
Header headerOf(const netlink::Message& message) {
  Header header{};
  std::memcpy(&header, message.bytes.data() + NLMSG_HDRLEN, sizeof header);
  return header;
}

template <class Header>
netlink::AttributeTable attributesOf(const netlink::Message& message, std::uint16_t maxType) {
  const std::size_t offset = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(Header));
  return netlink::AttributeTable::parse(netlink::Bytes(message.bytes.data() + offset, message.bytes.size() - offset),
                                        maxType)
      .value();
}

netlink::MessageView view(const netlink::Message& message) {
  return netlink::splitMessages(netlink::Bytes(message.bytes)).value().at(0);
}

TEST(InterfaceNameTest, AcceptsUsualNames) {
  for (const char* good : {"lvscare", "kube-ipvs0", "eth0.100", "a", "abcdefghijklmno"}) {
    EXPECT_TRUE(validateInterfaceName(good)) << good;
  }
}

TEST(InterfaceNameTest, RejectsWhatTheKernelOrAShellWouldMisread) {
  for (const char* bad : {"", ".", "..", "abcdefghijklmnop", "a/b", "a b", "eth0:1", "lvs\n", "$(x)"}) {
    EXPECT_FALSE(validateInterfaceName(bad)) << bad;
  }
  EXPECT_EQ(validateInterfaceName("a b").error().message,
            "invalid interface name 'a b': want 1-15 characters of letters, digits, '_', '.' and '-'");
}

TEST(LinkCodecTest, CreateDummyIsExclusiveUpAndOfKindDummy) {
  const auto message = buildCreateDummy("lvscare");
  EXPECT_EQ(message.type(), RTM_NEWLINK);
  EXPECT_EQ(message.flags() & (NLM_F_CREATE | NLM_F_EXCL), NLM_F_CREATE | NLM_F_EXCL);
  const auto header = headerOf<ifinfomsg>(message);
  EXPECT_EQ(header.ifi_flags & IFF_UP, static_cast<unsigned>(IFF_UP));
  EXPECT_EQ(header.ifi_change & IFF_UP, static_cast<unsigned>(IFF_UP));
  const auto attributes = attributesOf<ifinfomsg>(message, IFLA_MAX);
  EXPECT_EQ(attributes.requireString(IFLA_IFNAME, "name").value(), "lvscare");
  const auto info = attributes.requireNested(IFLA_LINKINFO, IFLA_INFO_MAX, "info").value();
  EXPECT_EQ(info.requireString(IFLA_INFO_KIND, "kind").value(), "dummy");
}

TEST(LinkCodecTest, ParsesALinkWithItsKind) {
  // A reply as the kernel shapes it: our create request with the reply's type has the same layout.
  auto message = buildCreateDummy("lvscare");
  auto parsed = parseLink(view(message));
  ASSERT_TRUE(parsed) << parsed.error().describe();
  EXPECT_EQ(parsed->name, "lvscare");
  EXPECT_EQ(parsed->kind, "dummy");
  EXPECT_TRUE(parsed->isUp());
}

TEST(LinkCodecTest, LinkWithoutNameIsMalformed) {
  auto parsed = parseLink(view(buildSetLinkUp(3)));
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message, "link: missing attribute IFLA_IFNAME");
}

TEST(LinkCodecTest, Ipv4AddressIsAHostAddress) {
  const auto message = buildAddAddress(7, ip("169.254.0.1"));
  EXPECT_EQ(message.type(), RTM_NEWADDR);
  EXPECT_EQ(message.flags() & (NLM_F_CREATE | NLM_F_EXCL), NLM_F_CREATE | NLM_F_EXCL);
  const auto header = headerOf<ifaddrmsg>(message);
  EXPECT_EQ(header.ifa_family, AF_INET);
  EXPECT_EQ(header.ifa_prefixlen, 32);
  EXPECT_EQ(header.ifa_index, 7u);
  EXPECT_EQ(header.ifa_flags, 0);
  auto parsed = parseAddress(view(message));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->address, ip("169.254.0.1"));
  EXPECT_EQ(parsed->prefixLength, 32);
  EXPECT_EQ(parsed->index, 7);
}

TEST(LinkCodecTest, Ipv6AddressSkipsDuplicateAddressDetection) {
  const auto message = buildAddAddress(7, ip("fd00::1"));
  const auto header = headerOf<ifaddrmsg>(message);
  EXPECT_EQ(header.ifa_family, AF_INET6);
  EXPECT_EQ(header.ifa_prefixlen, 128);
  EXPECT_EQ(header.ifa_flags, IFA_F_NODAD);
  EXPECT_EQ(attributesOf<ifaddrmsg>(message, IFA_MAX).requireU32(IFA_FLAGS, "flags").value(),
            static_cast<std::uint32_t>(IFA_F_NODAD));
  EXPECT_EQ(parseAddress(view(message)).value().address, ip("fd00::1"));
}

TEST(LinkCodecTest, DeleteAddressNamesTheAddress) {
  const auto message = buildDeleteAddress(7, ip("169.254.0.1"));
  EXPECT_EQ(message.type(), RTM_DELADDR);
  EXPECT_EQ(message.flags() & NLM_F_CREATE, 0);
  EXPECT_EQ(headerOf<ifaddrmsg>(message).ifa_index, 7u);
  const auto attributes = attributesOf<ifaddrmsg>(message, IFA_MAX);
  EXPECT_EQ(attributes.find(IFA_LOCAL)->payload.size(), 4u);
  EXPECT_FALSE(parseAddress(view(message))) << "only RTM_NEWADDR parses as an address";
}

}  // namespace
}  // namespace lvscare::host
