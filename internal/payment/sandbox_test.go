package payment

import (
	"testing"
	"time"
)

func TestParseFaults(t *testing.T) {
	f, err := ParseFaults("drop=0.2, duplicate=1,delay=1500ms,bad_signature=0,fail_create=0.5,create_delay=3s")
	if err != nil {
		t.Fatal(err)
	}
	want := Faults{Drop: 0.2, Duplicate: 1, Delay: 1500 * time.Millisecond, FailCreate: 0.5, CreateDelay: 3 * time.Second}
	if f != want {
		t.Errorf("ParseFaults = %+v, want %+v", f, want)
	}
	for _, bad := range []string{"drop=2", "drop=-0.1", "nonsense=1", "drop", "delay=soon", "delay=-1s", "create_delay=soon"} {
		if _, err := ParseFaults(bad); err == nil {
			t.Errorf("ParseFaults(%q) succeeded, want an error", bad)
		}
	}
	if f, err := ParseFaults(""); err != nil || f != (Faults{}) {
		t.Errorf("ParseFaults(\"\") = %+v, %v; want no faults", f, err)
	}
}

func TestSignIsOverTimestampNonceAndBody(t *testing.T) {
	key := []byte("k")
	base := Sign(key, "1", "n", []byte("b"))
	for name, other := range map[string]string{
		"timestamp": Sign(key, "2", "n", []byte("b")),
		"nonce":     Sign(key, "1", "m", []byte("b")),
		"body":      Sign(key, "1", "n", []byte("c")),
		"key":       Sign([]byte("j"), "1", "n", []byte("b")),
	} {
		if other == base {
			t.Errorf("changing the %s does not change the signature", name)
		}
	}
}
