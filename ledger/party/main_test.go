package party_test

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/sable-settlement/sable/zkp"
)

// shared is one development setup of every circuit that the package's
// testnets copy (testnet.Options.KeysFrom) instead of each making its own:
// a setup of the batch circuit alone costs seconds. It lives in a
// temporary directory that TestMain removes.
var shared struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// sharedKeys returns the directory of the shared development setup,
// making it on first use.
func sharedKeys(t *testing.T) string {
	t.Helper()
	shared.once.Do(func() {
		if shared.dir, shared.err = os.MkdirTemp("", "sable-party-test-keys-"); shared.err == nil {
			shared.err = writeDevKeys(shared.dir)
		}
	})
	if shared.err != nil {
		t.Fatalf("development keys: %v", shared.err)
	}
	return shared.dir
}

// writeDevKeys writes a fresh development setup of every circuit to dir.
func writeDevKeys(dir string) error {
	for _, c := range zkp.Circuits() {
		pk, vk, err := zkp.SetupDev(c)
		if err != nil {
			return fmt.Errorf("%s: %w", c, err)
		}
		pkPath, vkPath := zkp.KeyPaths(dir, c)
		if err := zkp.WriteProvingKey(pkPath, pk); err != nil {
			return err
		}
		if err := zkp.WriteVerifyingKey(vkPath, vk); err != nil {
			return err
		}
	}
	return nil
}
