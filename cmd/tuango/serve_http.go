package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"
)

// httpFlags are serve's transport: TLS and the timeouts that keep slow
// clients from holding connections.
type httpFlags struct {
	certFile, keyFile             *string
	readHeader, read, write, idle *time.Duration
	cert                          *tls.Certificate
}

// maxHeaderBytes bounds a request's headers (Go's default is 1 MiB): a
// session cookie, a bearer token and a browser's usual headers fit many
// times over.
const maxHeaderBytes = 64 << 10

func (h *httpFlags) register(fs *flag.FlagSet) {
	h.certFile = fs.String("tls-cert", "", "PEM certificate chain to serve HTTPS with (with --tls-key); without both, plain HTTP for a TLS-terminating proxy in front")
	h.keyFile = fs.String("tls-key", "", "PEM private key of --tls-cert")
	h.readHeader = fs.Duration("read-header-timeout", 10*time.Second, "how long a client may take to send a request's headers (against slowloris)")
	h.read = fs.Duration("read-timeout", 30*time.Second, "how long a client may take to send a whole request, body included")
	h.write = fs.Duration("write-timeout", 60*time.Second, "how long writing an answer may take, from the end of the request's headers")
	h.idle = fs.Duration("idle-timeout", 120*time.Second, "how long a kept-alive connection may wait for its next request")
}

// load checks the flags and reads the certificate, so that a bad one stops
// the node at start, not at the first client.
func (h *httpFlags) load() error {
	if (*h.certFile == "") != (*h.keyFile == "") {
		return fmt.Errorf("--tls-cert and --tls-key go together: give both, or neither for plain HTTP")
	}
	for name, d := range map[string]time.Duration{"read-header-timeout": *h.readHeader, "read-timeout": *h.read, "write-timeout": *h.write, "idle-timeout": *h.idle} {
		if d <= 0 {
			return fmt.Errorf("--%s %s: want a positive duration such as 10s", name, d)
		}
	}
	if *h.certFile == "" {
		return nil
	}
	c, err := tls.LoadX509KeyPair(*h.certFile, *h.keyFile)
	if err != nil {
		return fmt.Errorf("--tls-cert %s / --tls-key %s: %w", *h.certFile, *h.keyFile, err)
	}
	h.cert = &c
	return nil
}

func (h *httpFlags) tls() bool { return h.cert != nil }

func (h *httpFlags) scheme() string {
	if h.tls() {
		return "https://"
	}
	return "http://"
}

// server is the http.Server for handler with the flags' timeouts.
func (h *httpFlags) server(handler http.Handler) *http.Server {
	hs := &http.Server{Handler: handler, ReadHeaderTimeout: *h.readHeader, ReadTimeout: *h.read, WriteTimeout: *h.write,
		IdleTimeout: *h.idle, MaxHeaderBytes: maxHeaderBytes}
	if h.tls() {
		hs.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{*h.cert}}
	}
	return hs
}

// serve serves hs on ln, over TLS when a certificate was given.
func (h *httpFlags) serve(hs *http.Server, ln net.Listener) error {
	if h.tls() {
		return hs.ServeTLS(ln, "", "")
	}
	return hs.Serve(ln)
}
