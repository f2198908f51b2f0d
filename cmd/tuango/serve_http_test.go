package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// their files and a pool that trusts it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tuango test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// serve --tls-cert/--tls-key serves HTTPS (TLS 1.2 and later only) with
// HSTS and Secure cookies; a client that sends its headers too slowly is
// cut off after --read-header-timeout (slowloris).
func TestServeOverTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	certFile, keyFile, pool := selfSigned(t)
	bin := buildBinary(t)
	cmd := exec.Command(bin, append([]string{"demo"}, append(storeArgs(t), "--addr", "127.0.0.1:0", "--argon2-memory-kib", "64", "--argon2-passes", "1",
		"--log-level", "error", "--tls-cert", certFile, "--tls-key", keyFile, "--read-header-timeout", "300ms")...)...)
	out := &output{urls: make(chan string, 1)}
	cmd.Stdout = out
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var base string
	select {
	case base = <-out.urls:
	case <-time.After(60 * time.Second):
		t.Fatalf("tuango did not start; stderr:\n%s", stderr.String())
	}
	if !strings.HasPrefix(base, "https://127.0.0.1:") {
		t.Fatalf("listening on %q, want https://127.0.0.1:…", base)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	var resp *http.Response
	var err error
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err = client.Get(base + "/login"); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("GET /login over TLS: %v; stderr:\n%s", err, stderr.String())
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("GET /login = %d over %+v", resp.StatusCode, resp.TLS)
	}
	if got := resp.Header.Get("Strict-Transport-Security"); got != "max-age=63072000; includeSubDomains" {
		t.Errorf("Strict-Transport-Security = %q", got)
	}
	for _, c := range resp.Cookies() {
		if !c.Secure || !c.HttpOnly {
			t.Errorf("cookie %s: Secure=%v HttpOnly=%v, want both over TLS", c.Name, c.Secure, c.HttpOnly)
		}
	}

	t.Run("TLS 1.1 is refused", func(t *testing.T) {
		c, err := tls.Dial("tcp", strings.TrimPrefix(base, "https://"), &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS11})
		if err == nil {
			c.Close()
			t.Error("a TLS 1.1 handshake succeeded")
		}
	})
	t.Run("plain HTTP on the TLS port gets no page", func(t *testing.T) {
		r, err := http.Get("http://" + strings.TrimPrefix(base, "https://") + "/login")
		if err == nil {
			r.Body.Close()
			if r.StatusCode != http.StatusBadRequest {
				t.Errorf("plain HTTP = %d, want 400 (Go's answer to HTTP on a TLS port)", r.StatusCode)
			}
		}
	})
	t.Run("a slow client's connection is closed after the header timeout", func(t *testing.T) {
		c, err := tls.Dial("tcp", strings.TrimPrefix(base, "https://"), &tls.Config{RootCAs: pool})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// Half a request line and one header, then nothing: the slowloris.
		if _, err := io.WriteString(c, "GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"); err != nil {
			t.Fatal(err)
		}
		// Generous: the timeout is 300ms; a server without one would keep
		// the connection until this read gives up.
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("the server kept a connection whose headers never came")
		}
		if err == nil && !strings.Contains(line, "408") && !strings.Contains(line, "400") {
			t.Errorf("the server answered %q to headers that never ended", line)
		}
	})
}

// serve refuses a certificate without its key, a missing file and a
// timeout of zero before it serves anything.
func TestServeRefusesBadTransportFlags(t *testing.T) {
	certFile, keyFile, _ := selfSigned(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert", certFile}, "--tls-cert and --tls-key go together"},
		{[]string{"--tls-cert", certFile, "--tls-key", certFile + ".missing"}, "--tls-key"},
		{[]string{"--tls-cert", keyFile, "--tls-key", keyFile}, "--tls-cert"},
		{[]string{"--read-header-timeout", "0s"}, "--read-header-timeout 0s: want a positive duration"},
	} {
		var out, errb bytes.Buffer
		err := run(context.Background(), append([]string{"serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0"}, tc.args...), env(nil), nil, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("serve %v = %v, want an error naming %q", tc.args, err, tc.want)
		}
	}
}
