package localnet

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// ErrNoMount is returned by SmallDisk where this process may not mount a
// tmpfs (mounting needs CAP_SYS_ADMIN): tests skip on it.
var ErrNoMount = errors.New("localnet: a small disk needs a tmpfs mount, which this process may not make")

// SmallDisk puts dir, a flat directory such as a Pebble database, on a
// tmpfs of only spare bytes more than dir holds now: a disk about to fill,
// with dir's files copied in. Free moves the files back to the real disk,
// as an operator freeing space would, and unmounts; Unmount only unmounts,
// for clean-up.
func SmallDisk(dir string, spare int64) (*Disk, error) {
	probe, err := os.MkdirTemp("", "sable-mount-probe-")
	if err != nil {
		return nil, err
	}
	defer os.Remove(probe)
	if err := syscall.Mount("tmpfs", probe, "tmpfs", 0, "size=64k"); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoMount, err)
	}
	syscall.Unmount(probe, 0)

	used, err := dirSize(dir)
	if err != nil {
		return nil, err
	}
	aside := dir + ".real"
	if err := os.Rename(dir, aside); err != nil {
		return nil, err
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, err
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0700", used+spare)); err != nil {
		return nil, fmt.Errorf("localnet: mount a small disk at %s: %w", dir, err)
	}
	d := &Disk{dir: dir, mounted: true}
	if err := copyFiles(aside, dir); err != nil {
		d.Unmount()
		return nil, err
	}
	return d, os.RemoveAll(aside)
}

// Disk is a small disk made by SmallDisk.
type Disk struct {
	dir     string
	mounted bool
}

// Shrink remounts the disk to leave only spare bytes free, now that what
// runs on it has started.
func (d *Disk) Shrink(spare int64) error {
	var st syscall.Statfs_t
	if err := syscall.Statfs(d.dir, &st); err != nil {
		return fmt.Errorf("localnet: %w", err)
	}
	used := int64(st.Blocks-st.Bfree) * st.Bsize
	if err := syscall.Mount("tmpfs", d.dir, "tmpfs", syscall.MS_REMOUNT, fmt.Sprintf("size=%d,mode=0700", used+spare)); err != nil {
		return fmt.Errorf("localnet: shrink the small disk at %s: %w", d.dir, err)
	}
	return nil
}

// Free moves the disk's files to a directory of the real disk at the same
// path and unmounts the small one.
func (d *Disk) Free() error {
	freed := d.dir + ".freed"
	if err := os.Mkdir(freed, 0o700); err != nil {
		return err
	}
	if err := copyFiles(d.dir, freed); err != nil {
		return err
	}
	if err := syscall.Unmount(d.dir, 0); err != nil {
		return fmt.Errorf("localnet: unmount %s: %w", d.dir, err)
	}
	d.mounted = false
	if err := os.Remove(d.dir); err != nil {
		return err
	}
	return os.Rename(freed, d.dir)
}

// Unmount detaches the small disk if it is still mounted (its files are
// lost), for clean-up after a failure.
func (d *Disk) Unmount() {
	if d.mounted {
		syscall.Unmount(d.dir, syscall.MNT_DETACH)
		d.mounted = false
	}
}

// WALBytes is the size of a Pebble database's WAL files, which opening
// replays into a new table.
func WALBytes(dir string) (int64, error) {
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
		if err == nil {
			n += info.Size()
		}
		return err
	})
	return n, err
}

// copyFiles copies the regular files of a flat directory with their modes.
func copyFiles(from, to string) error {
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			return fmt.Errorf("localnet: copy %s: %s is not a regular file", from, e.Name())
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
