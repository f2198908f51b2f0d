package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tuango/internal/sqlstore"
	"tuango/internal/tuango"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestAdminCreateBootstrapsAnAdmin(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("a-long-admin-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	// --data comes from the environment: every flag has a TUANGO_* variable.
	vars := env(map[string]string{"TUANGO_DATA": dir, "TUANGO_ARGON2_MEMORY_KIB": "64", "TUANGO_ARGON2_PASSES": "1"})
	err := run(context.Background(), []string{"admin", "create", "--phone", "13700000001", "--password-file", pw}, vars, nil, &out, &errb)
	if err != nil {
		t.Fatalf("admin create: %v\n%s", err, errb.String())
	}
	db, err := sqlstore.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	u, err := db.Store().FindUserByPhone(context.Background(), "13700000001")
	if err != nil || u.Role != tuango.RoleAdmin {
		t.Fatalf("admin = %+v, %v; want role admin", u, err)
	}
	t.Run("a second admin with the same phone is refused", func(t *testing.T) {
		err := run(context.Background(), []string{"admin", "create", "--phone", "13700000001", "--password-file", pw}, vars, nil, &out, &errb)
		if tuango.ErrorCode(err) != tuango.CodePhoneTaken {
			t.Errorf("second create = %v, want phone_taken", err)
		}
	})
	t.Run("disable and role end the account's sessions", func(t *testing.T) {
		store := db.Store()
		sess := &tuango.Session{TokenHash: "h-admin-cli", UserID: u.ID, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour), LastSeenAt: time.Now()}
		if err := store.CreateSession(context.Background(), sess); err != nil {
			t.Fatal(err)
		}
		if err := run(context.Background(), []string{"admin", "role", "--phone", "13700000001", "--role", "operator"}, vars, nil, &out, &errb); err != nil {
			t.Fatalf("admin role: %v", err)
		}
		if got, _ := store.FindUserByPhone(context.Background(), "13700000001"); got.Role != tuango.RoleOperator {
			t.Errorf("role after admin role = %s, want operator", got.Role)
		}
		if _, err := store.FindSession(context.Background(), sess.TokenHash, time.Now()); !tuango.IsNotFound(err) {
			t.Errorf("the session after the role change = %v, want it ended", err)
		}
		if err := run(context.Background(), []string{"admin", "role", "--phone", "13700000001", "--role", "king"}, vars, nil, &out, &errb); err == nil {
			t.Error("admin role --role king was accepted")
		}
		u2, _ := store.FindUserByPhone(context.Background(), "13700000001")
		u2.TOTPSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
		if err := store.UpdateUser(context.Background(), u2); err != nil {
			t.Fatal(err)
		}
		if err := run(context.Background(), []string{"admin", "reset-totp", "--phone", "13700000001"}, vars, nil, &out, &errb); err != nil {
			t.Fatalf("admin reset-totp: %v", err)
		}
		if got, _ := store.FindUserByPhone(context.Background(), "13700000001"); got.TOTPSecret != "" || !tuango.NeedsEnrolment(got) {
			t.Errorf("after admin reset-totp the secret = %q, want none (enrol again)", got.TOTPSecret)
		}
		if err := run(context.Background(), []string{"admin", "disable", "--phone", "13700000001"}, vars, nil, &out, &errb); err != nil {
			t.Fatalf("admin disable: %v", err)
		}
		if got, _ := store.FindUserByPhone(context.Background(), "13700000001"); got.DisabledAt == nil {
			t.Error("the account is not disabled")
		}
		if err := run(context.Background(), []string{"admin", "disable", "--phone", "13799999999"}, vars, nil, &out, &errb); err == nil {
			t.Error("admin disable of an unknown phone succeeded")
		}
	})
	t.Run("a short password is refused", func(t *testing.T) {
		short := filepath.Join(dir, "short")
		os.WriteFile(short, []byte("short"), 0o600)
		err := run(context.Background(), []string{"admin", "create", "--phone", "13700000002", "--password-file", short}, vars, nil, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), "password") {
			t.Errorf("short password = %v, want an error about the password", err)
		}
	})
}

func TestFlagsAndEnvironment(t *testing.T) {
	var out, errb bytes.Buffer
	tests := []struct {
		name    string
		args    []string
		vars    map[string]string
		wantErr string
	}{
		{"unknown command", []string{"frobnicate"}, nil, "unknown command"},
		{"no command", nil, nil, "no command"},
		{"bad flag value from the environment", []string{"migrate"}, map[string]string{"TUANGO_DATA": "", "TUANGO_DB": "postgres://nobody@127.0.0.1:1/x?connect_timeout=1"}, "postgres"},
		{"bad log level", []string{"serve", "--log-level", "loud", "--data", t.TempDir()}, nil, "log-level"},
		{"negative request log rate", []string{"serve", "--log-requests-per-second", "-1", "--data", t.TempDir()}, nil, "--log-requests-per-second"},
		{"bad sandbox faults", []string{"serve", "--sandbox-faults", "drop=7", "--data", t.TempDir()}, nil, "probability"},
		{"bad payout faults", []string{"serve", "--payout-faults", "fail=7", "--data", t.TempDir()}, nil, "probability"},
		{"bad ids switch", []string{"serve", "--ids", "maybe", "--data", t.TempDir()}, nil, "--ids"},
		{"bad rate limit", []string{"serve", "--rate-limit", "account=fast", "--data", t.TempDir()}, nil, "RATE:BURST"},
		{"bad waf mode", []string{"serve", "--waf", "strict", "--data", t.TempDir()}, nil, "off, detect or block"},
		{"bad waf mode in the environment", []string{"serve", "--data", t.TempDir()}, map[string]string{"TUANGO_WAF": "on"}, "off, detect or block"},
		{"bad duration in the environment", []string{"serve"}, map[string]string{"TUANGO_ORDER_TIMEOUT": "soon"}, "TUANGO_ORDER_TIMEOUT"},
		{"zero flash order timeout", []string{"serve", "--flash-order-timeout", "0s", "--data", t.TempDir()}, nil, "--flash-order-timeout"},
		{"negative flash order timeout in the environment", []string{"serve", "--data", t.TempDir()}, map[string]string{"TUANGO_FLASH_ORDER_TIMEOUT": "-5m"}, "--flash-order-timeout"},
		{"bad flash order timeout in the environment", []string{"serve", "--data", t.TempDir()}, map[string]string{"TUANGO_FLASH_ORDER_TIMEOUT": "soon"}, "TUANGO_FLASH_ORDER_TIMEOUT"},
		{"stray argument", []string{"migrate", "extra"}, nil, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), tt.args, env(tt.vars), nil, &out, &errb)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("run(%v) = %v, want an error containing %q", tt.args, err, tt.wantErr)
			}
		})
	}
	t.Run("migrate on a fresh folder", func(t *testing.T) {
		out.Reset()
		if err := run(context.Background(), []string{"migrate", "--data", t.TempDir()}, env(nil), nil, &out, &errb); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "current schema") {
			t.Errorf("migrate printed %q", out.String())
		}
	})
	t.Run("help lists each flag's variable", func(t *testing.T) {
		errb.Reset()
		if err := run(context.Background(), []string{"serve", "--help"}, env(nil), nil, &out, &errb); err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{"TUANGO_DATA", "TUANGO_ADDR", "TUANGO_DB", "TUANGO_ORDER_TIMEOUT", "TUANGO_SANDBOX_FAULTS"} {
			if !strings.Contains(errb.String(), v) {
				t.Errorf("serve --help does not mention %s", v)
			}
		}
	})
}
