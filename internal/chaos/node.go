package chaos

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// node is one tuango process the fault test runs, kills and restarts, always
// on the same port.
type node struct {
	name  string // n1, n2, ...
	addr  string // 127.0.0.1:port
	bin   string
	flags []string // everything after the command
	log   *os.File // stdout and stderr of every life of the process

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the current process has exited
	up      bool          // started, ready and not stopped or killed since
	stopped bool          // SIGSTOPped
	// onReady runs after each start, once the node answers /readyz: the
	// day sets the sandbox's faults again, which a restart forgets.
	onReady func(ctx context.Context, n *node)
}

// nodeEnv is this process's environment without TUANGO_* variables, so that
// a node runs with exactly the flags the fault test gives it.
func nodeEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TUANGO_") {
			env = append(env, kv)
		}
	}
	return env
}

// readyTimeout bounds how long a node may take to answer /readyz.
const readyTimeout = 30 * time.Second

// freePort asks the kernel for a port that is free now, to be reused by
// every life of a node.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func (n *node) url() string { return "http://" + n.addr }

// start runs the node with command (demo or serve) and waits until it is
// ready.
func (n *node) start(ctx context.Context, command string) error {
	n.mu.Lock()
	cmd := exec.Command(n.bin, append([]string{command}, n.flags...)...)
	cmd.Stdout, cmd.Stderr = n.log, n.log
	cmd.Env = nodeEnv()
	guardChild(cmd)
	fmt.Fprintf(n.log, "--- chaos: %s %s at %s\n", command, n.name, time.Now().UTC().Format(time.RFC3339Nano))
	if err := cmd.Start(); err != nil {
		n.mu.Unlock()
		return fmt.Errorf("chaos: start %s: %w", n.name, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	n.cmd, n.exited = cmd, exited
	n.mu.Unlock()

	client := &http.Client{Timeout: time.Second}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(readyTimeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		select {
		case <-exited:
			return fmt.Errorf("chaos: %s exited while starting; the end of %s:\n%s", n.name, n.log.Name(), n.logTail())
		default:
		}
		if resp, err := client.Get(n.url() + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				n.mu.Lock()
				n.up = true
				ready := n.onReady
				n.mu.Unlock()
				if ready != nil {
					ready(ctx, n)
				}
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	n.kill()
	return fmt.Errorf("chaos: %s was not ready within %s; the end of %s:\n%s", n.name, readyTimeout, n.log.Name(), n.logTail())
}

// kill sends SIGKILL and waits until the process is gone.
func (n *node) kill() {
	n.mu.Lock()
	cmd, exited := n.cmd, n.exited
	n.up, n.stopped = false, false
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	signal(cmd, "kill")
	<-exited
}

// pause sends SIGSTOP; resume sends SIGCONT.
func (n *node) pause() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.up, n.stopped = false, true
	signal(n.cmd, "stop")
}

func (n *node) resume() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stopped {
		signal(n.cmd, "cont")
		n.up, n.stopped = n.running(), false
	}
}

// running reports whether the current process has not exited; n.mu held.
func (n *node) running() bool {
	if n.exited == nil {
		return false
	}
	select {
	case <-n.exited:
		return false
	default:
		return true
	}
}

// claimDown marks n down if it is up, so that of two nemeses striking at
// once only one kills and restarts it.
func (n *node) claimDown() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.up || !n.running() {
		return false
	}
	n.up = false
	return true
}

// setOnReady sets what runs after each start from now on.
func (n *node) setOnReady(f func(ctx context.Context, n *node)) {
	n.mu.Lock()
	n.onReady = f
	n.mu.Unlock()
}

func (n *node) isUp() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.up && n.running()
}

// shutdown asks the node to drain with SIGTERM and kills it if it takes
// longer than grace.
func (n *node) shutdown(grace time.Duration) {
	n.resume()
	n.mu.Lock()
	cmd, exited := n.cmd, n.exited
	n.up = false
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	signal(cmd, "term")
	select {
	case <-exited:
	case <-time.After(grace):
		n.kill()
	}
}

// logTail returns the end of the node's log, for error messages.
func (n *node) logTail() string {
	b, err := os.ReadFile(n.log.Name())
	if err != nil {
		return ""
	}
	s := string(b)
	if len(s) > 1500 {
		s = s[len(s)-1500:]
	}
	return strings.TrimSpace(s)
}
