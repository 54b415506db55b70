package main

// The client side: connections of one kind, held open, and what the server's figures did.
//
// Kinds (what a canary could be):
//   plain-tcp            TCP connected, nothing sent: no ClientHello (lvscare's canary today)
//   tls-idle             TLS handshake (ALPN http/1.1), then nothing
//   tls-http1-keepalive  TLS handshake, one GET /readyz (HTTP/1.1, keep-alive), then nothing
//   h2-idle              TLS handshake (ALPN h2), one GET /readyz over HTTP/2, then nothing: a
//                        kubelet's connection without its watch streams

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"sync"
	"syscall"
	"time"
)

var kinds = []string{"plain-tcp", "tls-idle", "tls-http1-keepalive", "h2-idle"}

func fetchStats(control string, settle bool) (serverStats, error) {
	url := "http://" + control + "/stats"
	if settle {
		url += "?settle=1"
	}
	client := http.Client{Timeout: 10 * time.Second}
	response, err := client.Get(url)
	if err != nil {
		return serverStats{}, err
	}
	defer response.Body.Close()
	var stats serverStats
	return stats, json.NewDecoder(response.Body).Decode(&stats)
}

func clientTLS(alpn string, cache tls.ClientSessionCache) *tls.Config {
	// No verification: the measured cost is the server's, and lvscare's default does not verify.
	return &tls.Config{InsecureSkipVerify: true, NextProtos: []string{alpn}, ClientSessionCache: cache}
}

// heldConn is one open connection and how it ended.
type heldConn struct {
	conn     net.Conn
	opened   time.Time
	closedAt time.Time
	how      string        // what the client saw before the end: "EOF", "GOAWAY then EOF", an error
	ended    chan struct{} // closed once closedAt and how are set
}

// open makes one connection of `kind` and brings it to its idle state.
func open(kind, target string) (net.Conn, *bufio.Reader, error) {
	dialer := net.Dialer{Timeout: 5 * time.Second}
	raw, err := dialer.Dial("tcp", target)
	if err != nil {
		return nil, nil, err
	}
	if kind == "plain-tcp" {
		return raw, bufio.NewReader(raw), nil
	}
	alpn := "http/1.1"
	if kind == "h2-idle" {
		alpn = "h2"
	}
	conn := tls.Client(raw, clientTLS(alpn, nil))
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	fail := func(err error) (net.Conn, *bufio.Reader, error) { conn.Close(); return nil, nil, err }
	if err := conn.Handshake(); err != nil {
		return fail(err)
	}
	reader := bufio.NewReader(conn)
	switch kind {
	case "tls-http1-keepalive":
		if _, err := io.WriteString(conn, "GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
			return fail(err)
		}
		response, err := http.ReadResponse(reader, nil)
		if err != nil {
			return fail(err)
		}
		_, _ = io.Copy(io.Discard, response.Body)
		response.Body.Close()
		if response.StatusCode != 200 {
			return fail(fmt.Errorf("GET /readyz: %s", response.Status))
		}
	case "h2-idle":
		if conn.ConnectionState().NegotiatedProtocol != "h2" {
			return fail(errors.New("the server did not agree to h2"))
		}
		if err := h2Request(conn, reader, "/readyz"); err != nil {
			return fail(err)
		}
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, reader, nil
}

// watch reads until the connection ends and notes how (an HTTP/2 GOAWAY is told apart).
func watch(held *heldConn, reader *bufio.Reader, h2 bool, done *sync.WaitGroup) {
	defer done.Done()
	defer close(held.ended)
	sawGoAway := false
	var err error
	for {
		if h2 {
			var frameType byte
			frameType, err = h2SkipFrame(reader)
			if err == nil && frameType == h2FrameGoAway {
				sawGoAway = true
			}
		} else {
			_, err = reader.ReadByte()
		}
		if err != nil {
			break
		}
	}
	held.closedAt = time.Now()
	held.how = err.Error()
	if errors.Is(err, io.EOF) {
		held.how = "EOF"
	} else if errors.Is(err, syscall.ECONNRESET) {
		held.how = "RST"
	}
	if sawGoAway {
		held.how = "GOAWAY then " + held.how
	}
}

func perConn(after, before int64, n int) float64 { return float64(after-before) / float64(n) }

func runHold(args []string) error {
	flags := flag.NewFlagSet("hold", flag.ContinueOnError)
	kind := flags.String("kind", "plain-tcp", "plain-tcp, tls-idle, tls-http1-keepalive or h2-idle")
	count := flags.Int("n", 2000, "connections to open")
	target := flags.String("target", "", "the server's TLS address")
	control := flags.String("control", "", "the server's control address")
	watchFor := flags.Duration("watch", 0, "then hold up to this long, noting when and how the server closes them")
	if err := flags.Parse(args); err != nil {
		return err
	}
	known := false
	for _, k := range kinds {
		known = known || k == *kind
	}
	if !known || *count < 1 || *target == "" || *control == "" {
		return errors.New("hold needs --kind (plain-tcp, tls-idle, tls-http1-keepalive, h2-idle), --n >= 1, --target and --control")
	}
	before, err := fetchStats(*control, true)
	if err != nil {
		return err
	}
	start := time.Now()
	held := make([]*heldConn, 0, *count)
	var watchers sync.WaitGroup
	defer func() {
		for _, h := range held {
			h.conn.Close()
		}
		watchers.Wait()
	}()
	for i := 0; i < *count; i++ {
		conn, reader, err := open(*kind, *target)
		if err != nil {
			return fmt.Errorf("connection %d: %w", i+1, err)
		}
		h := &heldConn{conn: conn, opened: time.Now(), ended: make(chan struct{})}
		held = append(held, h)
		watchers.Add(1)
		go watch(h, reader, *kind == "h2-idle", &watchers)
	}
	opening := time.Since(start)
	after, err := fetchStats(*control, true)
	if err != nil {
		return err
	}
	n := *count
	fmt.Printf("kind %s: %d connections opened in %.1f s, server sees %d open (%d before)\n", *kind, n,
		opening.Seconds(), after.Open, before.Open)
	fmt.Printf("  per connection: RSS %.1f KiB, heap in use %.1f KiB, stacks %.1f KiB, goroutines %.2f\n",
		perConn(after.RSSKiB, before.RSSKiB, n), perConn(int64(after.HeapInuse), int64(before.HeapInuse), n)/1024,
		perConn(int64(after.StackInuse), int64(before.StackInuse), n)/1024,
		perConn(int64(after.Goroutines), int64(before.Goroutines), n))
	if after.Open-before.Open != int64(n) {
		fmt.Printf("  WARNING: the server closed %d of them before the figures were read\n", int64(n)-(after.Open-before.Open))
	}
	if *watchFor <= 0 {
		return nil
	}
	return report(held, *control, before, *watchFor)
}

// report waits up to `limit` for the server to close the held connections, then says when and how.
func report(held []*heldConn, control string, before serverStats, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		stats, err := fetchStats(control, false)
		if err != nil {
			return err
		}
		if stats.Open <= before.Open {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // the client's readers see the ends the server made
	stats, err := fetchStats(control, false)
	if err != nil {
		return err
	}
	var lifetimes []float64
	hows := map[string]int{}
	for _, h := range held {
		select {
		case <-h.ended: // the server ended it: the client has not closed anything yet
			lifetimes = append(lifetimes, h.closedAt.Sub(h.opened).Seconds())
			hows[h.how]++
		default:
		}
	}
	sort.Float64s(lifetimes)
	if len(lifetimes) == 0 {
		fmt.Printf("  within %s the server closed none of them\n", limit)
	} else {
		fmt.Printf("  the server closed %d of %d within %s, after %.1f s (median; %.1f-%.1f s)\n", len(lifetimes),
			len(held), limit, lifetimes[len(lifetimes)/2], lifetimes[0], lifetimes[len(lifetimes)-1])
	}
	for how, n := range hows {
		fmt.Printf("  client saw: %s (%d)\n", how, n)
	}
	fmt.Printf("  server: handshake errors logged +%d", stats.HandshakeErrors-before.HandshakeErrors)
	if stats.HandshakeErrors > before.HandshakeErrors {
		fmt.Printf(", e.g. %q", stats.LastError)
	}
	fmt.Println()
	return nil
}

// runHandshakes makes N connections one after another and divides the server's CPU time over
// them by N (accepting and closing included: that is what a reconnect costs). --what says what
// each connection does:
//
//	tcp        connect and close, no ClientHello (a plain canary's reconnect)
//	handshake  a TLS handshake (ALPN http/1.1), then close (a TLS canary's reconnect)
//	request    a handshake and one GET /readyz with "Connection: close" (an HTTPS check)
//	keepalive  one GET /readyz on a TLS connection kept open (a check on a held connection;
//	           the one handshake is spread over the N)
//
// With --resume the client keeps a session cache, so every handshake after the first resumes
// (TLS 1.3: a ticket plus a fresh ECDHE, no certificate and no signature), as lvscare's HTTPS
// checks do when they do not verify; it needs "request", which reads the ticket before closing.
func runHandshakes(args []string) error {
	flags := flag.NewFlagSet("handshakes", flag.ContinueOnError)
	count := flags.Int("n", 2000, "connections")
	target := flags.String("target", "", "the server's TLS address")
	control := flags.String("control", "", "the server's control address")
	what := flags.String("what", "handshake", "tcp, handshake, request or keepalive")
	resume := flags.Bool("resume", false, "resume sessions (a client session cache; needs --what request)")
	maxVersion := flags.String("tls", "1.3", "the highest TLS version the client offers: 1.2 or 1.3")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *count < 1 || *target == "" || *control == "" || (*maxVersion != "1.2" && *maxVersion != "1.3") ||
		(*what != "tcp" && *what != "handshake" && *what != "request" && *what != "keepalive") || (*resume && *what != "request") {
		return errors.New("handshakes needs --n >= 1, --target, --control, --what tcp|handshake|request|keepalive (request with --resume), --tls 1.2|1.3")
	}
	var cache tls.ClientSessionCache
	if *resume {
		cache = tls.NewLRUClientSessionCache(4)
	}
	config := clientTLS("http/1.1", cache)
	if *maxVersion == "1.2" {
		config.MaxVersion = tls.VersionTLS12
	}
	before, err := fetchStats(*control, false)
	if err != nil {
		return err
	}
	clientBefore := cpuMicros()
	start := time.Now()
	resumed := 0
	if *what == "keepalive" {
		if err := requestsOnOneConnection(*target, *count); err != nil {
			return err
		}
	}
	for i := 0; i < *count && *what != "keepalive"; i++ {
		raw, err := net.DialTimeout("tcp", *target, 5*time.Second)
		if err != nil {
			return err
		}
		if *what == "tcp" {
			raw.Close()
			continue
		}
		conn := tls.Client(raw, config)
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		err = conn.Handshake()
		if err == nil && *what == "request" {
			err = getAndClose(conn)
		}
		if err != nil {
			conn.Close()
			return fmt.Errorf("connection %d: %w", i+1, err)
		}
		if conn.ConnectionState().DidResume {
			resumed++
		}
		conn.Close()
	}
	wall := time.Since(start)
	clientCPU := cpuMicros() - clientBefore
	time.Sleep(200 * time.Millisecond) // the server finishes the last connection
	after, err := fetchStats(*control, false)
	if err != nil {
		return err
	}
	n := float64(*count)
	label := *what
	if *what != "tcp" {
		label = fmt.Sprintf("%s, TLS up to %s, %d resumed", *what, *maxVersion, resumed)
	}
	fmt.Printf("connections: %d (%s) in %.1f s: server CPU %.0f us each, client CPU %.0f us each, handshake errors logged +%d\n",
		*count, label, wall.Seconds(), float64(after.CPUMicros-before.CPUMicros)/n, float64(clientCPU)/n,
		after.HandshakeErrors-before.HandshakeErrors)
	return nil
}

func getAndClose(conn *tls.Conn) error {
	if _, err := io.WriteString(conn, "GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"); err != nil {
		return err
	}
	response, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, response.Body)
	response.Body.Close()
	if response.StatusCode != 200 {
		return fmt.Errorf("GET /readyz: %s", response.Status)
	}
	return nil
}

// requestsOnOneConnection: one TLS connection, `count` GET /readyz on it one after another.
func requestsOnOneConnection(target string, count int) error {
	conn, reader, err := open("tls-http1-keepalive", target) // its first request counts as one
	if err != nil {
		return err
	}
	defer conn.Close()
	for i := 1; i < count; i++ {
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(conn, "GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
			return err
		}
		response, err := http.ReadResponse(reader, nil)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, response.Body)
		response.Body.Close()
		if response.StatusCode != 200 {
			return fmt.Errorf("GET /readyz: %s", response.Status)
		}
	}
	return nil
}
