package payment

import (
	"testing"
	"time"
)

func TestParsePayoutFaults(t *testing.T) {
	f, err := ParsePayoutFaults("fail_send=0.5, fail=1,delay=2s")
	if err != nil {
		t.Fatal(err)
	}
	if want := (PayoutFaults{FailSend: 0.5, Fail: 1, Delay: 2 * time.Second}); f != want {
		t.Errorf("ParsePayoutFaults = %+v, want %+v", f, want)
	}
	for _, bad := range []string{"fail=2", "fail_send=-1", "drop=0.1", "fail", "delay=later", "delay=-1s"} {
		if _, err := ParsePayoutFaults(bad); err == nil {
			t.Errorf("ParsePayoutFaults(%q) succeeded, want an error", bad)
		}
	}
	if f, err := ParsePayoutFaults(""); err != nil || f != (PayoutFaults{}) {
		t.Errorf("ParsePayoutFaults(\"\") = %+v, %v; want no faults", f, err)
	}
}
