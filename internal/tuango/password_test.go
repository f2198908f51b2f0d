package tuango_test

import (
	"strings"
	"testing"

	"tuango/internal/tuango"
)

func TestCheckPassword(t *testing.T) {
	for _, tc := range []struct {
		name, pw, want string // want is the error code, "" for none
	}{
		{"12345678 is breached", "12345678", tuango.CodePasswordTooWeak},
		{"password is breached", "password", tuango.CodePasswordTooWeak},
		{"breached in any case", "PassWord", tuango.CodePasswordTooWeak},
		{"the list's last kind of entry", "qwertyuiop", tuango.CodePasswordTooWeak},
		{"empty", "", tuango.CodeInvalid},
		{"7 characters", "tuango7", tuango.CodeInvalid},
		{"8 characters", "tuango88", ""},
		{"8 Chinese characters", "团购社区自提点好", ""},
		{"128 characters", strings.Repeat("团", 128), ""},
		{"129 characters", strings.Repeat("团", 129), tuango.CodeInvalid},
		{"a passphrase", "correct horse battery staple in 长沙", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tuango.CheckPassword(tc.pw)
			if got := tuango.ErrorCode(err); got != tc.want {
				t.Errorf("CheckPassword(%q) = %v, want code %q", tc.pw, err, tc.want)
			}
			var e *tuango.Error
			if err != nil && (!asError(err, &e) || e.Field != "password") {
				t.Errorf("CheckPassword(%q) = %v, want a password field error", tc.pw, err)
			}
		})
	}
}

func asError(err error, e **tuango.Error) bool {
	v, ok := err.(*tuango.Error)
	*e = v
	return ok
}
