// Package backup takes, checks and restores tuango's backups: an online,
// consistent snapshot of the database (SQLite) or a logical dump
// (PostgreSQL, pg_dump), compressed with gzip and sealed with a manifest
// that carries its sha256, so that a truncated, bit-flipped or empty file is
// refused before anything is written.
//
// A backup file is three parts:
//
//	tuango-backup 1 <sha256 of the manifest line>\n
//	<the manifest, one line of JSON>\n
//	<the payload: gzip of the SQLite file or of pg_dump's SQL>
package backup

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// magic opens every backup file; the number after it is the format.
const magic = "tuango-backup 1 "

// maxManifest bounds the manifest line, so that a damaged file cannot make
// the reader swallow the whole payload looking for a newline.
const maxManifest = 1 << 20

// Manifest describes one backup.
type Manifest struct {
	Engine        string           `json:"engine"` // "sqlite" or "postgres"
	SchemaVersion int              `json:"schema_version"`
	TakenAt       time.Time        `json:"taken_at"`
	Schema        string           `json:"schema,omitempty"` // PostgreSQL: the schema dumped
	PayloadSHA256 string           `json:"payload_sha256"`   // of the compressed payload
	PayloadBytes  int64            `json:"payload_bytes"`
	RawBytes      int64            `json:"raw_bytes"` // the payload uncompressed
	Rows          map[string]int64 `json:"rows"`      // every table's row count at the snapshot
	// Extra carries fields added later (such as the audit log's chain
	// head) without a new format; a reader keeps what it does not know.
	Extra map[string]string `json:"extra,omitempty"`
}

// ErrCorrupt is wrapped by every error that says the file is damaged.
var ErrCorrupt = errors.New("the backup file is damaged")

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// writeFile writes a backup at path from its manifest and the compressed
// payload already written to payload (a file positioned anywhere). It writes
// to path+".part" and renames, so a crash leaves no file that looks whole.
func writeFile(path string, m Manifest, payload *os.File) error {
	if _, err := payload.Seek(0, io.SeekStart); err != nil {
		return err
	}
	line, err := json.Marshal(m)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(line)
	tmp := path + ".part"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("backup: create %s: %w", tmp, err)
	}
	defer os.Remove(tmp) // gone after the rename; removes a failed write
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "%s%s\n%s\n", magic, hex.EncodeToString(sum[:]), line)
	if _, err := io.Copy(w, payload); err != nil {
		f.Close()
		return fmt.Errorf("backup: write %s: %w", tmp, err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("backup: write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("backup: sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("backup: close %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

// Verify reads the whole file at path and checks its header, manifest and
// payload against their checksums. It returns the manifest and the offset
// at which the payload starts. Errors that mean damage wrap ErrCorrupt.
func Verify(path string) (Manifest, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return Manifest{}, 0, fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	head, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(head, magic) {
		if st, serr := f.Stat(); serr == nil && st.Size() == 0 {
			return Manifest{}, 0, corrupt("%s is empty", path)
		}
		return Manifest{}, 0, corrupt("%s does not start with a tuango backup header", path)
	}
	want := strings.TrimSuffix(strings.TrimPrefix(head, magic), "\n")
	line, err := readLine(r, maxManifest)
	if err != nil {
		return Manifest{}, 0, corrupt("%s: the manifest is cut off: %v", path, err)
	}
	if sum := sha256.Sum256(line); hex.EncodeToString(sum[:]) != want {
		return Manifest{}, 0, corrupt("%s: the manifest does not match its checksum", path)
	}
	var m Manifest
	if err := json.Unmarshal(line, &m); err != nil {
		return Manifest{}, 0, corrupt("%s: the manifest is not valid JSON: %v", path, err)
	}
	start := int64(len(head) + len(line) + 1)
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return Manifest{}, 0, fmt.Errorf("backup: read %s: %w", path, err)
	}
	switch {
	case n < m.PayloadBytes:
		return Manifest{}, 0, corrupt("%s is truncated: %d of %d payload bytes", path, n, m.PayloadBytes)
	case n > m.PayloadBytes:
		return Manifest{}, 0, corrupt("%s has %d bytes more than its manifest says", path, n-m.PayloadBytes)
	case hex.EncodeToString(h.Sum(nil)) != m.PayloadSHA256:
		return Manifest{}, 0, corrupt("%s: the payload does not match its sha256 (bits changed on disk or in transit)", path)
	}
	return m, start, nil
}

// readLine reads up to a newline, refusing lines longer than max.
func readLine(r *bufio.Reader, max int) ([]byte, error) {
	var buf bytes.Buffer
	for {
		chunk, err := r.ReadSlice('\n')
		buf.Write(chunk)
		if buf.Len() > max {
			return nil, errors.New("longer than any manifest")
		}
		if err == nil {
			return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return nil, err
		}
	}
}

// hashingWriter counts and hashes what passes through it.
type hashingWriter struct {
	w io.Writer
	h hashState
	n int64
}

type hashState interface {
	io.Writer
	Sum([]byte) []byte
}

func newHashingWriter(w io.Writer) *hashingWriter { return &hashingWriter{w: w, h: sha256.New()} }

func (hw *hashingWriter) Write(p []byte) (int, error) {
	n, err := hw.w.Write(p)
	hw.h.Write(p[:n])
	hw.n += int64(n)
	return n, err
}

func (hw *hashingWriter) sum() string { return hex.EncodeToString(hw.h.Sum(nil)) }

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
