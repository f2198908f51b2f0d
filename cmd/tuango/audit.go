package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"tuango/internal/sqlstore"
	"tuango/internal/tuango"
)

const auditHelp = `audit checks the audit log.

  tuango audit verify [--db URL | --data DIR] [--expect SEQ:HASH]
      walk the hash chain from the first record to the last and recompute
      every link. Exit 0 with the number of records checked and the head
      (seq and hash), or exit 1 naming the first broken record: one changed,
      deleted, inserted or moved. --expect checks the chain against a head
      kept elsewhere (a backup's, or the tuango_audit_head_seq metric's with
      its hash from the node's log), which also catches a log cut short or
      rewritten from some record on with every hash recomputed.
`

func runAudit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprint(stderr, auditHelp)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return nil
		}
		return fmt.Errorf("audit: say verify")
	}
	fs := newFlags("audit verify", auditHelp, stderr)
	var sf storeFlags
	sf.register(fs)
	expect := fs.String("expect", "", "SEQ:HASH of a head recorded elsewhere, which the chain must contain")
	if err := parseFlags(fs, args[1:], getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	var wantSeq int64
	var wantHash string
	if *expect != "" {
		s, h, ok := strings.Cut(*expect, ":")
		n, err := strconv.ParseInt(s, 10, 64)
		if !ok || err != nil || n < 1 || len(h) != 64 {
			return fmt.Errorf("--expect %q: want SEQ:HASH, a record number and its 64-digit hash", *expect)
		}
		wantSeq, wantHash = n, h
	}
	db, err := sqlstore.Open(ctx, sf.dsn())
	if err != nil {
		return err
	}
	defer db.Close()
	svc := tuango.NewService(db.Store(), tuango.SystemClock{}, nil, nil, nil, tuango.Config{BatchMax: 1}, nil)
	defer svc.Close()
	c, err := svc.VerifyAudit(ctx, 0, "", nil)
	if err != nil {
		var b *tuango.AuditBreak
		if errors.As(err, &b) {
			fmt.Fprintf(stdout, "audit verify (%s): BROKEN at %v; %d records before it verify\n", db.Engine(), b, c.Checked)
			return fmt.Errorf("audit verify: the chain breaks at record %d", b.Seq)
		}
		return err
	}
	if wantSeq > 0 {
		if err := checkExpected(ctx, db.Store(), c, wantSeq, wantHash); err != nil {
			fmt.Fprintf(stdout, "audit verify (%s): BROKEN: %v\n", db.Engine(), err)
			return fmt.Errorf("audit verify: %w", err)
		}
	}
	fmt.Fprintf(stdout, "audit verify (%s): %d records checked, head %d %s, %d waiting to be chained\n",
		db.Engine(), c.Checked, c.HeadSeq, c.HeadHash, c.Waiting)
	return nil
}

// checkExpected checks that record seq of a verified chain has hash.
func checkExpected(ctx context.Context, store tuango.Store, c tuango.AuditCheck, seq int64, hash string) error {
	if seq > c.HeadSeq {
		return &tuango.AuditBreak{Seq: c.HeadSeq + 1, Reason: fmt.Sprintf("missing: the chain ends at %d but record %d was seen", c.HeadSeq, seq)}
	}
	rs, err := store.FindAuditChain(ctx, seq-1, 1)
	if err != nil {
		return err
	}
	if len(rs) != 1 || rs[0].Hash != hash {
		return &tuango.AuditBreak{Seq: seq, Reason: "its hash is not the one recorded elsewhere (the log was rewritten from this record or before)"}
	}
	return nil
}
