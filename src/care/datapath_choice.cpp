#include "care/datapath_choice.hpp"

namespace lvscare::care {

std::string_view toString(DatapathKind kind) {
  switch (kind) {
    case DatapathKind::Ipvs: return "ipvs";
    case DatapathKind::Nftables: return "nftables";
  }
  return "?";
}

Result<ChosenDatapath> chooseDatapath(DatapathChoice choice, const DatapathOpener& openIpvs,
                                      const DatapathOpener& openNftables) {
  const auto opened = [](Result<std::unique_ptr<Datapath>> datapath, DatapathKind kind,
                         std::string reason) -> Result<ChosenDatapath> {
    if (!datapath) return passOn(datapath);
    return ChosenDatapath{std::move(*datapath), kind, std::move(reason)};
  };
  switch (choice) {
    case DatapathChoice::Ipvs: return opened(openIpvs(), DatapathKind::Ipvs, "the config asks for ipvs");
    case DatapathChoice::Nftables:
      return opened(openNftables(), DatapathKind::Nftables, "the config asks for nftables");
    case DatapathChoice::Auto: break;
  }
  auto ipvs = openIpvs();
  if (ipvs) return ChosenDatapath{std::move(*ipvs), DatapathKind::Ipvs, "the kernel has IPVS"};
  if (ipvs.error().code != Errc::Unsupported) return passOn(ipvs);
  return opened(openNftables(), DatapathKind::Nftables, ipvs.error().message);
}

}  // namespace lvscare::care
