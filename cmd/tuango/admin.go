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
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(stderr, "Usage: tuango admin create --phone P --password-file F [--name N]")
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
