#!/usr/bin/env python3
"""Checks the golden manifests against Kubernetes' own YAML code (sigs.k8s.io/yaml on go-yaml v2).

For each golden file: Go's YAMLToJSON (how kubelet reads it) then JSONToYAML (how Sealos' serializer
writes a Pod) must give back the same bytes, so Go would write exactly this file for the data in it;
and every container argument must still be a string (nothing quoted too little). For go-quirks.yaml
the arguments must also equal the --options values the file was made from.

Needs the Go toolchain and Debian's golang-k8s-sigs-yaml-dev (GOPATH mode, nothing downloaded);
without them it exits 77, which CTest reports as skipped.

Usage: go_reference_check.py GOLDEN_DIR GO_SOURCE_DIR WORK_DIR
"""
import csv
import difflib
import glob
import json
import os
import shutil
import subprocess
import sys

GOCODE = "/usr/share/gocode"

# go-quirks.yaml is the manifest for `--options "$(cat go-quirks.options)"`: tricky strings, one
# argument per CSV field, after the 9 fixed arguments (care --vs V --health-path P --health-schem S --rs M).
QUIRKS_OPTIONS = "go-quirks.options"
FIXED_ARGS = 9


def skip(why):
    print("SKIPPED: " + why)
    sys.exit(77)


def build(source_dir, work_dir):
    go = shutil.which("go")
    if go is None:
        skip("no Go toolchain (apt-get install golang-go golang-k8s-sigs-yaml-dev)")
    if not os.path.isdir(os.path.join(GOCODE, "src/sigs.k8s.io/yaml")):
        skip("no sigs.k8s.io/yaml source (apt-get install golang-k8s-sigs-yaml-dev)")
    gopath = os.path.join(work_dir, "gopath")
    package = os.path.join(gopath, "src", "goref")
    os.makedirs(package, exist_ok=True)
    shutil.copy(os.path.join(source_dir, "main.go"), package)
    binary = os.path.join(work_dir, "go_reference")
    env = dict(os.environ, GO111MODULE="off", GOPATH=gopath + ":" + GOCODE, GOFLAGS="",
               GOCACHE=os.path.join(work_dir, "gocache"), GOPROXY="off")
    subprocess.run([go, "build", "-o", binary, "."], cwd=package, env=env, check=True, timeout=600)
    return binary


def go(binary, mode, data):
    return subprocess.run([binary, mode], input=data, capture_output=True, check=True, timeout=60).stdout


def main():
    golden_dir, source_dir, work_dir = sys.argv[1:4]
    binary = build(source_dir, work_dir)
    failures = 0
    files = sorted(glob.glob(os.path.join(golden_dir, "*.yaml")))
    for path in files:
        with open(path, "rb") as f:
            text = f.read()
        as_json = go(binary, "to-json", text)
        again = go(binary, "to-yaml", as_json)
        args = json.loads(as_json)["spec"]["containers"][0]["args"]
        problems = []
        if again != text:
            diff = difflib.unified_diff(text.decode().splitlines(True), again.decode().splitlines(True),
                                        "golden", "go")
            problems.append("Go writes it differently:\n" + "".join(diff))
        not_strings = [a for a in args if not isinstance(a, str)]
        if not_strings:
            problems.append("arguments Go reads as non-strings: %r" % not_strings)
        if os.path.basename(path) == "go-quirks.yaml":
            with open(os.path.join(golden_dir, QUIRKS_OPTIONS), encoding="utf-8") as f:
                expected = next(csv.reader([f.read()]))
            if args[FIXED_ARGS:] != expected:
                problems.append("arguments differ from the --options given: %r" %
                                [(a, e) for a, e in zip(args[FIXED_ARGS:], expected) if a != e])
        if problems:
            failures += 1
            print("FAIL %s\n%s" % (os.path.basename(path), "\n".join(problems)))
        else:
            print("ok   %s" % os.path.basename(path))
    if not files:
        print("no golden files in " + golden_dir)
        return 1
    print("%d passed, %d failed" % (len(files) - failures, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
