package pebblekv

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/record"
)

// Damage finds the MANIFEST that Pebble would load for the existing
// database in dir and reads every record of it; it returns what is wrong,
// naming the file, or "" (and an error only when the files cannot be
// read). Pebble itself takes a missing CURRENT for an empty directory (and
// starts a fresh database, deleting the old tables as obsolete, or panics)
// and stops quietly at a truncated MANIFEST, which drops the tables its
// tail added: a store that must not start over checks first.
func Damage(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	// Pebble's format-version and manifest markers: files named
	// marker.<name>.<iteration>.<value>; the highest iteration counts.
	markers := map[string]string{}
	iters := map[string]uint64{}
	for _, e := range entries {
		parts := strings.SplitN(e.Name(), ".", 4)
		if len(parts) != 4 || parts[0] != "marker" {
			continue
		}
		it, err := strconv.ParseUint(parts[2], 10, 64)
		if err != nil {
			continue
		}
		if _, seen := markers[parts[1]]; !seen || it > iters[parts[1]] {
			markers[parts[1]], iters[parts[1]] = parts[3], it
		}
	}
	var manifest string
	if v, _ := strconv.Atoi(markers["format-version"]); v >= 2 { // formatVersionedManifestMarker: the marker names the MANIFEST
		manifest = markers["manifest"]
		if manifest == "" {
			return "no marker.manifest file names its MANIFEST", nil
		}
		if !isManifestName(manifest) {
			return fmt.Sprintf("the manifest marker names %q, not a MANIFEST", manifest), nil
		}
	} else {
		raw, err := os.ReadFile(filepath.Join(dir, "CURRENT"))
		if errors.Is(err, os.ErrNotExist) {
			return "CURRENT missing", nil
		}
		if err != nil {
			return "", err
		}
		manifest = strings.TrimSuffix(string(raw), "\n")
		if !strings.HasSuffix(string(raw), "\n") || !isManifestName(manifest) {
			return fmt.Sprintf("CURRENT does not name a MANIFEST (%d bytes)", len(raw)), nil
		}
	}
	f, err := os.Open(filepath.Join(dir, manifest))
	if errors.Is(err, os.ErrNotExist) {
		return manifest + " missing", nil
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	rr := record.NewReader(f, 0)
	n := 0
	for {
		r, err := rr.Next()
		if err == io.EOF {
			break
		}
		if err == nil {
			_, err = io.Copy(io.Discard, r)
		}
		if err != nil {
			return fmt.Sprintf("%s is truncated or damaged after %d records (%v)", manifest, n, err), nil
		}
		n++
	}
	if n == 0 {
		return manifest + " is empty", nil
	}
	return "", nil
}

func isManifestName(s string) bool {
	num, ok := strings.CutPrefix(s, "MANIFEST-")
	if !ok || num == "" {
		return false
	}
	_, err := strconv.ParseUint(num, 10, 64)
	return err == nil
}

// Open opens a database, turning a panic inside Pebble (a damaged
// directory can cause one) into an error.
func Open(dir string, opts *pebble.Options) (db *pebble.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok { // keeps the cause (a full disk) for errors.Is
				db, err = nil, fmt.Errorf("pebble failed while opening the database: %w", e)
				return
			}
			db, err = nil, fmt.Errorf("pebble failed while opening the database: %v", r)
		}
	}()
	return pebble.Open(dir, opts)
}

// OneLine flattens a (Pebble) error onto one line.
func OneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
