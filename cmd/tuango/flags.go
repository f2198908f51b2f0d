package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"tuango/internal/auth"
	"tuango/internal/sqlstore"
)

// newFlags returns a flag set whose flags fall back to TUANGO_* variables.
func newFlags(name, help string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: tuango %s [flags]\n\n%s\n\nFlags (each also read from the environment variable shown):\n", name, help)
		fs.VisitAll(func(f *flag.Flag) {
			fmt.Fprintf(stderr, "  --%s (%s, default %q)\n      %s\n", f.Name, envName(f.Name), f.DefValue, f.Usage)
		})
	}
	return fs
}

func envName(flagName string) string {
	return "TUANGO_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseFlags parses args, then fills every flag not given on the command
// line from its environment variable.
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	if err := fs.Parse(args); err != nil {
		return err // flag.ErrHelp after --help: callers exit quietly
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if v := getenv(envName(f.Name)); v != "" && !set[f.Name] && err == nil {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %v", envName(f.Name), v, e)
			}
		}
	})
	return err
}

// storeFlags are the flags that say where the data is.
type storeFlags struct {
	data string
	db   string
}

func (s *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.data, "data", "data", "folder of the embedded SQLite database")
	fs.StringVar(&s.db, "db", "", "PostgreSQL: a postgres://... URL or a \"host=... dbname=...\" string; several hosts with target_session_attrs=read-write follow the primary through a failover. Anything else, or nothing, means embedded SQLite in --data")
}

func (s *storeFlags) dsn() string {
	if sqlstore.IsPostgres(s.db) {
		return s.db
	}
	return s.data
}

// hashFlags set argon2id's cost; tests lower them through configuration.
type hashFlags struct {
	memoryKiB uint
	passes    uint
	parallel  int
}

func (h *hashFlags) register(fs *flag.FlagSet) {
	fs.UintVar(&h.memoryKiB, "argon2-memory-kib", uint(auth.DefaultParams.Memory), "argon2id memory per password hash, in KiB")
	fs.UintVar(&h.passes, "argon2-passes", uint(auth.DefaultParams.Time), "argon2id passes per password hash")
	fs.IntVar(&h.parallel, "argon2-concurrency", 4, "password hashes computed at once at most")
}

func (h *hashFlags) hasher() *auth.Hasher {
	return auth.NewHasher(auth.Params{Time: uint32(h.passes), Memory: uint32(h.memoryKiB), Threads: auth.DefaultParams.Threads}, h.parallel)
}
