package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/sable-settlement/sable/ledger/audit"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/monitor"
)

func newMonitorCmd() *cobra.Command {
	var node, keys, listen, fx, regulators string
	var minFlows int
	var verbose bool
	cmd := &cobra.Command{
		Use:   "monitor --node URL --keys DIR [--listen 127.0.0.1:8080] [--fx SGD=0.74,…]",
		Short: "Serve the regulator's live dashboard: aggregates audited at every block (regulator)",
		Long: "Serves a web page with totals per currency, net positions per bank, corridor flows, the\n" +
			"USD-equivalent total over time and the consistency of every encrypted aggregate, updated\n" +
			"as blocks commit. Only aggregates are shown: a figure, or its change, resting on fewer\n" +
			"than --min-flows flows is withheld. Runs until interrupted.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if node == "" || (keys == "" && regulators == "") {
				return withHint(failf("--node and --keys are required"), "--keys is the regulator's home (it holds he.sk), e.g. DIR/regulator of 'sable testnet'; or --regulators: t regulator parties' homes or endpoints")
			}
			rates, err := audit.ParseFXRates(fx)
			if err != nil {
				return failf("--fx: %v", err)
			}
			if minFlows < 2 {
				return withHint(failf("--min-flows %d would show single payments", minFlows), "use 2 or more")
			}
			if _, _, err := net.SplitHostPort(listen); err != nil {
				return withHint(failf("--listen %q: %v", listen, err), "give host:port, e.g. 127.0.0.1:8080")
			}
			c, err := client.Dial(node)
			if err != nil {
				return failf("--node: %v", err)
			}
			op, err := auditOpener(cmd.Context(), keys, regulators, c) // audit.go: he.sk, or t regulator parties' shares
			if err != nil {
				return err
			}
			level := slog.LevelWarn
			if verbose {
				level = slog.LevelInfo
			}
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			srv, err := monitor.New(monitor.Config{Node: c, Audit: audit.NewWith(c, op, rates).Run, Rates: rates, MinFlows: minFlows, Log: log})
			if err != nil {
				return failf("%v", err)
			}
			l, err := net.Listen("tcp", listen)
			if err != nil {
				if errors.Is(err, syscall.EADDRINUSE) {
					return withHint(failf("--listen %s: the address is already in use", listen), "stop what listens there or pick another port, e.g. --listen 127.0.0.1:8081")
				}
				return failf("--listen %s: %v", listen, err)
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			fmt.Fprintf(cmd.OutOrStdout(), "monitor: http://%s/ (node %s; Ctrl-C to stop)\n", l.Addr(), node)
			if err := srv.Serve(ctx, l); err != nil {
				return failf("monitor: %v", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&node, "node", "", "a validator's RPC address, e.g. http://127.0.0.1:26607")
	cmd.Flags().StringVar(&keys, "keys", "", "the regulator's key directory (holds he.sk)")
	cmd.Flags().StringVar(&regulators, "regulators", "", "decrypt with t regulator parties' shares (homes or endpoints), as 'sable audit --regulators'")
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "address to serve the dashboard on (only this address)")
	cmd.Flags().StringVar(&fx, "fx", "", "USD rates overriding the defaults, e.g. SGD=0.74,JPY=0.0067")
	cmd.Flags().IntVar(&minFlows, "min-flows", monitor.DefaultMinFlows, "withhold any figure, or change of one, resting on fewer flows than this")
	cmd.Flags().BoolVar(&verbose, "verbose", false, "log every audit to stderr")
	return cmd
}
