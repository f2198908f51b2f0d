package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"tuango/internal/sqlstore"
	"tuango/internal/tuango"
)

func runAdmin(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "disable" || args[0] == "role" || args[0] == "reset-totp") {
		return runAdminAccount(ctx, args, getenv, stdout, stderr)
	}
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(stderr, "Usage: tuango admin create --phone P --password-file F [--name N]\n       tuango admin disable --phone P\n       tuango admin role --phone P --role R\n       tuango admin reset-totp --phone P")
		return fmt.Errorf("admin: unknown or missing subcommand")
	}
	fs := newFlags("admin create", "admin create makes an admin account, to bootstrap a deployment outside demo mode.\nThe password is read from a file so that it stays out of shell history and ps.", stderr)
	var sf storeFlags
	var hf hashFlags
	sf.register(fs)
	hf.register(fs)
	phone := fs.String("phone", "", "the admin's mainland mobile number")
	pwFile := fs.String("password-file", "", "file holding the password (its first line)")
	name := fs.String("name", "管理员", "the admin's display name")
	if err := parseFlags(fs, args[1:], getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *pwFile == "" {
		return fmt.Errorf("admin create: --password-file is required")
	}
	b, err := os.ReadFile(*pwFile)
	if err != nil {
		return fmt.Errorf("admin create: read password: %w", err)
	}
	password, _, _ := strings.Cut(string(b), "\n")
	password = strings.TrimRight(password, "\r")
	db, err := sqlstore.Open(ctx, sf.dsn())
	if err != nil {
		return err
	}
	defer db.Close()
	svc := tuango.NewService(db.Store(), tuango.SystemClock{}, nil, hf.hasher(), nil, tuango.Config{}, nil)
	u, err := svc.CreateUser(ctx, tuango.NewAccount{Phone: *phone, Password: password, Name: *name, Role: tuango.RoleAdmin})
	if err != nil {
		return fmt.Errorf("admin create: %w", err)
	}
	fmt.Fprintf(stdout, "created admin %s (%s)\n", u.ID, u.Phone)
	return nil
}

// runAdminAccount disables an account or changes its role, as an admin
// would; either ends every session of the account, on every node within a
// second (the nodes' caches trust a session for at most that long).
func runAdminAccount(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	sub := args[0]
	help := "admin disable ends every session of an account and refuses its logins from then on."
	switch sub {
	case "role":
		help = "admin role changes an account's role and ends its sessions, so that the new role starts with a new session."
	case "reset-totp":
		help = "admin reset-totp removes an operator's or admin's authenticator and recovery codes (a lost phone) and ends their sessions; the next login enrols again."
	}
	fs := newFlags("admin "+sub, help, stderr)
	var sf storeFlags
	sf.register(fs)
	phone := fs.String("phone", "", "the account's mainland mobile number")
	role := fs.String("role", "", "role: the new role (customer, leader, supplier, operator or admin)")
	if err := parseFlags(fs, args[1:], getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	db, err := sqlstore.Open(ctx, sf.dsn())
	if err != nil {
		return err
	}
	defer db.Close()
	svc := tuango.NewService(db.Store(), tuango.SystemClock{}, nil, nil, nil, tuango.Config{}, nil)
	u, err := db.Store().FindUserByPhone(ctx, *phone)
	if err != nil {
		return fmt.Errorf("admin %s: no account has the phone %q", sub, *phone)
	}
	cli := tuango.Actor{UserID: "cli", Role: tuango.RoleAdmin} // whoever may run the binary on the database
	if sub == "reset-totp" {
		if _, err := svc.ResetTOTP(ctx, cli, u.ID); err != nil {
			return fmt.Errorf("admin reset-totp: %w", err)
		}
		fmt.Fprintf(stdout, "removed the second factor of %s (%s); its sessions have ended and the next login enrols again\n", u.ID, u.Phone)
		return nil
	}
	if sub == "disable" {
		if _, err := svc.DisableUser(ctx, cli, u.ID); err != nil {
			return fmt.Errorf("admin disable: %w", err)
		}
		fmt.Fprintf(stdout, "disabled %s (%s); its sessions have ended\n", u.ID, u.Phone)
		return nil
	}
	if _, err := svc.SetRole(ctx, cli, u.ID, tuango.Role(*role)); err != nil {
		return fmt.Errorf("admin role: %w", err)
	}
	fmt.Fprintf(stdout, "%s (%s) is now %s; its sessions have ended\n", u.ID, u.Phone, *role)
	return nil
}
