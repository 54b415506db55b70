// idle_connection_cost: what an idle connection from each node costs a kube-apiserver-like Go
// HTTPS server (issue 15, the canary connections). Standard library only.
//
//	idle_connection_cost server [flags]     a stand-in for kube-apiserver's secure serving
//	idle_connection_cost hold [flags]       open N connections of one kind and hold them
//	idle_connection_cost handshakes [flags] N sequential TLS handshakes: the server's CPU each
//
// The server prints "listen <tls addr> <control addr>" on stdout once it serves. The control
// address is plain HTTP (GET /stats?settle=1), so reading the figures costs no TLS handshake and
// is not counted among the connections measured.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: idle_connection_cost server|hold|handshakes [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "server":
		err = runServer(os.Args[2:])
	case "hold":
		err = runHold(os.Args[2:])
	case "handshakes":
		err = runHandshakes(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q (server, hold or handshakes)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "idle_connection_cost:", err)
		os.Exit(1)
	}
}
