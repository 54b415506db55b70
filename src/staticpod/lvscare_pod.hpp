// The lvscare static pod: the manifest `sealctl static-pod lvscare` writes into kubelet's manifest
// directory, field for field as Sealos writes it (pkg/ipvs/lvscare.go LvsStaticPodYaml and
// componentPod, serialized by Kubernetes' YAML serializer).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lvscare/endpoint.hpp"
#include "lvscare/result.hpp"
#include "staticpod/yaml_tree.hpp"

namespace lvscare::staticpod {

// Sealos' defaults (cmd/sealctl/cmd/static_pod.go, pkg/constants, pkg/types/v1beta1).
inline constexpr std::string_view kDefaultManifestDir = "/etc/kubernetes/manifests";
inline constexpr std::string_view kDefaultPodName = "kube-sealos-lvscare";
inline constexpr std::string_view kDefaultImage = "sealos.hub:5000/sealos/lvscare:latest";
inline constexpr std::string_view kDefaultVip = "10.103.97.2:6443";
// The binary inside the image, and on the host when Sealos installed one there.
inline constexpr std::string_view kLvscareCommand = "/usr/bin/lvscare";

enum class Privilege {
  Privileged,      // securityContext.privileged: true, as Sealos writes it
  NetAdminModule,  // capabilities NET_ADMIN and SYS_MODULE: programs IPVS/routes, loads ip_vs
  NetAdmin,        // capabilities NET_ADMIN only: for hosts that load ip_vs themselves
};

struct LvscarePod {
  std::string name{kDefaultPodName};  // pod name, container name and file name
  std::string image{kDefaultImage};
  Endpoint vip;
  std::vector<Endpoint> masters;
  std::vector<std::string> extraArgs;  // appended verbatim after the --rs flags (Sealos' --options)
  std::optional<IpAddress> nodeIp;     // becomes env LVSCARE_NODE_IP
  bool mountHostBinary = false;        // mount the host's /usr/bin/lvscare over the image's
  Privilege privilege = Privilege::Privileged;
  // Opt-in (`--probes`): kubelet liveness and readiness probes, httpGet on lvscare's endpoint at
  // this address (/livez, /readyz). A non-default address is passed to lvscare as
  // --metrics-bind-address so that it listens where kubelet looks. Unset: Sealos' manifest.
  std::optional<Endpoint> probeAddress;
};

// The container's args: care --vs <vip> --health-path /healthz --health-schem https --rs <m>... <extra>.
std::vector<std::string> lvscareArgs(const LvscarePod& pod);

// The Pod as a tree, and as the YAML text kubelet reads.
YamlNode lvscarePodTree(const LvscarePod& pod);
Result<std::string> renderLvscarePod(const LvscarePod& pod);

// Sealos' `--set-img`: the manifest with spec.containers[0].image replaced, everything else kept.
Result<std::string> setPodImage(std::string_view manifest, const std::string& image);

// Input checks; each error is one line naming the flag and the value.
// A DNS-1123 label (it is the pod name, the container name and the file name).
Result<void> validatePodName(std::string_view name);
// An image reference: letters, digits and . _ - / : @, starting with a letter or digit.
Result<void> validateImage(std::string_view image);
// One extra lvscare argument: valid UTF-8 with no control characters.
Result<void> validateExtraArg(std::string_view arg);

}  // namespace lvscare::staticpod
