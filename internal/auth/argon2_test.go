package auth

import (
	"strings"
	"testing"
)

func TestHashVerify(t *testing.T) {
	h := NewHasher(Params{Time: 1, Memory: 1024, Threads: 1}, 2)
	enc, err := h.Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Errorf("Hash = %q, want a PHC argon2id string with the given parameters", enc)
	}
	tests := []struct {
		name, password string
		want           bool
	}{
		{"right password matches", "correct horse", true},
		{"wrong password does not", "correct horsE", false},
		{"empty password does not", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.Verify(enc, tt.password)
			if err != nil || got != tt.want {
				t.Errorf("Verify(%q) = %v, %v; want %v", tt.password, got, err, tt.want)
			}
		})
	}
	if enc2, _ := h.Hash("correct horse"); enc2 == enc {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	if _, err := h.Verify("$bcrypt$whatever", "x"); err == nil {
		t.Error("Verify of a non-argon2id hash succeeded")
	}
	if ok, _ := h.Verify(h.Dummy(), "not a password anyone has!"); ok {
		t.Error("dummy hash matched")
	}
}
