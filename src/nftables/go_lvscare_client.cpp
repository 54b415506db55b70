#include "nftables/go_lvscare_client.hpp"

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "nftables/client.hpp"

namespace lvscare::nftables {

Result<GoLvscareClient> GoLvscareClient::open() {
  auto socket = netlink::Socket::open(NETLINK_NETFILTER);
  if (!socket) return passOn(socket);
  return GoLvscareClient(std::move(*socket));
}

Result<std::optional<IptablesTable>> GoLvscareClient::readIptablesTable(std::string_view name) {
  auto dump = readTable(socket_, NFPROTO_IPV4, name);
  if (!dump) return passOn(dump);
  if (!*dump) return std::optional<IptablesTable>{};
  IptablesTable out;
  out.name = std::string(name);
  out.rules = std::move((*dump)->rules);
  auto chains = readChains(socket_, NFPROTO_IPV4, name);
  if (!chains) return passOn(chains);
  for (auto& chain : *chains) out.chains.push_back(std::move(chain.name));
  // The rules point into the dump's buffers: keep them alive with the table.
  out.buffers = std::move((*dump)->raw.buffers);
  return std::optional<IptablesTable>(std::move(out));
}

Result<GoLvscareObjects> GoLvscareClient::findObjects() {
  auto nat = readIptablesTable("nat");
  if (!nat) return passOn(nat);
  auto filter = readIptablesTable("filter");
  if (!filter) return passOn(filter);
  return findGoLvscareObjects(*nat ? &**nat : nullptr, *filter ? &**filter : nullptr);
}

Result<void> GoLvscareClient::removeObjects(const GoLvscareObjects& objects) {
  if (!objects.foreignReferences.empty())
    return fail(Errc::Exists,
                "a rule that is not Go LVScare's jumps to its chains: " + objects.foreignReferences.front());
  auto messages = removeGoLvscareMessages(objects);
  return commit(socket_, messages, "remove Go LVScare's chains and rules");
}

Result<void> GoLvscareClient::checkIpsetProtocol() {
  std::optional<ipset::ProtocolInfo> info;
  auto asked = socket_.request(ipset::protocolRequest(), [&](const netlink::MessageView& reply) -> Result<void> {
    auto parsed = ipset::parseProtocolReply(reply);
    if (!parsed) return passOn(parsed);
    info = *parsed;
    return {};
  });
  if (!asked) return passOn(asked, "ipset protocol");
  if (!info) return fail(Errc::Malformed, "ipset protocol: no reply");
  if (!ipset::speaksOurProtocol(*info))
    return fail(Errc::Unsupported,
                "ipset protocol " + std::to_string(info->protocol) + " of the kernel is not one we speak");
  return {};
}

Result<std::optional<ipset::SetHeader>> GoLvscareClient::findSet(std::string_view name) {
  auto request = ipset::listHeaderRequest(name);
  if (!request) return passOn(request);
  auto dump = socket_.dump(*request);
  if (!dump && dump.error().code == Errc::NotFound) return std::optional<ipset::SetHeader>{};
  if (!dump) return passOn(dump, "list ipset " + std::string(name));
  for (const auto& message : dump->messages) {
    auto header = ipset::parseListReply(message);
    if (!header) return passOn(header);
    if (header->name == name) return std::optional<ipset::SetHeader>(std::move(*header));
  }
  return std::optional<ipset::SetHeader>{};
}

Result<void> GoLvscareClient::destroySet(std::string_view name) {
  auto request = ipset::destroyRequest(name);
  if (!request) return passOn(request);
  auto destroyed = socket_.request(std::move(*request));
  if (!destroyed) return passOn(destroyed, "destroy ipset " + std::string(name));
  return {};
}

}  // namespace lvscare::nftables
