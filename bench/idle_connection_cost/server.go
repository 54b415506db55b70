package main

// The server side: net/http + crypto/tls set up the way kube-apiserver's secure serving sets up
// its http.Server (k8s.io/apiserver pkg/server/secure_serving.go): ReadHeaderTimeout 32 s (which
// Go also takes as the TLS handshake deadline, being the smallest of ReadHeaderTimeout,
// ReadTimeout and WriteTimeout), IdleTimeout 90 s (HTTP/1.1 keep-alive and, copied by net/http,
// HTTP/2), MaxHeaderBytes 1 MiB, TLS 1.2 minimum, ALPN h2 then http/1.1, a client certificate
// requested but not required, TCP keepalive every 3 minutes on accepted connections, and an error
// log that counts "http: TLS handshake error" lines instead of printing them (the apiserver logs
// them at V(5) and counts apiserver_tls_handshake_errors_total).
//
// Not the same: the apiserver configures HTTP/2 through golang.org/x/net/http2 (at most 100
// concurrent streams, 256 KiB frames and per-stream buffer); the standard library's bundled
// HTTP/2 server used here keeps its defaults (250 streams, 16 KiB frames, 1 MiB windows). Flow
// control windows are credit, not memory allocated up front, so an idle connection costs about
// the same; the figures say so only for this server.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type serverCounters struct {
	accepted        atomic.Int64
	closed          atomic.Int64
	handshakeErrors atomic.Int64
	mu              sync.Mutex
	lastError       string
}

// countingListener counts the connections accepted and closed below TLS, so every kind is counted
// the same way whatever runs on it (plain TCP never becomes an HTTP connection; HTTP/2 has its own
// connection states).
type countingListener struct {
	net.Listener
	counters  *serverCounters
	keepAlive time.Duration
}

type countedConn struct {
	net.Conn
	once     sync.Once
	counters *serverCounters
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.counters.closed.Add(1) })
	return c.Conn.Close()
}

func (l countingListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetKeepAlive(true)
		_ = tcp.SetKeepAlivePeriod(l.keepAlive)
	}
	l.counters.accepted.Add(1)
	return &countedConn{Conn: conn, counters: l.counters}, nil
}

// errorLogSink takes http.Server's error log: handshake errors are counted (and the last kept, to
// show what the apiserver would log at V(5)); anything else goes to stderr.
type errorLogSink struct{ counters *serverCounters }

func (s errorLogSink) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	if strings.Contains(line, "http: TLS handshake error") {
		s.counters.handshakeErrors.Add(1)
		s.counters.mu.Lock()
		s.counters.lastError = line
		s.counters.mu.Unlock()
		return len(p), nil
	}
	return os.Stderr.Write(p)
}

func selfSignedP256() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	template := x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "kube-apiserver stand-in"},
		DNSNames:     []string{"localhost", "kubernetes", "kubernetes.default.svc"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, &template, &template, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// serverStats is what GET /stats returns.
type serverStats struct {
	RSSKiB          int64  `json:"rss_kib"`
	HeapInuse       uint64 `json:"heap_inuse"`
	StackInuse      uint64 `json:"stack_inuse"`
	Goroutines      int    `json:"goroutines"`
	CPUMicros       int64  `json:"cpu_us"`
	Accepted        int64  `json:"accepted"`
	Open            int64  `json:"open"`
	HandshakeErrors int64  `json:"handshake_errors"`
	LastError       string `json:"last_error"`
}

func vmRSSKiB() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			var kib int64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmRSS:")), "%d", &kib)
			return kib
		}
	}
	return -1
}

func cpuMicros() int64 {
	var usage syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &usage) != nil {
		return -1
	}
	return usage.Utime.Nano()/1000 + usage.Stime.Nano()/1000
}

func collectStats(counters *serverCounters, settle bool) serverStats {
	if settle {
		// Three rounds: each GC shrinks goroutine stacks that use little of theirs by half, and
		// FreeOSMemory returns the freed pages, so RSS reflects what the connections hold.
		for i := 0; i < 3; i++ {
			debug.FreeOSMemory()
			time.Sleep(50 * time.Millisecond)
		}
	}
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	counters.mu.Lock()
	last := counters.lastError
	counters.mu.Unlock()
	return serverStats{
		RSSKiB:          vmRSSKiB(),
		HeapInuse:       mem.HeapInuse,
		StackInuse:      mem.StackInuse,
		Goroutines:      runtime.NumGoroutine(),
		CPUMicros:       cpuMicros(),
		Accepted:        counters.accepted.Load(),
		Open:            counters.accepted.Load() - counters.closed.Load(),
		HandshakeErrors: counters.handshakeErrors.Load(),
		LastError:       last,
	}
}

func runServer(args []string) error {
	flags := flag.NewFlagSet("server", flag.ContinueOnError)
	readHeaderTimeout := flags.Duration("read-header-timeout", 32*time.Second, "kube-apiserver: 32s")
	idleTimeout := flags.Duration("idle-timeout", 90*time.Second, "kube-apiserver: 90s")
	keepAlive := flags.Duration("tcp-keepalive", 3*time.Minute, "kube-apiserver: 3m")
	if err := flags.Parse(args); err != nil {
		return err
	}
	cert, err := selfSignedP256()
	if err != nil {
		return err
	}
	counters := &serverCounters{}
	mux := http.NewServeMux()
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	tlsConfig := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"h2", "http/1.1"},
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequestClientCert,
	}
	server := &http.Server{
		Handler:           mux,
		MaxHeaderBytes:    1 << 20,
		TLSConfig:         tlsConfig,
		IdleTimeout:       *idleTimeout,
		ReadHeaderTimeout: *readHeaderTimeout,
		ErrorLog:          log.New(errorLogSink{counters}, "", 0),
	}
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	control, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	controlMux := http.NewServeMux()
	controlMux.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(collectStats(counters, r.URL.Query().Get("settle") == "1"))
	})
	go func() { _ = http.Serve(control, controlMux) }()
	fmt.Printf("listen %s %s\n", tcp.Addr(), control.Addr())
	listener := tls.NewListener(countingListener{tcp, counters, *keepAlive}, tlsConfig)
	return server.Serve(listener)
}
