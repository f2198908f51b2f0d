package tuango_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"tuango/internal/auth"
	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

func wantCode(t *testing.T, err error, code, what string) {
	t.Helper()
	if got := tuango.ErrorCode(err); got != code || (code == "" && err != nil) {
		t.Errorf("%s = %v (code %q), want code %q", what, err, got, code)
	}
}

// Registration proves the phone with a one-time code, checked before
// anything is said about the phone; codes are limited per phone and per
// address, and wrong guesses void a code.
func TestRegistrationNeedsTheCodeSentToThePhone(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 10)
	ctx := context.Background()
	svc := w.node(tuango.Config{CodesPerPhone: 3, CodesPerSource: 4})
	ask := func(phone, source string) (string, error) {
		return svc.RequestCode(ctx, tuango.CodeRequest{Phone: phone, Purpose: tuango.PurposeRegister, Source: source})
	}
	reg := func(phone, code string) error {
		_, _, err := svc.Register(ctx, tuango.Registration{Phone: phone, Password: "a-long-pass", Name: "顾客", Code: code, Source: "192.0.2.1"})
		return err
	}

	t.Run("without a code, or with a wrong one, nothing is created", func(t *testing.T) {
		wantCode(t, reg("13311110001", ""), tuango.CodeCodeInvalid, "Register without a code")
		code, err := ask("13311110001", "192.0.2.1")
		must(t, err)
		wrong := "000000"
		if code == wrong {
			wrong = "000001"
		}
		wantCode(t, reg("13311110001", wrong), tuango.CodeCodeInvalid, "Register with a wrong code")
		if _, err := w.db.Store().FindUserByPhone(ctx, "13311110001"); !tuango.IsNotFound(err) {
			t.Errorf("FindUserByPhone after refused registrations = %v, want not found", err)
		}
		wantCode(t, reg("13311110001", code), "", "Register with the code")
		wantCode(t, reg("13311110001", code), tuango.CodeCodeInvalid, "Register with the used code")
	})

	t.Run("a taken phone says so only to whoever has its code", func(t *testing.T) {
		wantCode(t, reg("13311110001", "123456"), tuango.CodeCodeInvalid, "Register a taken phone with a guessed code")
		w.clock.Advance(tuango.CodeEvery)
		code, err := ask("13311110001", "192.0.2.2")
		must(t, err)
		wantCode(t, reg("13311110001", code), tuango.CodePhoneTaken, "Register a taken phone with its code")
	})

	t.Run("five wrong guesses void the code", func(t *testing.T) {
		code, err := ask("13311110002", "192.0.2.3")
		must(t, err)
		for range tuango.CodeAttempts {
			wantCode(t, reg("13311110002", "99999x"), tuango.CodeCodeInvalid, "a wrong guess")
		}
		wantCode(t, reg("13311110002", code), tuango.CodeCodeInvalid, "Register with the right code after five wrong guesses")
	})

	t.Run("an expired code does not work", func(t *testing.T) {
		code, err := ask("13311110003", "192.0.2.3")
		must(t, err)
		w.clock.Advance(tuango.CodeTTL)
		wantCode(t, reg("13311110003", code), tuango.CodeCodeInvalid, "Register with an expired code")
	})

	t.Run("codes are limited per phone: one a minute, CodesPerPhone an hour", func(t *testing.T) {
		w.clock.Advance(tuango.CodeWindow)
		_, err := ask("13311110004", "192.0.2.10")
		must(t, err)
		_, err = ask("13311110004", "192.0.2.11")
		wantCode(t, err, tuango.CodeTooManyAttempts, "a second code within the minute")
		for range 2 {
			w.clock.Advance(tuango.CodeEvery)
			_, err = ask("13311110004", "192.0.2.12")
			must(t, err)
		}
		w.clock.Advance(tuango.CodeEvery)
		_, err = ask("13311110004", "192.0.2.13")
		wantCode(t, err, tuango.CodeTooManyAttempts, "a fourth code within the hour")
	})

	t.Run("codes are limited per address", func(t *testing.T) {
		w.clock.Advance(tuango.CodeWindow)
		for i := range 4 {
			_, err := ask("1331112000"+string(rune('0'+i)), "192.0.2.50")
			must(t, err)
		}
		_, err := ask("13311120009", "192.0.2.50")
		wantCode(t, err, tuango.CodeTooManyAttempts, "a fifth code from one address within the hour")
		_, err = ask("13311120009", "192.0.2.51")
		wantCode(t, err, "", "the same phone from another address")
	})

	t.Run("an IPv6 client's /64 is one address for the limit", func(t *testing.T) {
		w.clock.Advance(tuango.CodeWindow)
		for i := range 4 {
			_, err := ask("1331114000"+string(rune('0'+i)), "2001:db8:5:6::"+strconv.Itoa(i+1))
			must(t, err)
		}
		_, err := ask("13311140009", "2001:db8:5:6:ffff:1:2:3")
		wantCode(t, err, tuango.CodeTooManyAttempts, "a fifth code from another address of the /64 within the hour")
		_, err = ask("13311140009", "2001:db8:5:7::1")
		wantCode(t, err, "", "the same phone from the next /64")
	})

	t.Run("0 lifts the limits", func(t *testing.T) {
		free := w.node(tuango.Config{})
		for range 30 {
			if _, err := free.RequestCode(ctx, tuango.CodeRequest{Phone: "13311130000", Purpose: tuango.PurposeRegister, Source: "192.0.2.60"}); err != nil {
				t.Fatalf("RequestCode without limits = %v", err)
			}
		}
	})
}

// Failed sign-ins are limited per account and client address, an IPv6
// client's /64 counting as one: moving through it does not reset the
// count, another /64 has its own, and signing in clears the /64's.
func TestSignInFailuresCountAnIPv6ClientsPrefix(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 10)
	ctx := context.Background()
	svc := w.node(tuango.Config{})
	_, err := svc.CreateUser(ctx, tuango.NewAccount{Phone: "13933340001", Password: "right-password", Name: "顾客", Role: tuango.RoleCustomer})
	must(t, err)
	login := func(password, source string) error {
		_, _, err := svc.Login(ctx, tuango.LoginRequest{Phone: "13933340001", Password: password, Source: source})
		return err
	}
	for i := 1; i <= tuango.SourceFailures; i++ {
		wantCode(t, login("wrong-password", "2001:db8:9:1::"+strconv.Itoa(i)), tuango.CodeInvalidCredentials, "wrong guess "+strconv.Itoa(i)+" from its own address of the /64")
	}
	wantCode(t, login("wrong-password", "2001:db8:9:1:abcd::1"), tuango.CodeTooManyAttempts, "a guess from a new address of the same /64")
	wantCode(t, login("right-password", "2001:db8:9:1:abcd::2"), tuango.CodeTooManyAttempts, "even the right password from the /64")
	wantCode(t, login("right-password", "2001:db8:9:2::1"), "", "the right password from the next /64")
	w.clock.Advance(tuango.SourceWindow + time.Second)
	for i := 1; i < tuango.SourceFailures; i++ {
		wantCode(t, login("wrong-password", "2001:db8:9:1::a"+strconv.Itoa(i)), tuango.CodeInvalidCredentials, "after the window, wrong guess "+strconv.Itoa(i))
	}
	wantCode(t, login("right-password", "2001:db8:9:1::b"), "", "the right password from the /64, one guess short of the limit")
	for i := 1; i < tuango.SourceFailures; i++ { // the sign-in cleared the /64's failures, not only its own address's
		wantCode(t, login("wrong-password", "2001:db8:9:1::c"+strconv.Itoa(i)), tuango.CodeInvalidCredentials, "after signing in, wrong guess "+strconv.Itoa(i))
	}
}

// A password change needs the current password and ends every other
// session; a reset by the code ends them all; both refuse weak passwords.
func TestPasswordChangeAndResetEndSessions(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 10)
	ctx := context.Background()
	u, here := register(t, w.svc, "13322220001", "first-pass-1")
	login := func(pw string) (string, error) {
		_, token, err := w.svc.Login(ctx, tuango.LoginRequest{Phone: "13322220001", Password: pw, Source: "192.0.2.7"})
		return token, err
	}
	there, err := login("first-pass-1")
	must(t, err)
	a := tuango.Actor{UserID: u.ID, Role: u.Role}
	alive := func(token string) bool { _, err := w.svc.Authenticate(ctx, token); return err == nil }

	wantCode(t, w.svc.ChangePassword(ctx, a, here, "wrong-pass", "second-pass-2"), tuango.CodeInvalidCredentials, "ChangePassword with a wrong current password")
	wantCode(t, w.svc.ChangePassword(ctx, a, here, "first-pass-1", "password"), tuango.CodePasswordTooWeak, "ChangePassword to a breached password")
	wantCode(t, w.svc.ChangePassword(ctx, a, here, "first-pass-1", "short"), tuango.CodeInvalid, "ChangePassword to a short password")
	if !alive(there) {
		t.Fatal("a refused change ended a session")
	}
	must(t, w.svc.ChangePassword(ctx, a, here, "first-pass-1", "second-pass-2"))
	if !alive(here) || alive(there) {
		t.Errorf("after the change: this session alive %v, the other %v; want true, false", alive(here), alive(there))
	}
	if _, err := login("first-pass-1"); tuango.ErrorCode(err) != tuango.CodeInvalidCredentials {
		t.Errorf("login with the old password = %v, want invalid_credentials", err)
	}

	code, err := w.svc.RequestCode(ctx, tuango.CodeRequest{Phone: "13322220001", Purpose: tuango.PurposeReset})
	must(t, err)
	wantCode(t, w.svc.ResetPassword(ctx, tuango.PasswordReset{Phone: "13322220001", Code: "12345x", NewPassword: "third-pass-3"}), tuango.CodeCodeInvalid, "ResetPassword with a wrong code")
	wantCode(t, w.svc.ResetPassword(ctx, tuango.PasswordReset{Phone: "13322220001", Code: code, NewPassword: "12345678"}), tuango.CodePasswordTooWeak, "ResetPassword to a breached password")
	must(t, w.svc.ResetPassword(ctx, tuango.PasswordReset{Phone: "13322220001", Code: code, NewPassword: "third-pass-3"}))
	if alive(here) {
		t.Error("the session that changed the password survived the reset")
	}
	if _, err := login("third-pass-3"); err != nil {
		t.Errorf("login with the new password = %v", err)
	}
	wantCode(t, w.svc.ResetPassword(ctx, tuango.PasswordReset{Phone: "13322220001", Code: code, NewPassword: "fourth-pass-4"}), tuango.CodeCodeInvalid, "ResetPassword with the used code")

	t.Run("a reset for a phone without an account says so only with its code", func(t *testing.T) {
		code, err := w.svc.RequestCode(ctx, tuango.CodeRequest{Phone: "13322229999", Purpose: tuango.PurposeReset})
		must(t, err)
		wantCode(t, w.svc.ResetPassword(ctx, tuango.PasswordReset{Phone: "13322229999", Code: "00000x", NewPassword: "a-long-pass"}), tuango.CodeCodeInvalid, "without its code")
		wantCode(t, w.svc.ResetPassword(ctx, tuango.PasswordReset{Phone: "13322229999", Code: code, NewPassword: "a-long-pass"}), tuango.CodeInvalid, "with its code")
	})
}

// Operators and admins sign in with a second factor once enrolled: the
// right password alone gets totp_required and a ticket, a code is good
// once, a recovery code once, and a disabled account or a role change ends
// every session.
func TestStaffSignInWithASecondFactor(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 10)
	ctx := context.Background()
	svc := w.node(tuango.Config{})
	svc.SetSecondFactor(auth.TOTP{})
	op, err := svc.CreateUser(ctx, tuango.NewAccount{Phone: "13933330001", Password: "operator-pass", Name: "运营", Role: tuango.RoleOperator})
	must(t, err)
	a := tuango.Actor{UserID: op.ID, Role: op.Role}
	login := func(in tuango.LoginRequest) (string, error) {
		in.Phone, in.Source = "13933330001", "192.0.2.8"
		_, token, err := svc.Login(ctx, in)
		return token, err
	}

	if !tuango.NeedsEnrolment(op) {
		t.Error("NeedsEnrolment(a new operator) = false, want true")
	}
	first, err := login(tuango.LoginRequest{Password: "operator-pass"})
	must(t, err) // before enrolment: the session is for enrolling

	en, err := svc.BeginTOTP(ctx, a)
	must(t, err)
	wantCode(t, func() error { _, err := svc.ConfirmTOTP(ctx, a, en.Secret, "000000"); return err }(), tuango.CodeTOTPInvalid, "ConfirmTOTP with a wrong code")
	now := func() string { c, _ := (auth.TOTP{}).Code(en.Secret, w.clock.Now()); return c }
	recovery, err := svc.ConfirmTOTP(ctx, a, en.Secret, now())
	must(t, err)
	if len(recovery) != tuango.RecoveryCodes {
		t.Fatalf("ConfirmTOTP gave %d recovery codes, want %d", len(recovery), tuango.RecoveryCodes)
	}
	if _, err := svc.BeginTOTP(ctx, a); tuango.ErrorCode(err) != tuango.CodeConflict {
		t.Errorf("BeginTOTP once enrolled = %v, want conflict", err)
	}
	if _, err := svc.BeginTOTP(ctx, tuango.Actor{UserID: "usr_x", Role: tuango.RoleCustomer}); tuango.ErrorCode(err) != tuango.CodeForbidden {
		t.Errorf("BeginTOTP as a customer = %v, want forbidden", err)
	}

	w.clock.Advance(30 * time.Second) // the enrolment's code is used
	ticket, err := login(tuango.LoginRequest{Password: "operator-pass"})
	wantCode(t, err, tuango.CodeTOTPRequired, "the right password alone")
	if ticket == "" {
		t.Fatal("no ticket with totp_required")
	}
	_, err = login(tuango.LoginRequest{Password: "wrong-pass", TOTP: now()})
	wantCode(t, err, tuango.CodeInvalidCredentials, "a wrong password with the right code")
	_, err = login(tuango.LoginRequest{Password: "operator-pass", TOTP: "000000"})
	wantCode(t, err, tuango.CodeTOTPInvalid, "the right password with a wrong code")
	code := now()
	_, err = login(tuango.LoginRequest{Ticket: ticket, TOTP: code})
	wantCode(t, err, "", "the ticket with the code")
	_, err = login(tuango.LoginRequest{Password: "operator-pass", TOTP: code})
	wantCode(t, err, tuango.CodeTOTPInvalid, "the same code again")
	_, err = login(tuango.LoginRequest{Ticket: ticket, TOTP: code})
	wantCode(t, err, tuango.CodeInvalidCredentials, "the used ticket")

	_, err = login(tuango.LoginRequest{Password: "operator-pass", TOTP: recovery[3]})
	wantCode(t, err, "", "a recovery code")
	_, err = login(tuango.LoginRequest{Password: "operator-pass", TOTP: recovery[3]})
	wantCode(t, err, tuango.CodeTOTPInvalid, "the same recovery code again")

	t.Run("a role change and a disabled account end every session", func(t *testing.T) {
		admin := tuango.Actor{UserID: "usr_admin", Role: tuango.RoleAdmin}
		if _, err := svc.SetRole(ctx, a, op.ID, tuango.RoleAdmin); tuango.ErrorCode(err) != tuango.CodeForbidden {
			t.Errorf("SetRole by an operator = %v, want forbidden", err)
		}
		w.clock.Advance(30 * time.Second)
		s1, err := login(tuango.LoginRequest{Password: "operator-pass", TOTP: now()})
		must(t, err)
		_, err = svc.SetRole(ctx, admin, op.ID, tuango.RoleAdmin)
		must(t, err)
		if _, err := svc.Authenticate(ctx, s1); err == nil {
			t.Error("a session from before the role change still works")
		}
		if _, err := svc.Authenticate(ctx, first); err == nil {
			t.Error("the enrolling session still works after the role change")
		}
		w.clock.Advance(30 * time.Second)
		s2, err := login(tuango.LoginRequest{Password: "operator-pass", TOTP: now()})
		must(t, err)
		if u, err := svc.Authenticate(ctx, s2); err != nil || u.Role != tuango.RoleAdmin {
			t.Errorf("the new session = %v, %v; want the admin", u, err)
		}
		_, err = svc.DisableUser(ctx, admin, op.ID)
		must(t, err)
		if _, err := svc.Authenticate(ctx, s2); err == nil {
			t.Error("a session of a disabled account still works")
		}
		w.clock.Advance(30 * time.Second)
		_, err = login(tuango.LoginRequest{Password: "operator-pass", TOTP: now()})
		wantCode(t, err, tuango.CodeInvalidCredentials, "a disabled account's login")
	})
}

// A wrong or reused second factor after the right password counts once
// per try against the login limits, whether it comes with the password or
// with the ticket of the page's second step: the password step that only
// asks for the code is not a failure. Asking for a ticket again frees no
// tries, so the code stays limited like a password (5 per source per 15
// minutes). Every wrong code is audited as a failed login that names the
// account and says it was the second factor.
func TestWrongSecondFactorCountsOnceAndIsAudited(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 10)
	ctx := context.Background()
	svc := w.node(tuango.Config{})
	svc.SetSecondFactor(auth.TOTP{})
	op, err := svc.CreateUser(ctx, tuango.NewAccount{Phone: "13933330002", Password: "operator-pass", Name: "运营", Role: tuango.RoleOperator})
	must(t, err)
	a := tuango.Actor{UserID: op.ID, Role: op.Role}
	en, err := svc.BeginTOTP(ctx, a)
	must(t, err)
	used, err := (auth.TOTP{}).Code(en.Secret, w.clock.Now())
	must(t, err)
	_, err = svc.ConfirmTOTP(ctx, a, en.Secret, used) // from now on, used is a reused code
	must(t, err)
	login := func(source string, in tuango.LoginRequest) (string, error) {
		in.Phone, in.Source = "13933330002", source
		_, token, err := svc.Login(ctx, in)
		return token, err
	}
	password := tuango.LoginRequest{Password: "operator-pass"}

	t.Run("the page's two steps", func(t *testing.T) {
		ticket, err := login("192.0.2.10", password)
		wantCode(t, err, tuango.CodeTOTPRequired, "the right password alone")
		for i := 1; i <= tuango.SourceFailures; i++ {
			_, err := login("192.0.2.10", tuango.LoginRequest{Ticket: ticket, TOTP: used})
			wantCode(t, err, tuango.CodeTOTPInvalid, "a reused code with the ticket, try "+strconv.Itoa(i))
		}
		_, err = login("192.0.2.10", tuango.LoginRequest{Ticket: ticket, TOTP: used})
		wantCode(t, err, tuango.CodeTooManyAttempts, "one try more than the limit")
	})
	t.Run("a new ticket frees no tries", func(t *testing.T) {
		for i := 1; i <= tuango.SourceFailures; i++ {
			ticket, err := login("192.0.2.11", password)
			wantCode(t, err, tuango.CodeTOTPRequired, "the right password alone, round "+strconv.Itoa(i))
			_, err = login("192.0.2.11", tuango.LoginRequest{Ticket: ticket, TOTP: used})
			wantCode(t, err, tuango.CodeTOTPInvalid, "a reused code, round "+strconv.Itoa(i))
		}
		_, err := login("192.0.2.11", password)
		wantCode(t, err, tuango.CodeTooManyAttempts, "the password step after the limit")
	})
	t.Run("the code with the password", func(t *testing.T) {
		for i := 1; i <= tuango.SourceFailures; i++ {
			_, err := login("192.0.2.12", tuango.LoginRequest{Password: "operator-pass", TOTP: used})
			wantCode(t, err, tuango.CodeTOTPInvalid, "a reused code with the password, try "+strconv.Itoa(i))
		}
		_, err := login("192.0.2.12", tuango.LoginRequest{Password: "operator-pass", TOTP: used})
		wantCode(t, err, tuango.CodeTooManyAttempts, "one try more than the limit")
	})

	var wrong []tuango.AuditRecord
	for _, r := range findKind(auditRecords(t, w), tuango.AuditLoginFailed) {
		if strings.Contains(r.Detail, tuango.CodeTOTPInvalid) {
			wrong = append(wrong, r)
		}
	}
	if len(wrong) != 3*tuango.SourceFailures {
		t.Errorf("%d failed logins audited for a wrong second factor, want %d", len(wrong), 3*tuango.SourceFailures)
	}
	for _, r := range wrong {
		if r.ActorID != op.ID || r.Subject != "user:"+op.ID || !strings.HasPrefix(r.Source, "192.0.2.1") {
			t.Errorf("a wrong second factor's record = %+v, want it to name %s and where from", r, op.ID)
			break
		}
	}
}
