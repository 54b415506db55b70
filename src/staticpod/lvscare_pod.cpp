#include "staticpod/lvscare_pod.hpp"

#include "lvscare/care.hpp"

namespace lvscare::staticpod {
namespace {

constexpr std::string_view kLibModules = "/lib/modules";

// {name: <name>, readOnly: true, mountPath: <path>}
YamlNode volumeMount(std::string_view name, std::string_view path) {
  YamlNode mount = YamlNode::map();
  mount.set("name", YamlNode::string(std::string(name)));
  mount.set("readOnly", YamlNode::boolean(true));
  mount.set("mountPath", YamlNode::string(std::string(path)));
  return mount;
}

// A hostPath volume with type HostPathUnset: Go writes the empty type as `type: ""`.
YamlNode hostPathVolume(std::string_view name, std::string_view path) {
  YamlNode hostPath = YamlNode::map();
  hostPath.set("path", YamlNode::string(std::string(path)));
  hostPath.set("type", YamlNode::string(""));
  YamlNode volume = YamlNode::map();
  volume.set("name", YamlNode::string(std::string(name)));
  volume.set("hostPath", std::move(hostPath));
  return volume;
}

// An httpGet probe of lvscare's endpoint. The pod is on the host network, so kubelet reaches the
// address as lvscare binds it; a wildcard bind leaves `host` out (kubelet then uses the pod IP,
// which is the node's). The timings leave room for the endpoint's own bounds: /livez fails only
// after 2 x (interval + timeout) without a completed check round, 30 s with LVScare's defaults.
YamlNode httpProbe(const Endpoint& address, std::string_view path, int periodSeconds, int failureThreshold) {
  YamlNode get = YamlNode::map();
  if (address.address != IpAddress{} && address.address != IpAddress{Family::V6, {}})
    get.set("host", YamlNode::string(address.address.toString()));
  get.set("path", YamlNode::string(std::string(path)));
  get.set("port", YamlNode::literal(std::to_string(address.port)));
  get.set("scheme", YamlNode::string("HTTP"));
  YamlNode probe = YamlNode::map();
  probe.set("httpGet", std::move(get));
  probe.set("periodSeconds", YamlNode::literal(std::to_string(periodSeconds)));
  probe.set("timeoutSeconds", YamlNode::literal("5"));
  probe.set("failureThreshold", YamlNode::literal(std::to_string(failureThreshold)));
  return probe;
}

YamlNode securityContext(Privilege privilege) {
  YamlNode context = YamlNode::map();
  if (privilege == Privilege::Privileged) {
    context.set("privileged", YamlNode::boolean(true));
    return context;
  }
  // NET_ADMIN: IPVS over generic netlink, nftables, routes and links. SYS_MODULE: ip_vs and its
  // scheduler modules have no netlink auto-load alias, so lvscare loads them itself (from the
  // mounted /lib/modules) when the host has not; hosts that load them at boot can drop it.
  YamlNode add = YamlNode::seq();
  add.push(YamlNode::string("NET_ADMIN"));
  if (privilege == Privilege::NetAdminModule) add.push(YamlNode::string("SYS_MODULE"));
  YamlNode capabilities = YamlNode::map();
  capabilities.set("add", std::move(add));
  context.set("capabilities", std::move(capabilities));
  return context;
}

Result<void> invalid(std::string_view flag, std::string_view value, std::string_view why) {
  return fail(Errc::InvalidArgument, std::string(flag) + " '" + std::string(value) + "': " + std::string(why));
}

bool isLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool isAlnum(char c) { return isLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }

// Valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF) with no C0/C1 controls.
bool isCleanUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if (b < 0x20 || b == 0x7f) return false;
      ++i;
      continue;
    }
    const std::size_t extra = b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : b >= 0xc0 ? 1 : 0;
    if (extra == 0 || b > 0xf4 || i + extra >= s.size()) return false;
    char32_t rune = b & (0x3fu >> extra);
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xc0) != 0x80) return false;
      rune = (rune << 6) | (c & 0x3fu);
    }
    static constexpr char32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (rune < kMin[extra] || rune > 0x10ffff || (rune >= 0xd800 && rune <= 0xdfff)) return false;
    if (rune >= 0x80 && rune < 0xa0) return false;  // C1 controls
    i += extra + 1;
  }
  return true;
}

}  // namespace

std::vector<std::string> lvscareArgs(const LvscarePod& pod) {
  std::vector<std::string> args = {"care",           "--vs", pod.vip.toString(), "--health-path", "/healthz",
                                   "--health-schem", "https"};
  for (const auto& master : pod.masters) {
    args.emplace_back("--rs");
    args.push_back(master.toString());
  }
  if (pod.probeAddress && pod.probeAddress->toString() != care::kDefaultMetricsBindAddress) {
    args.emplace_back("--metrics-bind-address");
    args.push_back(pod.probeAddress->toString());
  }
  args.insert(args.end(), pod.extraArgs.begin(), pod.extraArgs.end());
  return args;
}

YamlNode lvscarePodTree(const LvscarePod& pod) {
  YamlNode container = YamlNode::map();
  container.set("name", YamlNode::string(pod.name));
  container.set("image", YamlNode::string(pod.image));
  container.set("command", YamlNode::stringSeq({std::string(kLvscareCommand)}));
  container.set("args", YamlNode::stringSeq(lvscareArgs(pod)));
  container.set("imagePullPolicy", YamlNode::string("IfNotPresent"));
  container.set("resources", YamlNode::map());  // Go writes the empty struct: `resources: {}`
  container.set("securityContext", securityContext(pod.privilege));
  if (pod.probeAddress) {
    container.set("livenessProbe", httpProbe(*pod.probeAddress, "/livez", 10, 3));
    container.set("readinessProbe", httpProbe(*pod.probeAddress, "/readyz", 5, 3));
  }

  YamlNode mounts = YamlNode::seq();
  YamlNode volumes = YamlNode::seq();
  mounts.push(volumeMount("lib-modules", kLibModules));
  volumes.push(hostPathVolume("lib-modules", kLibModules));
  if (pod.mountHostBinary) {
    mounts.push(volumeMount("lvscare", kLvscareCommand));
    volumes.push(hostPathVolume("lvscare", kLvscareCommand));
  }
  container.set("volumeMounts", std::move(mounts));
  if (pod.nodeIp) {
    YamlNode var = YamlNode::map();
    var.set("name", YamlNode::string("LVSCARE_NODE_IP"));
    var.set("value", YamlNode::string(pod.nodeIp->toString()));
    YamlNode env = YamlNode::seq();
    env.push(std::move(var));
    container.set("env", std::move(env));
  }

  YamlNode containers = YamlNode::seq();
  containers.push(std::move(container));
  YamlNode spec = YamlNode::map();
  spec.set("containers", std::move(containers));
  spec.set("hostNetwork", YamlNode::boolean(true));
  spec.set("priorityClassName", YamlNode::string("system-node-critical"));
  spec.set("volumes", std::move(volumes));

  YamlNode metadata = YamlNode::map();
  metadata.set("name", YamlNode::string(pod.name));
  metadata.set("namespace", YamlNode::string("kube-system"));
  metadata.set("creationTimestamp", YamlNode::null());  // a zero metav1.Time marshals as null

  YamlNode root = YamlNode::map();
  root.set("apiVersion", YamlNode::string("v1"));
  root.set("kind", YamlNode::string("Pod"));
  root.set("metadata", std::move(metadata));
  root.set("spec", std::move(spec));
  root.set("status", YamlNode::map());  // the empty PodStatus: `status: {}`
  return root;
}

Result<std::string> renderLvscarePod(const LvscarePod& pod) { return emitYaml(lvscarePodTree(pod)); }

Result<std::string> setPodImage(std::string_view manifest, const std::string& image) {
  auto root = parseYaml(manifest);
  if (!root) return passOn(root);
  YamlNode* spec = root->find("spec");
  YamlNode* containers = spec != nullptr ? spec->find("containers") : nullptr;
  if (containers == nullptr || containers->kind != YamlNode::Kind::Seq || containers->items.empty() ||
      containers->items[0].kind != YamlNode::Kind::Map) {
    return fail(Errc::Malformed, "not a pod manifest: no spec.containers[0]");
  }
  containers->items[0].set("image", YamlNode::string(image));
  return emitYaml(*root);
}

Result<void> validatePodName(std::string_view name) {
  constexpr std::string_view kRule =
      "want a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit";
  if (name.empty() || name.size() > 63 || !isLowerAlnum(name.front()) || !isLowerAlnum(name.back())) {
    return invalid("--name", name, kRule);
  }
  for (char c : name) {
    if (!isLowerAlnum(c) && c != '-') return invalid("--name", name, kRule);
  }
  return {};
}

Result<void> validateImage(std::string_view image) {
  constexpr std::string_view kRule =
      "want an image reference: letters, digits and . _ - / : @, starting with a letter or digit";
  if (image.empty() || image.size() > 512 || !isAlnum(image.front())) return invalid("--image", image, kRule);
  for (char c : image) {
    if (!isAlnum(c) && std::string_view("._-/:@").find(c) == std::string_view::npos) {
      return invalid("--image", image, kRule);
    }
  }
  return {};
}

Result<void> validateExtraArg(std::string_view arg) {
  if (!isCleanUtf8(arg)) {
    return fail(Errc::InvalidArgument, "--options: an argument has a control character or invalid UTF-8");
  }
  return {};
}

}  // namespace lvscare::staticpod
