package bench

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkRoundTrip is the floor under every figure of the flash bench:
// what one request and its answer cost the machine before tuango does
// anything, with both ends in this process and 256 connections, as the
// bench's buyers hold. cpu-ns/op is the process's CPU (user and system:
// the kernel's loopback work lands in the system time of the side that
// calls it) per round trip.
//
//   - raw: a 220-byte request and a 330-byte answer over a bare
//     connection, one write and one read on each side, over loopback TCP
//     and over a Unix socket;
//
//   - http: net/http's server answering 200 "ok" to the bench's own load
//     client (fasthttp), over loopback TCP: the framing of both ends.
//
//     go test ./internal/bench -run '^$' -bench RoundTrip -benchtime 200000x
func BenchmarkRoundTrip(b *testing.B) {
	b.Run("raw/tcp", func(b *testing.B) { rawRoundTrips(b, "tcp", "127.0.0.1:0") })
	b.Run("raw/unix", func(b *testing.B) { rawRoundTrips(b, "unix", filepath.Join(b.TempDir(), "s")) })
	b.Run("http/tcp", httpRoundTrips)
}

const roundTripConns = 256

func rawRoundTrips(b *testing.B, network, addr string) {
	ln, err := net.Listen(network, addr)
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	req, answer := make([]byte, 220), make([]byte, 330)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r, buf := bufio.NewReader(c), make([]byte, len(req))
				for {
					if _, err := io.ReadFull(r, buf); err != nil {
						return
					}
					if _, err := c.Write(answer); err != nil {
						return
					}
				}
			}()
		}
	}()
	conns := make(chan net.Conn, roundTripConns)
	for range roundTripConns {
		c, err := net.Dial(network, ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		conns <- c
	}
	measureRoundTrips(b, func() error {
		c := <-conns
		defer func() { conns <- c }()
		if _, err := c.Write(req); err != nil {
			return err
		}
		_, err := io.ReadFull(c, make([]byte, len(answer)))
		return err
	})
}

func httpRoundTrips(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})}
	go srv.Serve(ln)
	defer srv.Close()
	lc, err := newLoadClient("http://"+ln.Addr().String(), roundTripConns)
	if err != nil {
		b.Fatal(err)
	}
	defer lc.close()
	measureRoundTrips(b, func() error {
		if !lc.healthz() {
			return errors.New("GET /healthz did not answer 200")
		}
		return nil
	})
}

// measureRoundTrips runs do b.N times from roundTripConns goroutines and
// reports the process's CPU per call.
func measureRoundTrips(b *testing.B, do func() error) {
	b.SetParallelism((roundTripConns + 1) / 2) // ×GOMAXPROCS (2 here) goroutines
	before := processCPU(b)
	start := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := do(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64((processCPU(b)-before).Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "trips/s")
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
