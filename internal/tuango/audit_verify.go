package tuango

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Verifying the audit chain: the one check that tuango audit verify, the
// verify_audit sweep and the fault checker share.

// AuditBreak is the first record where the chain does not verify.
type AuditBreak struct {
	Seq    int64
	ID     string
	Reason string
}

func (b *AuditBreak) Error() string {
	if b.ID == "" {
		return fmt.Sprintf("audit record %d: %s", b.Seq, b.Reason)
	}
	return fmt.Sprintf("audit record %d (%s): %s", b.Seq, b.ID, b.Reason)
}

// AuditCheck is the result of walking the chain.
type AuditCheck struct {
	Checked  int64  // chained records checked
	HeadSeq  int64  // the last one's seq
	HeadHash string // and its hash
	Waiting  int    // records not chained yet
}

// VerifyAudit walks the chain from the record after from (0: the first)
// to the last, with fromHash the hash of record from, and recomputes every
// link. It returns an *AuditBreak at the first record that is missing,
// out of order, or whose hash or link does not match. progress, if not
// nil, is told the records checked so far.
func (s *Service) VerifyAudit(ctx context.Context, from int64, fromHash string, progress func(checked int64)) (AuditCheck, error) {
	var c AuditCheck
	seq, prev := from, fromHash
	for {
		rs, err := s.store.FindAuditChain(ctx, seq, 1000)
		if err != nil {
			return c, err
		}
		n, b := CheckAuditChain(seq, prev, rs)
		c.Checked += int64(n)
		if b != nil {
			return c, b
		}
		if n > 0 {
			seq, prev = rs[n-1].Seq, rs[n-1].Hash
		}
		c.HeadSeq, c.HeadHash = seq, prev
		if progress != nil {
			progress(c.Checked)
		}
		if len(rs) < 1000 {
			break
		}
	}
	n, _, err := s.store.CountUnchainedAudit(ctx)
	c.Waiting = n
	return c, err
}

// CheckAuditChain checks chained records rs, in seq order, that follow
// the record seq whose hash is prev: each must be the next number, link to
// the hash before it and hash to its own. It returns how many verify
// before the first that does not, and that one's break (nil if none).
func CheckAuditChain(seq int64, prev string, rs []AuditRecord) (int, *AuditBreak) {
	for i, r := range rs {
		want := seq + 1
		switch {
		case r.Seq != want:
			return i, &AuditBreak{Seq: want, Reason: fmt.Sprintf("missing: the chain goes from record %d to record %d", seq, r.Seq)}
		case r.PrevHash != prev:
			return i, &AuditBreak{Seq: r.Seq, ID: r.ID, Reason: "its link to the record before does not match that record's hash (a record was removed, inserted or moved before it)"}
		case AuditHash(r, prev) != r.Hash:
			return i, &AuditBreak{Seq: r.Seq, ID: r.ID, Reason: "its content does not match its hash (the record was changed)"}
		}
		seq, prev = r.Seq, r.Hash
	}
	return len(rs), nil
}

// auditState is this node's last verification of the chain, for the
// metrics: the sweep that verifies runs under a lease, so one node at a
// time holds a fresh one.
type auditState struct {
	mu   sync.Mutex
	at   time.Time
	ok   bool
	seq  int64
	hash string
}

// AuditVerified reports this node's last verification of the chain: when
// (zero: never), whether it held, and up to which record.
func (s *Service) AuditVerified() (time.Time, bool, int64) {
	s.audit.mu.Lock()
	defer s.audit.mu.Unlock()
	return s.audit.at, s.audit.ok, s.audit.seq
}

// VerifyAuditSweep verifies the records chained since this node's last
// good verification (all of them the first time, or after a break), and
// reports how many it checked: the worker's sweep.
func (s *Service) VerifyAuditSweep(ctx context.Context) (int, error) {
	s.audit.mu.Lock()
	from, hash := s.audit.seq, s.audit.hash
	if !s.audit.ok {
		from, hash = 0, ""
	}
	s.audit.mu.Unlock()
	c, err := s.VerifyAudit(ctx, from, hash, nil)
	var b *AuditBreak
	if err != nil && !errors.As(err, &b) {
		return int(c.Checked), err // the database, not the chain: nothing learnt
	}
	s.audit.mu.Lock()
	defer s.audit.mu.Unlock()
	s.audit.at, s.audit.ok = s.clock.Now(), b == nil
	if b == nil {
		s.audit.seq, s.audit.hash = c.HeadSeq, c.HeadHash
		return int(c.Checked), nil
	}
	s.log.ErrorContext(ctx, "the audit log's hash chain is broken", "seq", b.Seq, "id", b.ID, "reason", b.Reason)
	return int(c.Checked), err
}
