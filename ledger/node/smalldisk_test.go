package node_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// requireMount skips the test where this process may not mount a tmpfs
// (mount needs CAP_SYS_ADMIN), which smallDisk does.
func requireMount(t *testing.T) {
	t.Helper()
	probe := t.TempDir()
	if err := syscall.Mount("tmpfs", probe, "tmpfs", 0, "size=64k"); err != nil {
		t.Skipf("a small disk needs a tmpfs mount, which this process may not make: %v", err)
	}
	syscall.Unmount(probe, 0)
}

// smallDisk puts dir on a tmpfs of only spare bytes more than dir holds
// now, a disk about to fill, with dir's files copied in (requireMount
// first). free moves the files back to the real disk, as an operator
// freeing space would, and unmounts.
func smallDisk(t *testing.T, dir string, spare int64) (free func() error) {
	t.Helper()
	used, err := dirSize(dir)
	if err != nil {
		t.Fatal(err)
	}
	aside := dir + ".real"
	if err := os.Rename(dir, aside); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0700", used+spare)); err != nil {
		t.Fatal(err)
	}
	mounted := true
	t.Cleanup(func() {
		if mounted {
			syscall.Unmount(dir, syscall.MNT_DETACH)
		}
	})
	if err := copyFiles(aside, dir); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(aside); err != nil {
		t.Fatal(err)
	}
	return func() error {
		freed := dir + ".freed"
		if err := os.Mkdir(freed, 0o700); err != nil {
			return err
		}
		if err := copyFiles(dir, freed); err != nil {
			return err
		}
		if err := syscall.Unmount(dir, 0); err != nil {
			return err
		}
		mounted = false
		if err := os.Remove(dir); err != nil {
			return err
		}
		return os.Rename(freed, dir)
	}
}

// shrinkDisk remounts smallDisk's tmpfs at dir to leave only spare bytes
// free, now that what runs on it has started.
func shrinkDisk(dir string, spare int64) error {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return err
	}
	used := int64(st.Blocks-st.Bfree) * st.Bsize
	return syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_REMOUNT, fmt.Sprintf("size=%d,mode=0700", used+spare))
}

// walBytes is the size of a Pebble database's WAL files, which opening
// replays into a new table.
func walBytes(dir string) (int64, error) {
	logs, err := filepath.Glob(filepath.Join(dir, "*.log"))
	var n int64
	for _, l := range logs {
		info, serr := os.Stat(l)
		if serr != nil {
			return 0, serr
		}
		n += info.Size()
	}
	return n, err
}

func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		n += info.Size()
		return err
	})
	return n, err
}

// copyFiles copies the regular files of a flat directory (a Pebble
// database) with their modes.
func copyFiles(from, to string) error {
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			return fmt.Errorf("copy %s: %s is not a regular file", from, e.Name())
		}
		if err := copyFile(filepath.Join(from, e.Name()), filepath.Join(to, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	info, err := src.Stat()
	if err != nil {
		return err
	}
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, info.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
