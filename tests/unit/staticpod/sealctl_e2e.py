#!/usr/bin/env python3
"""End-to-end tests of the built `sealctl static-pod lvscare`: run as Sealos runs it, in temporary
directories only (the manifest directory and the hosts file are always the test's own).

Usage: sealctl_e2e.py SEALCTL GOLDEN_DIR [unittest names...]
"""
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

import yaml

SEALCTL = ""
GOLDEN = ""

# Golden file -> sealctl arguments producing it (after `static-pod lvscare`).
GOLDEN_CASES = {
    "default.yaml": ["--masters", "192.168.0.2:6443"],
    "issue-example.yaml": ["--vip", "10.103.97.2:6443", "--name", "lvscare", "--image", "lvscare:latest",
                           "--masters", "192.168.0.2:6443,192.168.0.3:6443"],
    "several-masters.yaml": ["--name", "kube-sealos-lvscare", "--vip", "10.103.97.2:6443", "--image",
                             "sealos.hub:5000/sealos/lvscare:latest", "--masters", "192.168.0.2:6443",
                             "--masters", "192.168.0.3:6443", "--masters", "192.168.0.4:6443"],
    "ipv6.yaml": ["--vip", "[fd00::2]:6443", "--masters", "[fd00::10]:6443,[fd00::11]:6443"],
    # Sealos' K3s runtime: `--options --health-status --options 401`; pflag takes "--health-status"
    # as the value of --options.
    "options.yaml": ["--masters", "192.168.0.2:6443", "--options", "--health-status", "--options", "401",
                     "--options", "--interval=5,--mode=route"],
    "least-privilege.yaml": ["--masters", "192.168.0.2:6443", "--least-privilege"],
    "least-privilege-no-sys-module.yaml": ["--masters", "192.168.0.2:6443", "--least-privilege",
                                           "--no-sys-module"],
    "host-binary.yaml": ["--masters", "192.168.0.2:6443", "--mount-host-lvscare", "always"],
    # Opt-in kubelet probes on lvscare's endpoint.
    "probes.yaml": ["--masters", "192.168.0.2:6443", "--probes"],
    "probes-any-address.yaml": ["--masters", "192.168.0.2:6443", "--probes", "--metrics-bind-address", "0.0.0.0:10300"],
    # Strings YAML could read as another type; go_reference_check.py proves Go quotes them the same.
    "go-quirks.yaml": ["--masters", "192.168.0.2:6443", "--options", "@go-quirks.options"],
}


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


class SealctlTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sealctl-e2e-")
        self.manifests = os.path.join(self.tmp, "manifests")
        self.no_hosts = os.path.join(self.tmp, "no-hosts")  # never created: no node IP

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def sealctl(self, *args, hosts=None, mount="never", path=True):
        """Runs `sealctl static-pod lvscare ARGS` against the test's own directory and hosts file."""
        cmd = [SEALCTL, "static-pod", "lvscare"]
        if path:
            cmd += ["--path", self.manifests]
        cmd += ["--hosts-file", hosts or self.no_hosts]
        if mount is not None:
            cmd += ["--mount-host-lvscare", mount]
        cmd += args
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)

    def manifest(self, name="kube-sealos-lvscare"):
        return os.path.join(self.manifests, name + ".yaml")

    def assert_ok(self, result):
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr, "")


class PrintTest(SealctlTest):
    def test_print_matches_every_golden(self):
        for golden, args in GOLDEN_CASES.items():
            with self.subTest(golden=golden):
                args = [read(os.path.join(GOLDEN, a[1:])) if a.startswith("@") else a for a in args]
                result = self.sealctl("--print", *args)
                self.assert_ok(result)
                # Sealos prints with fmt.Println: the YAML's own final newline, then one more.
                self.assertEqual(result.stdout, read(os.path.join(GOLDEN, golden)) + "\n")
        self.assertFalse(os.path.exists(self.manifests), "--print must write nothing")

    def test_no_host_binary_mount_unless_asked(self):
        # Sealos' manifest has no mount of the host's /usr/bin/lvscare: without the flag the output
        # is Sealos' whether or not this host has that file (the root test release_static_smoke
        # checks it on a host that has one).
        result = self.sealctl("--print", "--masters", "192.168.0.2:6443", mount=None)
        self.assert_ok(result)
        self.assertEqual(result.stdout, read(os.path.join(GOLDEN, "default.yaml")) + "\n")

    def test_issue_first_example_verbatim(self):
        result = subprocess.run(
            [SEALCTL, "static-pod", "lvscare", "--vip", "10.103.97.2:6443", "--name", "lvscare", "--image",
             "lvscare:latest", "--masters", "192.168.0.2:6443,192.168.0.3:6443", "--print", "--hosts-file",
             self.no_hosts, "--mount-host-lvscare", "never"],
            capture_output=True, text=True, timeout=30)
        self.assert_ok(result)
        self.assertEqual(result.stdout, read(os.path.join(GOLDEN, "issue-example.yaml")) + "\n")

    def test_node_ip_from_hosts_file(self):
        hosts = os.path.join(self.tmp, "hosts")
        with open(hosts, "w") as f:
            f.write("127.0.0.1 localhost\n# sealos\n192.168.0.2 lvscare.node.ip\n")
        result = self.sealctl("--print", "--masters", "192.168.0.2:6443,192.168.0.3:6443", hosts=hosts)
        self.assert_ok(result)
        self.assertEqual(result.stdout, read(os.path.join(GOLDEN, "hosts-env.yaml")) + "\n")

    def test_node_ip_of_the_vip_family_on_a_dual_stack_node(self):
        hosts = os.path.join(self.tmp, "hosts")
        with open(hosts, "w") as f:
            f.write("192.168.0.2 node1 lvscare.node.ip\nfd00::9 lvscare.node.ip # v6\n")
        for vip, master, ip in [("10.103.97.2:6443", "192.168.0.2:6443", "192.168.0.2"),
                                ("[fd00::2]:6443", "[fd00::10]:6443", "fd00::9")]:
            result = self.sealctl("--print", "--vip", vip, "--masters", master, hosts=hosts)
            self.assert_ok(result)
            env = yaml.safe_load(result.stdout)["spec"]["containers"][0]["env"]
            self.assertEqual(env, [{"name": "LVSCARE_NODE_IP", "value": ip}])

    def test_node_ip_of_another_family_fails(self):
        hosts = os.path.join(self.tmp, "hosts")
        with open(hosts, "w") as f:
            f.write("fd00::9 lvscare.node.ip\n")
        result = self.sealctl("--print", "--masters", "192.168.0.2:6443", hosts=hosts)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
        self.assertIn("lvscare.node.ip", result.stderr)
        self.assertEqual(result.stdout, "")

    def test_unreadable_hosts_file_fails(self):
        result = self.sealctl("--print", "--masters", "192.168.0.2:6443", hosts=self.tmp)  # a directory
        self.assertEqual(result.returncode, 1)
        self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
        self.assertIn(self.tmp, result.stderr)

    def test_empty_image_falls_back_to_default(self):
        result = self.sealctl("--print", "--image", "", "--masters", "192.168.0.2:6443")
        self.assert_ok(result)
        self.assertEqual(result.stdout, read(os.path.join(GOLDEN, "default.yaml")) + "\n")

    def test_repeated_master_written_once_and_last_flag_wins(self):
        result = self.sealctl("--print", "--vip", "10.0.0.9:1", "--vip", "10.103.97.2:6443",
                              "--masters", "192.168.0.2:6443", "--masters", "192.168.0.2:6443")
        self.assert_ok(result)
        self.assertEqual(result.stdout, read(os.path.join(GOLDEN, "default.yaml")) + "\n")

    def test_quoted_csv_field_keeps_its_comma(self):
        result = self.sealctl("--print", "--masters", "192.168.0.2:6443", "--options", '"a,b",c')
        self.assert_ok(result)
        args = yaml.safe_load(result.stdout)["spec"]["containers"][0]["args"]
        self.assertEqual(args[-2:], ["a,b", "c"])

    def test_help_lists_sealos_flags_and_hides_test_hooks(self):
        result = subprocess.run([SEALCTL, "static-pod", "lvscare", "--help"], capture_output=True, text=True,
                                timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr)
        for flag in ["--vip", "--name", "--image", "--masters", "--options", "--print", "--set-img", "--path"]:
            self.assertIn(flag, result.stdout)
        self.assertNotIn("--hosts-file", result.stdout)
        result = subprocess.run([SEALCTL, "static-pod", "--help"], capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("--path TEXT=/etc/kubernetes/manifests", result.stdout)


class FieldsTest(SealctlTest):
    """The written manifest read back with PyYAML (an independent YAML 1.1 parser), field by field."""

    def test_fields(self):
        hosts = os.path.join(self.tmp, "hosts")
        with open(hosts, "w") as f:
            f.write("fd00::3 lvscare.node.ip\n")
        self.assert_ok(self.sealctl("--masters", "[fd00::10]:6443", "--masters", "[fd00::11]:6443", "--vip",
                                    "[fd00::2]:6443", "--options", "--health-status", "--options", "401",
                                    hosts=hosts))
        pod = yaml.safe_load(read(self.manifest()))
        self.assertEqual(pod["apiVersion"], "v1")
        self.assertEqual(pod["kind"], "Pod")
        self.assertEqual(pod["metadata"], {"creationTimestamp": None, "name": "kube-sealos-lvscare",
                                           "namespace": "kube-system"})
        self.assertEqual(pod["status"], {})
        spec = pod["spec"]
        self.assertIs(spec["hostNetwork"], True)
        self.assertEqual(spec["priorityClassName"], "system-node-critical")
        self.assertEqual(spec["volumes"], [{"hostPath": {"path": "/lib/modules", "type": ""},
                                            "name": "lib-modules"}])
        [c] = spec["containers"]
        self.assertEqual(c["name"], "kube-sealos-lvscare")
        self.assertEqual(c["image"], "sealos.hub:5000/sealos/lvscare:latest")
        self.assertEqual(c["imagePullPolicy"], "IfNotPresent")
        self.assertEqual(c["command"], ["/usr/bin/lvscare"])
        self.assertEqual(c["args"], ["care", "--vs", "[fd00::2]:6443", "--health-path", "/healthz",
                                     "--health-schem", "https", "--rs", "[fd00::10]:6443", "--rs",
                                     "[fd00::11]:6443", "--health-status", "401"])
        self.assertEqual(c["env"], [{"name": "LVSCARE_NODE_IP", "value": "fd00::3"}])
        self.assertEqual(c["resources"], {})
        self.assertEqual(c["securityContext"], {"privileged": True})
        self.assertEqual(c["volumeMounts"], [{"mountPath": "/lib/modules", "name": "lib-modules",
                                              "readOnly": True}])

    def test_least_privilege_fields(self):
        self.assert_ok(self.sealctl("--masters", "192.168.0.2:6443", "--least-privilege"))
        [c] = yaml.safe_load(read(self.manifest()))["spec"]["containers"]
        self.assertEqual(c["securityContext"], {"capabilities": {"add": ["NET_ADMIN", "SYS_MODULE"]}})


class WriteTest(SealctlTest):
    def test_written_atomically_then_unchanged(self):
        result = self.sealctl("--masters", "192.168.0.2:6443")
        self.assert_ok(result)
        self.assertIn("written", result.stdout)
        path = self.manifest()
        self.assertEqual(read(path), read(os.path.join(GOLDEN, "default.yaml")))
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        self.assertEqual(os.listdir(self.manifests), ["kube-sealos-lvscare.yaml"])  # no temporary file left

        os.utime(path, (1_000_000_000, 1_000_000_000))  # back-dated: a rewrite would move it
        before = os.stat(path)
        result = self.sealctl("--masters", "192.168.0.2:6443")
        self.assert_ok(result)
        self.assertIn("unchanged", result.stdout)
        after = os.stat(path)
        self.assertEqual(after.st_ino, before.st_ino)
        self.assertEqual(after.st_mtime_ns, before.st_mtime_ns)

        result = self.sealctl("--masters", "192.168.0.2:6443,192.168.0.3:6443")
        self.assert_ok(result)
        self.assertIn("written", result.stdout)
        self.assertNotEqual(os.stat(path).st_ino, before.st_ino)
        self.assertIn("192.168.0.3:6443", read(path))
        self.assertEqual(os.listdir(self.manifests), ["kube-sealos-lvscare.yaml"])

    def test_path_before_or_after_lvscare_and_nested_directory_created(self):
        nested = os.path.join(self.tmp, "a", "b")
        result = subprocess.run([SEALCTL, "static-pod", "--path", nested, "lvscare", "--hosts-file", self.no_hosts,
                                 "--mount-host-lvscare", "never", "--masters", "192.168.0.2:6443"],
                                capture_output=True, text=True, timeout=30)
        self.assert_ok(result)
        self.assertEqual(read(os.path.join(nested, "kube-sealos-lvscare.yaml")),
                         read(os.path.join(GOLDEN, "default.yaml")))

    def test_sealos_remote_template(self):
        # pkg/ssh remote.StaticPod: `static-pod lvscare --path P --name N --vip V --image I  --masters M
        #  --options O`, with the double spaces the template leaves (the shell drops them).
        result = subprocess.run(
            [SEALCTL, "static-pod", "lvscare", "--path", self.manifests, "--name", "kube-sealos-lvscare", "--vip",
             "10.103.97.2:6443", "--image", "sealos.hub:5000/sealos/lvscare:latest", "--masters",
             "192.168.0.2:6443", "--options", "--health-status", "--options", "401", "--options",
             "--interval=5", "--options", "--mode=route", "--hosts-file", self.no_hosts,
             "--mount-host-lvscare", "never"], capture_output=True, text=True, timeout=30)
        self.assert_ok(result)
        self.assertEqual(read(self.manifest()), read(os.path.join(GOLDEN, "options.yaml")))


class SetImageTest(SealctlTest):
    def test_changes_only_the_image(self):
        self.assert_ok(self.sealctl("--masters", "192.168.0.2:6443,192.168.0.3:6443"))
        before = read(self.manifest())
        result = self.sealctl("--set-img", "--image", "registry.local/lvscare:v2")
        self.assert_ok(result)
        self.assertIn("written", result.stdout)
        after = read(self.manifest())
        self.assertEqual(after, before.replace("image: sealos.hub:5000/sealos/lvscare:latest",
                                               "image: registry.local/lvscare:v2"))
        self.assertEqual(stat.S_IMODE(os.stat(self.manifest()).st_mode), 0o600)

        result = self.sealctl("--set-img", "--image", "registry.local/lvscare:v2")
        self.assert_ok(result)
        self.assertIn("unchanged", result.stdout)

        result = self.sealctl("--set-img", "--image", "other:v3", "--print")
        self.assert_ok(result)
        self.assertIn("image: other:v3\n", result.stdout)
        self.assertEqual(read(self.manifest()), after, "--print must not write")

    def test_keeps_a_sealos_written_file_otherwise_identical(self):
        # Sealos wrote it with mode 0755; --set-img keeps its content apart from the image.
        os.makedirs(self.manifests)
        golden = read(os.path.join(GOLDEN, "several-masters.yaml"))
        with open(self.manifest(), "w") as f:
            f.write(golden)
        os.chmod(self.manifest(), 0o755)
        self.assert_ok(self.sealctl("--set-img", "--image", "x/lvscare:v9"))
        self.assertEqual(read(self.manifest()),
                         golden.replace("sealos.hub:5000/sealos/lvscare:latest", "x/lvscare:v9"))

    def test_missing_manifest_is_an_error(self):
        result = self.sealctl("--set-img", "--image", "registry.local/lvscare:v2")
        self.assertEqual(result.returncode, 1)
        self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
        self.assertIn("--set-img", result.stderr)
        self.assertIn(self.manifest(), result.stderr)
        self.assertFalse(os.path.exists(self.manifests))

    def test_not_a_pod_is_an_error(self):
        os.makedirs(self.manifests)
        with open(self.manifest(), "w") as f:
            f.write("kind: ConfigMap\n")
        result = self.sealctl("--set-img", "--image", "x:v1")
        self.assertEqual(result.returncode, 1)
        self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
        self.assertEqual(read(self.manifest()), "kind: ConfigMap\n")


INVALID = [
    # (arguments, text the one error line must contain)
    (["--masters", "192.168.0.2:6443", "--probes", "--metrics-bind-address", "localhost:10264"],
     "--metrics-bind-address 'localhost:10264'"),
    (["--masters", "192.168.0.2:6443", "--metrics-bind-address", "127.0.0.1:10300"], "--probes"),
    (["--vip", "10.0.0.1", "--masters", "192.168.0.2:6443"], "--vip '10.0.0.1'"),
    (["--vip", "10.0.0.1:0", "--masters", "192.168.0.2:6443"], "--vip '10.0.0.1:0'"),
    (["--vip", "10.0.0.1:99999", "--masters", "192.168.0.2:6443"], "--vip '10.0.0.1:99999'"),
    (["--vip", "apiserver.cluster.local:6443", "--masters", "192.168.0.2:6443"], "--vip"),
    (["--vip", "fd00::1:6443", "--masters", "[fd00::2]:6443"], "--vip 'fd00::1:6443'"),
    (["--vip", "[10.0.0.1]:6443", "--masters", "192.168.0.2:6443"], "--vip"),
    (["--masters", "192.168.0.2"], "--masters '192.168.0.2'"),
    (["--masters", "192.168.0.2:6443,bad"], "--masters 'bad'"),
    (["--masters", "192.168.0.2:6443", "--masters", "192.168.0.3:x"], "--masters '192.168.0.3:x'"),
    (["--masters", ""], "--masters"),
    ([], "--masters"),
    (["--masters", "[fd00::2]:6443"], "address family"),
    (["--masters", '"192.168.0.2:6443'], "--masters"),
    (["--masters", "192.168.0.2:6443", "--name", "Bad_Name"], "--name 'Bad_Name'"),
    (["--masters", "192.168.0.2:6443", "--name", "../etc"], "--name '../etc'"),
    (["--masters", "192.168.0.2:6443", "--name", "a/b"], "--name 'a/b'"),
    (["--masters", "192.168.0.2:6443", "--name", ""], "--name ''"),
    (["--masters", "192.168.0.2:6443", "--image", "x y"], "--image 'x y'"),
    (["--masters", "192.168.0.2:6443", "--image", "-x"], "--image '-x'"),
    (["--masters", "192.168.0.2:6443", "--options", "a\tb"], "--options"),
    (["--masters", "192.168.0.2:6443", "--options", "a\nb"], "--options"),
    (["--masters", "192.168.0.2:6443", "--options", '"unterminated'], "--options"),
    (["--masters", "192.168.0.2:6443", "--bogus"], "--bogus"),
    # (A stray word is ignored with a warning, as Sealos' cobra ignores it: lvscare_compat_test.)
    (["--masters", "192.168.0.2:6443", "--no-sys-module"], "--least-privilege"),
    (["--masters", "192.168.0.2:6443", "--mount-host-lvscare", "sometimes"], "sometimes"),
    (["--masters", "192.168.0.2:6443", "--vip"], "--vip"),
    (["--set-img", "--image", "bad image"], "--image 'bad image'"),
]


class InvalidInputTest(SealctlTest):
    def test_every_invalid_input_exits_2_with_one_line_and_writes_nothing(self):
        for args, fragment in INVALID:
            for extra in ([], ["--print"]):
                with self.subTest(args=args, extra=extra):
                    result = self.sealctl(*extra, *args)
                    self.assertEqual(result.returncode, 2, result.stderr)
                    self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
                    self.assertIn(fragment, result.stderr)
                    self.assertEqual(result.stdout, "")
                    self.assertFalse(os.path.exists(self.manifests), "nothing may be written")


if __name__ == "__main__":
    SEALCTL, GOLDEN = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0], "-v", *sys.argv[3:]])
