package state

import (
	"errors"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// Metrics are the application's Prometheus collectors, served beside
// CometBFT's own on the node's instrumentation endpoint (ledger/node).
// Every method is safe on a nil *Metrics, which records nothing, so the
// app's hooks are one line each.
//
// They count and time what the app does: transactions checked and
// rejected (by stage and code) and applied (by kind), proofs verified alone
// and in batches with their time, HE flows recorded and the block's
// aggregation time, supply checks, and the last committed height. They
// never carry an amount, a party or a transaction id: labels are stages,
// codes, kinds and circuits only.
type Metrics struct {
	checked    prometheus.Counter
	rejected   *prometheus.CounterVec
	applied    *prometheus.CounterVec
	proofs     *prometheus.CounterVec
	proofTime  *prometheus.HistogramVec
	batchSize  prometheus.Histogram
	heTime     prometheus.Histogram
	flowBytes  prometheus.Counter
	flows      prometheus.Counter
	additions  prometheus.Counter
	aggregates prometheus.Counter
	supply     *prometheus.CounterVec
	height     prometheus.Gauge
}

// MetricsNamespace prefixes every metric of the app.
const MetricsNamespace = "sable"

// NewMetrics makes the app's collectors and registers them with reg
// (prometheus.DefaultRegisterer, which CometBFT serves, for a node). A
// collector already registered, by an earlier node in the same process,
// is reused, so a node can be stopped and started again.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{}
	var err error
	reg1 := func(c prometheus.Collector) prometheus.Collector {
		if err != nil {
			return c
		}
		var are prometheus.AlreadyRegisteredError
		e := reg.Register(c)
		if errors.As(e, &are) {
			return are.ExistingCollector
		}
		err = e
		return c
	}
	m.checked = reg1(counter("checktx_total", "Transactions pre-validated by CheckTx.")).(prometheus.Counter)
	m.rejected = reg1(counterVec("tx_rejected_total", "Transactions rejected, by stage (check, proposal, finalize) and rejection code (ledger/code.go).", "stage", "code")).(*prometheus.CounterVec)
	m.applied = reg1(counterVec("tx_applied_total", "Transactions applied in FinalizeBlock, by kind.", "kind")).(*prometheus.CounterVec)
	m.proofs = reg1(counterVec("proofs_verified_total", "Groth16 proofs verified, by mode (single, batch), circuit and outcome.", "mode", "circuit", "valid")).(*prometheus.CounterVec)
	m.proofTime = reg1(prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: MetricsNamespace, Name: "proof_verify_seconds",
		Help:    "Time to verify one proof alone (mode single) or one batch of proofs with one multi-pairing (mode batch).",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}, []string{"mode"})).(*prometheus.HistogramVec)
	m.batchSize = reg1(prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: MetricsNamespace, Name: "proof_batch_size",
		Help: "Proofs per verified batch.", Buckets: prometheus.ExponentialBuckets(1, 2, 11)})).(prometheus.Histogram)
	m.heTime = reg1(prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: MetricsNamespace, Name: "he_aggregation_seconds",
		Help:    "Time to add a block's flow ciphertexts into the HE aggregates and encode them, per block with flows.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)})).(prometheus.Histogram)
	m.flowBytes = reg1(counter("he_flow_bytes_total", "Bytes of the flow ciphertexts of applied transactions.")).(prometheus.Counter)
	m.flows = reg1(counter("he_flows_total", "Payments' flows applied (a bulk transfer's ciphertext carries one per payment).")).(prometheus.Counter)
	m.additions = reg1(counter("he_aggregate_additions_total", "Ciphertext additions into the currencies' books (one per transaction and currency).")).(prometheus.Counter)
	m.aggregates = reg1(counter("he_aggregates_updated_total", "Books (one HE ciphertext per currency) rewritten at the end of a block.")).(prometheus.Counter)
	m.supply = reg1(counterVec("supply_checks_total", "Supply turnstile checks (accounts sum to minted minus burned) at FinalizeBlock, by result.", "result")).(*prometheus.CounterVec)
	m.height = reg1(prometheus.NewGauge(prometheus.GaugeOpts{Namespace: MetricsNamespace, Name: "height", Help: "Last committed height."})).(prometheus.Gauge)
	if err != nil {
		return nil, err
	}
	return m, nil
}

func counter(name, help string) prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{Namespace: MetricsNamespace, Name: name, Help: help})
}

func counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: MetricsNamespace, Name: name, Help: help}, labels)
}

// WithMetrics records the app's metrics in m (nil: none).
func WithMetrics(m *Metrics) Option { return func(a *App) { a.metrics = m } }

// Rejection stages.
const (
	stageCheck    = "check"
	stageProposal = "proposal"
	stageFinalize = "finalize"
)

func (m *Metrics) checkTx(rej *ledger.Rejection) {
	if m == nil {
		return
	}
	m.checked.Inc()
	m.reject(stageCheck, rej)
}

func (m *Metrics) reject(stage string, rej *ledger.Rejection) {
	if m == nil || rej == nil {
		return
	}
	m.rejected.WithLabelValues(stage, strconv.FormatUint(uint64(rej.Code), 10)).Inc()
}

// finalized records one transaction's outcome in FinalizeBlock.
func (m *Metrics) finalized(tx *ledger.Tx, rej *ledger.Rejection) {
	if m == nil {
		return
	}
	if rej != nil {
		m.reject(stageFinalize, rej)
		return
	}
	m.applied.WithLabelValues(tx.Kind.String()).Inc()
	if size, n := flowOf(tx); size > 0 {
		m.flowBytes.Add(float64(size))
		m.flows.Add(float64(n))
	}
}

// flowOf returns the size of a transaction's flow ciphertexts and how many
// payments' flows they carry.
func flowOf(tx *ledger.Tx) (int, int) {
	switch b := tx.Body.(type) {
	case *ledger.Transfer:
		return len(b.Flow), 1
	case *ledger.Mint:
		return len(b.Flow), 1
	case *ledger.Burn:
		return len(b.Flow), 1
	case *ledger.Swap: // a flow per leg
		return len(b.FlowA) + len(b.FlowB), 2
	case *ledger.BatchTransfer:
		size := 0
		for _, k := range b.Books {
			size += len(k.Flow)
		}
		return size, len(b.Payments)
	}
	return 0, 0
}

// aggregation times flush, the block's ciphertext additions: call it
// before flush, and the function it returns after.
func (m *Metrics) aggregation(f *flowBook) func() {
	if m == nil || f == nil || len(f.pending) == 0 {
		return func() {}
	}
	adds := 0
	for _, u := range f.pending {
		adds += len(u.adds)
	}
	aggs, start := len(f.pending), time.Now()
	return func() {
		m.heTime.Observe(time.Since(start).Seconds())
		m.additions.Add(float64(adds))
		m.aggregates.Add(float64(aggs))
	}
}

func (m *Metrics) supplyCheck(ok bool) {
	if m == nil {
		return
	}
	result := "ok"
	if !ok {
		result = "broken"
	}
	m.supply.WithLabelValues(result).Inc()
}

func (m *Metrics) committed(height int64) {
	if m != nil {
		m.height.Set(float64(height))
	}
}

// verified records one proof verified alone: call it before, and the
// function it returns with the verdict after.
func (m *Metrics) verified(c zkp.Circuit) func(ok bool) {
	if m == nil {
		return func(bool) {}
	}
	start := time.Now()
	return func(ok bool) {
		m.proofTime.WithLabelValues("single").Observe(time.Since(start).Seconds())
		m.proofs.WithLabelValues("single", string(c), strconv.FormatBool(ok)).Inc()
	}
}

// batchVerified records one batch of n proofs of circuit c.
func (m *Metrics) batchVerified(c zkp.Circuit, n int, took time.Duration, ok bool) {
	if m == nil {
		return
	}
	m.proofTime.WithLabelValues("batch").Observe(took.Seconds())
	m.batchSize.Observe(float64(n))
	if ok { // a failed batch's proofs are then verified, and counted, alone
		m.proofs.WithLabelValues("batch", string(c), "true").Add(float64(n))
	}
}
