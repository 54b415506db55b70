#include "netlink/genl.hpp"

#include <linux/genetlink.h>

#include <optional>

namespace lvscare::netlink {

Message familyRequest(std::string_view name) {
  return MessageBuilder(GENL_ID_CTRL, 0)
      .genlHeader(CTRL_CMD_GETFAMILY, 1)
      .putString(CTRL_ATTR_FAMILY_NAME, name)
      .finish();
}

Result<GenlFamily> parseFamilyReply(const MessageView& reply) {
  auto payload = skipHeader(reply, GENL_HDRLEN, "generic netlink");
  if (!payload) return passOn(payload);
  auto table = AttributeTable::parse(*payload, CTRL_ATTR_MAX);
  if (!table) return passOn(table);
  GenlFamily family;
  auto id = table->requireU16(CTRL_ATTR_FAMILY_ID, "family id");
  if (!id) return passOn(id);
  family.id = *id;
  auto name = table->requireString(CTRL_ATTR_FAMILY_NAME, "family name");
  if (!name) return passOn(name);
  family.name = *name;
  if (const auto* version = table->find(CTRL_ATTR_VERSION)) family.version = version->u32("family version").value_or(0);
  if (const auto* max = table->find(CTRL_ATTR_MAXATTR)) family.maxAttribute = max->u32("family maxattr").value_or(0);
  return family;
}

Result<GenlFamily> resolveFamily(Socket& socket, std::string_view name) {
  std::optional<GenlFamily> found;
  auto status = socket.request(familyRequest(name), [&](const MessageView& reply) -> Result<void> {
    auto family = parseFamilyReply(reply);
    if (!family) return passOn(family);
    found = std::move(*family);
    return {};
  });
  if (!status) {
    if (status.error().code == Errc::NotFound) {
      return fail(Errc::NotFound, "the kernel has no generic netlink family " + std::string(name),
                  status.error().sysErrno);
    }
    return passOn(status, "resolve generic netlink family " + std::string(name));
  }
  if (!found) return fail(Errc::Malformed, "no reply describing generic netlink family " + std::string(name));
  return *found;
}

}  // namespace lvscare::netlink
