package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/sable-settlement/sable/ledger/node"
)

// crashEnv names the test-only hook: the node SIGKILLs itself in Commit at
// this height, between FinalizeBlock and the app's state batch.
const crashEnv = "SABLE_TEST_CRASH_BEFORE_COMMIT"

func newNodeCmd() *cobra.Command {
	var home, level, format string
	cmd := &cobra.Command{
		Use:   "node --home DIR",
		Short: "Run a validator: CometBFT and the Sable application in one process, until SIGINT or SIGTERM",
		Long: `Run a validator: CometBFT and the Sable application in one process, until SIGINT or SIGTERM.

DIR is a validator home written by 'sable testnet' (DIR/validators/<n>): CometBFT's
config/config.toml and genesis.json, its keys, data/ (blocks and consensus state in
Pebble), app/ (the application state in Pebble) and zk/ (verifying keys, checked
against the hashes genesis pins). The RPC is CometBFT's standard one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if home == "" {
				return withHint(failf("--home is required"), "'sable testnet --validators 4 --out DIR' writes validator homes in DIR/validators/<n>")
			}
			log, err := newLogger(cmd, level, format)
			if err != nil {
				return err
			}
			var opts []node.Option
			if v := os.Getenv(crashEnv); v != "" {
				h, err := strconv.ParseInt(v, 10, 64)
				if err != nil || h < 1 {
					return failf("%s=%q is not a block height", crashEnv, v)
				}
				log.Warn("test hook armed: the node kills itself before committing", "height", h)
				opts = append(opts, node.WithCrashBeforeCommit(h))
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			n, err := node.Start(ctx, home, log, opts...)
			if err != nil {
				return failf("%v", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "node %s running, RPC %s (Ctrl-C to stop)\n", n.Config().Moniker, n.RPCAddr())
			<-ctx.Done()
			if err := n.Stop(); err != nil {
				return failf("%v", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&home, "home", "", "the validator's home directory")
	cmd.Flags().StringVar(&level, "log-level", "info", "debug (includes CometBFT's info lines), info, warn or error")
	cmd.Flags().StringVar(&format, "log-format", "text", "text or json")
	return cmd
}

func newLogger(cmd *cobra.Command, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, failf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), opts)), nil
	}
	return nil, failf("--log-format %q: want text or json", format)
}
