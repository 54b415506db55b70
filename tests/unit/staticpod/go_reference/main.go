// go_reference: Kubernetes' own YAML conversion (sigs.k8s.io/yaml, on go-yaml v2), used by the
// tests as the reference our emitter must match byte for byte.
//
//	go_reference to-json < manifest.yaml   YAMLToJSON, as kubelet reads a manifest
//	go_reference to-yaml < object.json     JSONToYAML, as Sealos' serializer writes one
//
// Built from Debian's golang-k8s-sigs-yaml-dev in GOPATH mode: no module download.
package main

import (
	"fmt"
	"io"
	"os"

	"sigs.k8s.io/yaml"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go_reference to-json|to-yaml")
		os.Exit(2)
	}
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var out []byte
	switch os.Args[1] {
	case "to-json":
		out, err = yaml.YAMLToJSON(in)
	case "to-yaml":
		out, err = yaml.JSONToYAML(in)
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.Write(out)
}
