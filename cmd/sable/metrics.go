package main

import (
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/sable-settlement/sable/ledger/party"
)

// --metrics-addr: any command serves its process's Prometheus metrics at
// http://ADDR/metrics while it runs. On the bank's side that is the proving
// time of every proof its transfers, bulk payments, mints and burns make
// (sable_party_prove_seconds), worth scraping while a long command runs: a
// bulk transfer of 64 payments, 'sable bench ledger', 'sable demo'. A
// validator serves its own (CometBFT's and the app's) on its
// instrumentation address instead; see ledger/node.

var partyMetrics = struct {
	once     sync.Once
	prove    prometheus.Histogram
	failures prometheus.Counter
}{}

// registerPartyMetrics makes the bank side's collectors, once per process.
func registerPartyMetrics() {
	partyMetrics.once.Do(func() {
		partyMetrics.prove = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "sable", Subsystem: "party", Name: "prove_seconds",
			Help: "Time to make one Groth16 proof on the bank's side (transfer circuit: transfers, bulk payments, mints, burns).", Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)})
		partyMetrics.failures = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "sable", Subsystem: "party", Name: "prove_failures_total",
			Help: "Proofs the bank's side failed to make."})
		prometheus.MustRegister(partyMetrics.prove, partyMetrics.failures)
	})
}

// metricsServer is the server --metrics-addr started, if any.
var metricsServer struct {
	sync.Mutex
	srv *http.Server
}

// addMetricsFlag gives root the persistent --metrics-addr flag.
func addMetricsFlag(root *cobra.Command) {
	var addr string
	root.PersistentFlags().StringVar(&addr, "metrics-addr", "", "serve this command's Prometheus metrics (the bank side's proving time) at http://ADDR/metrics while it runs")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if addr == "" {
			return nil
		}
		return startMetrics(addr)
	}
	stopOnce.Do(func() { cobra.OnFinalize(stopMetrics) })
}

var stopOnce sync.Once

func startMetrics(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return withHint(failf("--metrics-addr: %v", err), "give a free host:port, e.g. --metrics-addr 127.0.0.1:9464")
	}
	registerPartyMetrics()
	party.ObserveProofs(func(took time.Duration, ok bool) {
		if ok {
			partyMetrics.prove.Observe(took.Seconds())
		} else {
			partyMetrics.failures.Inc()
		}
	})
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	metricsServer.Lock()
	metricsServer.srv = srv
	metricsServer.Unlock()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			ln.Close()
		}
	}()
	return nil
}

// stopMetrics ends the server when the command ends, whatever its outcome.
func stopMetrics() {
	metricsServer.Lock()
	srv := metricsServer.srv
	metricsServer.srv = nil
	metricsServer.Unlock()
	if srv != nil {
		party.ObserveProofs(nil)
		_ = srv.Close()
	}
}
