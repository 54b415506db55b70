#include "care/datapath_choice.hpp"

namespace lvscare::care {

Result<ChosenDatapath> chooseDatapath(DatapathChoice choice, const DatapathOpener& openIpvs,
                                      const DatapathOpener& openNftables) {
  const auto opened = [](Result<std::unique_ptr<Datapath>> datapath, std::string reason) -> Result<ChosenDatapath> {
    if (!datapath) return passOn(datapath);
    return ChosenDatapath{std::move(*datapath), std::move(reason)};
  };
  switch (choice) {
    case DatapathChoice::Ipvs: return opened(openIpvs(), "--datapath ipvs");
    case DatapathChoice::Nftables: return opened(openNftables(), "--datapath nftables");
    case DatapathChoice::Auto: break;
  }
  auto ipvs = openIpvs();
  if (ipvs) return ChosenDatapath{std::move(*ipvs), "the kernel has IPVS"};
  if (ipvs.error().code != Errc::Unsupported) return passOn(ipvs);
  return opened(openNftables(), ipvs.error().message);
}

}  // namespace lvscare::care
