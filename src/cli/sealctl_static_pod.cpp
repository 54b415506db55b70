// `sealctl static-pod lvscare`: writes (or prints) the lvscare static pod manifest, with Sealos'
// flags and defaults (cmd/sealctl/cmd/static_pod.go), and checks Sealos does not make.
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/flag_values.hpp"
#include "cli/sealctl.hpp"
#include "host/file_io.hpp"
#include "host/node_ip.hpp"
#include "lvscare/care.hpp"
#include "staticpod/lvscare_pod.hpp"
#include "staticpod/manifest_file.hpp"

namespace lvscare::cli {
namespace {

using staticpod::LvscarePod;
using staticpod::Privilege;

struct StaticPodFlags {
  std::string path{staticpod::kDefaultManifestDir};
  std::string vip{staticpod::kDefaultVip};
  std::string name{staticpod::kDefaultPodName};
  std::string image{staticpod::kDefaultImage};
  std::vector<std::string> masters;  // as given: each may hold several, comma-separated
  std::vector<std::string> options;
  bool print = false;
  bool setImage = false;
  bool leastPrivilege = false;
  bool noSysModule = false;
  std::string mountHostLvscare = "never";
  std::string hostsFile{"/etc/hosts"};
  bool probes = false;
  std::string metricsBindAddress{care::kDefaultMetricsBindAddress};
};

constexpr mode_t kManifestMode = 0600;
constexpr std::size_t kMaxManifestBytes = 1u << 20;

// Every value of a repeatable comma-separated flag, in order.
Result<std::vector<std::string>> allValues(std::string_view flag, const std::vector<std::string>& occurrences) {
  std::vector<std::string> values;
  for (const auto& occurrence : occurrences) {
    auto split = splitList(flag, occurrence);
    if (!split) return passOn(split);
    values.insert(values.end(), split->begin(), split->end());
  }
  return values;
}

bool isRegularFile(std::string_view path) {
  struct stat st {};
  return ::stat(std::string(path).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Prints the manifest as Sealos does (fmt.Println: the YAML's own newline, then one more), or writes
// it atomically, only when its content changes: kubelet restarts the pod on every rewrite.
int deliver(const StaticPodFlags& flags, const std::string& file, const std::string& yaml) {
  if (flags.print) {
    std::fwrite(yaml.data(), 1, yaml.size(), stdout);
    std::fputc('\n', stdout);
    return 0;
  }
  auto outcome = staticpod::replaceFileIfChanged(file, yaml, kManifestMode);
  if (!outcome) return reportError(outcome.error().describe(), kExitFailure);
  std::printf("static pod %s %s\n", file.c_str(),
              *outcome == staticpod::WriteOutcome::Written ? "written" : "unchanged");
  return 0;
}

// --set-img: only the image of an existing manifest changes.
int setImage(const StaticPodFlags& flags, const std::string& file, const std::string& image) {
  auto text = host::readFile(file, kMaxManifestBytes);
  if (!text && text.error().code == Errc::NotFound) {
    return reportError("--set-img: no manifest " + file + " to change the image of", kExitFailure);
  }
  if (!text) return reportError(text.error().describe(), kExitFailure);
  auto yaml = staticpod::setPodImage(*text, image);
  if (!yaml) return reportError(file + ": " + yaml.error().describe(), kExitFailure);
  return deliver(flags, file, *yaml);
}

int run(const StaticPodFlags& flags) {
  const std::string image = flags.image.empty() ? std::string(staticpod::kDefaultImage) : flags.image;
  if (auto ok = staticpod::validatePodName(flags.name); !ok) return reportError(ok.error().message, kExitUsage);
  if (auto ok = staticpod::validateImage(image); !ok) return reportError(ok.error().message, kExitUsage);
  if (flags.path.empty()) return reportError("--path: empty manifest directory", kExitUsage);
  const std::string file = flags.path + "/" + flags.name + ".yaml";
  if (flags.setImage) return setImage(flags, file, image);

  LvscarePod pod;
  pod.name = flags.name;
  pod.image = image;
  auto vip = Endpoint::parse(flags.vip);
  if (!vip) return reportError("--vip " + vip.error().message, kExitUsage);
  pod.vip = *vip;

  auto masters = allValues("--masters", flags.masters);
  if (!masters) return reportError(masters.error().message, kExitUsage);
  if (masters->empty()) return reportError("--masters: at least one master (host:port) is needed", kExitUsage);
  for (const auto& text : *masters) {
    auto master = Endpoint::parse(text);
    if (!master) return reportError("--masters " + master.error().message, kExitUsage);
    if (master->address.family != vip->address.family) {
      return reportError("--masters '" + text + "': not the address family of --vip " + vip->toString(), kExitUsage);
    }
    // A repeated master would only make lvscare add the same real server twice.
    if (std::find(pod.masters.begin(), pod.masters.end(), *master) == pod.masters.end()) pod.masters.push_back(*master);
  }

  auto options = allValues("--options", flags.options);
  if (!options) return reportError(options.error().message, kExitUsage);
  for (const auto& option : *options) {
    if (auto ok = staticpod::validateExtraArg(option); !ok) return reportError(ok.error().message, kExitUsage);
  }
  pod.extraArgs = std::move(*options);

  // Sealos' sealctl takes the node IP from the hosts file only (not from LVSCARE_NODE_IP).
  host::NodeIpSources sources;
  sources.hostsFile = flags.hostsFile;
  sources.getenv = [](const char*) { return std::optional<std::string>{}; };
  sources.family = vip->address.family;
  auto nodeIp = host::lookupNodeIp(sources);
  if (!nodeIp) return reportError(nodeIp.error().describe(), kExitFailure);
  pod.nodeIp = *nodeIp;
  // Not in Sealos' manifest, so opt-in: by default the manifest does not depend on the host it is
  // written on. With it, the host's lvscare binary replaces the image's.
  pod.mountHostBinary = flags.mountHostLvscare == "always" ||
                        (flags.mountHostLvscare == "auto" && isRegularFile(staticpod::kLvscareCommand));
  if (flags.probes) {
    auto address = Endpoint::parse(flags.metricsBindAddress);
    if (!address) return reportError("--metrics-bind-address " + address.error().message, kExitUsage);
    pod.probeAddress = *address;
  }
  if (flags.leastPrivilege) pod.privilege = flags.noSysModule ? Privilege::NetAdmin : Privilege::NetAdminModule;

  auto yaml = staticpod::renderLvscarePod(pod);
  if (!yaml) return reportError(yaml.error().describe(), kExitFailure);
  if (!flags.print) {
    std::error_code ec;
    std::filesystem::create_directories(flags.path, ec);
    if (ec) return reportError("create manifest directory " + flags.path + ": " + ec.message(), kExitFailure);
  }
  return deliver(flags, file, *yaml);
}

}  // namespace

SealctlCommand addStaticPodCommand(CLI::App& sealctl) {
  auto flags = std::make_shared<StaticPodFlags>();
  CLI::App* staticPod = sealctl.add_subcommand("static-pod", "generate static pod manifests");
  staticPod->require_subcommand(1);
  // --path belongs to static-pod but, as a cobra persistent flag, may follow `lvscare` too.
  staticPod->fallthrough();
  staticPod->option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  staticPod->add_option("--path", flags->path, "kubelet's static pod directory")->capture_default_str();

  CLI::App* lvscare = staticPod->add_subcommand("lvscare", "generate the lvscare static pod manifest");
  // A flag given twice takes its last value, as with pflag; the list flags below take all.
  lvscare->option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  lvscare->add_option("--vip", flags->vip, "virtual server, host:port ([addr]:port for IPv6)")->capture_default_str();
  lvscare->add_option("--name", flags->name, "pod name, container name and file name (<path>/<name>.yaml)")
      ->capture_default_str();
  lvscare->add_option("--image", flags->image, "lvscare image (empty: the default)")->capture_default_str();
  lvscare->add_option("--masters", flags->masters, "master host:port; repeat or separate with commas")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  lvscare
      ->add_option("--options", flags->options, "extra lvscare arguments, appended verbatim; repeat or comma-separate")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  lvscare->add_flag("--print", flags->print, "print the manifest instead of writing it");
  lvscare->add_flag("--set-img", flags->setImage, "only change the image of the existing manifest");
  CLI::Option* leastPrivilege =
      lvscare->add_flag("--least-privilege", flags->leastPrivilege,
                        "capabilities NET_ADMIN and SYS_MODULE instead of a privileged container");
  lvscare
      ->add_flag("--no-sys-module", flags->noSysModule,
                 "with --least-privilege: leave out SYS_MODULE (the host loads ip_vs itself)")
      ->needs(leastPrivilege);
  lvscare
      ->add_option("--mount-host-lvscare", flags->mountHostLvscare,
                   "mount the host's /usr/bin/lvscare over the image's (Sealos does not): never, "
                   "auto (when this host has it), always")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  CLI::Option* probes =
      lvscare->add_flag("--probes", flags->probes,
                        "add kubelet liveness and readiness probes (httpGet /livez and /readyz on lvscare's endpoint)");
  lvscare
      ->add_option("--metrics-bind-address", flags->metricsBindAddress,
                   "with --probes: where lvscare's endpoint listens and the probes look")
      ->needs(probes)
      ->capture_default_str();
  // Where the node IP (lvscare.node.ip) is looked up; tests point it at their own file.
  lvscare->add_option("--hosts-file", flags->hostsFile)->group("");
  lvscare->footer("--path DIR (a static-pod flag, also accepted here): where <name>.yaml goes, default " +
                  std::string(staticpod::kDefaultManifestDir) +
                  ".\nThe node IP for env LVSCARE_NODE_IP comes from the lvscare.node.ip entry of /etc/hosts.");

  return SealctlCommand{lvscare, [flags](const std::vector<std::string>& warnings) {
                          for (const auto& warning : warnings) reportError(warning, 0);
                          return run(*flags);
                        }};
}

}  // namespace lvscare::cli
