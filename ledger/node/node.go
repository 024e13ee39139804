package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/cockroachdb/pebble"
	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"
	cfg "github.com/cometbft/cometbft/config"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	nm "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	"github.com/cometbft/cometbft/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/viper"

	"github.com/sable-settlement/sable/ledger/internal/pebblekv"
	"github.com/sable-settlement/sable/ledger/state"
	"github.com/sable-settlement/sable/zkp"
)

// A validator's home directory:
//
//	config/config.toml           CometBFT's own configuration
//	config/genesis.json          the chain's genesis; app_state is our Genesis
//	config/node_key.json         p2p identity
//	config/priv_validator_key.json
//	data/                        CometBFT's block store and consensus state (Pebble)
//	data/priv_validator_state.json
//	app/                         the application state (Pebble, see Store)
//	zk/transfer.vk, zk/mint.vk   verifying keys, checked against genesis's hashes
const (
	nodeAppDir = "app"
	ZKDir      = "zk"
)

// Node is one validator: CometBFT and the Sable application in one process.
type Node struct {
	cmt   *nm.Node
	app   *state.App
	abci  *nodeApp
	store *state.Store
	dbs   *nodeDBs
	conf  *cfg.Config
	log   *slog.Logger

	stopOnce sync.Once
	stopErr  error
}

// Option changes how Start runs a node.
type Option func(*nodeOptions)

type nodeOptions struct {
	crashBeforeCommit int64
}

// WithCrashBeforeCommit makes the process SIGKILL itself inside Commit at
// the given height, after FinalizeBlock and before the state batch is
// written. It exists for crash-recovery tests only.
func WithCrashBeforeCommit(height int64) Option {
	return func(o *nodeOptions) { o.crashBeforeCommit = height }
}

// LoadConfig reads home/config/config.toml the way CometBFT's own
// command does (defaults for anything the file leaves out) and roots it at
// home.
func LoadConfig(home string) (*cfg.Config, error) {
	path := filepath.Join(home, "config", "config.toml")
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("ledger: %s is not a validator home (no config/config.toml; 'sable testnet' writes them)", home)
	}
	v := viper.New()
	v.SetConfigFile(path)
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("ledger: read %s: %w", path, err)
	}
	conf := cfg.DefaultConfig()
	if err := v.Unmarshal(conf); err != nil {
		return nil, fmt.Errorf("ledger: %s: %w", path, err)
	}
	conf.SetRoot(home)
	if err := conf.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("ledger: %s: %w", path, err)
	}
	return conf, nil
}

// Start starts the validator whose home is home and returns once it
// runs: its RPC is listening and consensus has started (after CometBFT's
// handshake has replayed any blocks the app had not committed). ctx bounds
// the start-up only; the node runs until Stop.
func Start(ctx context.Context, home string, log *slog.Logger, opts ...Option) (*Node, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	var o nodeOptions
	for _, opt := range opts {
		opt(&o)
	}
	conf, err := LoadConfig(home)
	if err != nil {
		return nil, err
	}
	for _, f := range []string{conf.PrivValidatorKeyFile(), conf.PrivValidatorStateFile(), conf.NodeKeyFile(), conf.GenesisFile()} {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("ledger: validator home %s is incomplete: %w", home, err)
		}
	}
	var keys state.Keys
	for _, k := range []struct {
		c   zkp.Circuit
		dst **zkp.VerifyingKey
	}{{zkp.Transfer, &keys.Transfer}, {zkp.Mint, &keys.Mint}} {
		_, path := zkp.KeyPaths(filepath.Join(home, ZKDir), k.c)
		if *k.dst, err = zkp.ReadVerifyingKey(path, k.c); err != nil {
			return nil, fmt.Errorf("ledger: %s verifying key: %w", k.c, err)
		}
	}
	// The fx and batch keys are optional: a home written before swaps or
	// batch proofs has none, and its chain refuses swaps or batch
	// transfers (state.Keys).
	for _, k := range []struct {
		c   zkp.Circuit
		dst **zkp.VerifyingKey
	}{{zkp.FX, &keys.FX}, {zkp.Batch, &keys.Batch}} {
		if _, path := zkp.KeyPaths(filepath.Join(home, ZKDir), k.c); func() bool { _, err := os.Stat(path); return err == nil }() {
			if *k.dst, err = zkp.ReadVerifyingKey(path, k.c); err != nil {
				return nil, fmt.Errorf("ledger: %s verifying key: %w", k.c, err)
			}
		}
	}
	store, err := state.OpenStore(filepath.Join(home, nodeAppDir))
	if err != nil {
		return nil, err
	}
	// The app refuses proposals past the chain's block.max_gas, which
	// CometBFT only keeps to when it reaps its own mempool.
	doc, err := types.GenesisDocFromFile(conf.GenesisFile())
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("ledger: genesis: %w", err)
	}
	appOpts := []state.Option{state.WithBlockMaxGas(doc.ConsensusParams.Block.MaxGas), state.WithFatal(fatal(log))}
	if conf.Instrumentation.Prometheus { // served with CometBFT's on its endpoint (metrics.go)
		m, err := state.NewMetrics(prometheus.DefaultRegisterer)
		if err != nil {
			store.Close()
			return nil, fmt.Errorf("ledger: metrics: %w", err)
		}
		appOpts = append(appOpts, state.WithMetrics(m))
	}
	app, err := state.NewApp(store, keys, log.With("module", "app"), appOpts...)
	if err != nil {
		store.Close()
		return nil, err
	}
	abciApp := &nodeApp{App: app, crashAt: o.crashBeforeCommit, log: log}
	nodeKey, err := p2p.LoadNodeKey(conf.NodeKeyFile())
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("ledger: node key: %w", err)
	}
	// LoadFilePV exits the process on a bad file; the files were checked
	// above to exist, and were written by 'sable testnet' or cometbft init.
	pv := privval.LoadFilePV(conf.PrivValidatorKeyFile(), conf.PrivValidatorStateFile())
	before, _, _ := store.Committed()
	dbs := &nodeDBs{log: log.With("module", "cometbft-db")}
	// NewNode runs CometBFT's handshake: Info, then a replay of any stored
	// blocks the app has not committed.
	cmt, err := nm.NewNode(ctx, conf, pv, nodeKey,
		proxy.NewLocalClientCreator(abciApp), // one mutex for every ABCI connection
		nm.DefaultGenesisDocProviderFunc(conf),
		dbs.provider,
		sharedMetricsProvider(conf.Instrumentation),
		NewCometLogger(log.With("module", "cometbft")))
	if err != nil {
		dbs.closeAll()
		store.Close()
		return nil, fmt.Errorf("ledger: start node %s: %w", home, err)
	}
	h, hash, _ := store.Committed()
	if err := cmt.Start(); err != nil {
		dbs.closeAll()
		store.Close()
		return nil, fmt.Errorf("ledger: start node %s: %w", home, err)
	}
	log.Info("node started", "home", home, "moniker", conf.Moniker, "rpc", conf.RPC.ListenAddress,
		"p2p", conf.P2P.ListenAddress, "app_height", h, "replayed", h-before, "app_hash", fmt.Sprintf("%X", hash))
	return &Node{cmt: cmt, app: app, abci: abciApp, store: store, dbs: dbs, conf: conf, log: log}, nil
}

// exit ends the process; a variable so that a test can see it called.
var exit = os.Exit

// fatal is the app's hook for a state store that can no longer be written
// (a full disk at Commit): one line on the node's log, then exit status 1.
// Returning the error to CometBFT instead would panic its consensus
// routine, which recovers, logs "CONSENSUS FAILURE!!!" with a stack trace
// and halts, leaving the process up with consensus stopped. Exiting is a
// crash at Commit, which CometBFT's handshake recovers from on restart by
// re-executing the block (state.WithFatal).
func fatal(log *slog.Logger) func(error) {
	return func(err error) {
		log.Error("the validator stops: its state cannot be written", "err", err.Error())
		exit(1)
	}
}

// RPCAddr is the node's CometBFT RPC address as http://host:port.
func (n *Node) RPCAddr() string { return rpcHTTP(n.conf.RPC.ListenAddress) }

// MetricsURL is where the node serves its Prometheus metrics, CometBFT's
// and the app's (http://host:port/metrics), or "" when instrumentation is
// off.
func (n *Node) MetricsURL() string {
	if !n.conf.Instrumentation.Prometheus {
		return ""
	}
	return rpcHTTP(n.conf.Instrumentation.PrometheusListenAddr) + "/metrics"
}

// Config returns the node's CometBFT configuration.
func (n *Node) Config() *cfg.Config { return n.conf }

// App returns the node's application.
func (n *Node) App() *state.App { return n.app }

// Stop stops consensus, p2p and RPC, waits for them, and closes the app
// state. It is safe to call more than once.
func (n *Node) Stop() error {
	n.stopOnce.Do(func() {
		if n.cmt.IsRunning() {
			if err := n.cmt.Stop(); err != nil {
				n.stopErr = fmt.Errorf("ledger: stop node: %w", err)
			}
			n.cmt.Wait()
		}
		n.dbs.closeAll() // CometBFT v1.0.1 leaves tx_index.db open
		n.abci.stop()
		if err := n.store.Close(); err != nil && n.stopErr == nil {
			n.stopErr = err
		}
		n.log.Info("node stopped", "moniker", n.conf.Moniker)
	})
	return n.stopErr
}

func rpcHTTP(laddr string) string {
	if i := strings.Index(laddr, "://"); i >= 0 {
		laddr = laddr[i+3:]
	}
	return "http://" + laddr
}

// nodeApp is the application as CometBFT sees it. After Stop it refuses
// the calls that RPC connections CometBFT leaves open can still make
// (Info, Query, CheckTx), instead of reading a closed store. It also holds
// the test hook that SIGKILLs the process in Commit at one height: after
// FinalizeBlock, with CometBFT's results saved, before the app's batch is
// written, so that on restart CometBFT's handshake must replay the block.
type nodeApp struct {
	*state.App
	crashAt int64
	log     *slog.Logger

	mu        sync.RWMutex
	stopped   bool
	finalized int64
}

var errNodeStopped = errors.New("ledger: the node is stopped")

func (a *nodeApp) stop() {
	a.mu.Lock() // waits for calls in flight
	a.stopped = true
	a.mu.Unlock()
}

func (a *nodeApp) Info(ctx context.Context, req *abci.InfoRequest) (*abci.InfoResponse, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.stopped {
		return nil, errNodeStopped
	}
	return a.App.Info(ctx, req)
}

func (a *nodeApp) Query(ctx context.Context, req *abci.QueryRequest) (*abci.QueryResponse, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.stopped {
		return nil, errNodeStopped
	}
	return a.App.Query(ctx, req)
}

func (a *nodeApp) CheckTx(ctx context.Context, req *abci.CheckTxRequest) (*abci.CheckTxResponse, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.stopped {
		return nil, errNodeStopped
	}
	return a.App.CheckTx(ctx, req)
}

func (a *nodeApp) FinalizeBlock(ctx context.Context, req *abci.FinalizeBlockRequest) (*abci.FinalizeBlockResponse, error) {
	res, err := a.App.FinalizeBlock(ctx, req)
	a.mu.Lock()
	a.finalized = req.Height
	a.mu.Unlock()
	return res, err
}

func (a *nodeApp) Commit(ctx context.Context, req *abci.CommitRequest) (*abci.CommitResponse, error) {
	a.mu.RLock()
	h := a.finalized
	a.mu.RUnlock()
	if a.crashAt > 0 && h == a.crashAt {
		a.log.Warn("test hook: killing the process between FinalizeBlock and Commit", "height", h)
		if p, err := os.FindProcess(os.Getpid()); err == nil {
			_ = p.Kill() // SIGKILL on Unix, TerminateProcess on Windows
		}
		select {} // the signal is on its way
	}
	return a.App.Commit(ctx, req)
}

// nodeDBs opens CometBFT's databases like cfg.DefaultDBProvider, but gives
// Pebble (the default backend) a logger that sends its routine messages,
// such as the WAL replay after a crash, to slog's debug level; and it
// remembers them, so that Stop can close the ones CometBFT does not (its
// Node.OnStop never closes the tx index), and the same home can be started
// again in the same process.
type nodeDBs struct {
	log *slog.Logger
	mu  sync.Mutex
	dbs []*trackedDB
}

func (n *nodeDBs) provider(ctx *cfg.DBContext) (dbm.DB, error) {
	var db dbm.DB
	var err error
	if dbm.BackendType(ctx.Config.DBBackend) == dbm.PebbleDBBackend {
		db, err = dbm.NewPebbleDBWithOpts(ctx.ID, ctx.Config.DBDir(), &pebble.Options{Logger: pebbleLogger{l: n.log.With("db", ctx.ID), dir: ctx.Config.DBDir()}})
	} else {
		db, err = cfg.DefaultDBProvider(ctx)
	}
	if err != nil {
		return nil, err
	}
	t := &trackedDB{db: db}
	n.mu.Lock()
	n.dbs = append(n.dbs, t)
	n.mu.Unlock()
	return t, nil
}

func (n *nodeDBs) closeAll() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, db := range n.dbs {
		if err := db.Close(); err != nil {
			n.log.Warn("closing a database", "err", err)
		}
	}
}

// pebbleLogger adapts slog to Pebble's logger, for CometBFT's databases
// under dir.
type pebbleLogger struct {
	l   *slog.Logger
	dir string
}

func (p pebbleLogger) Infof(format string, args ...any) {
	p.l.Debug(fmt.Sprintf(format, args...))
}

// Fatalf is Pebble giving up on one of CometBFT's databases: a write or
// fsync that failed (a full disk), a WAL it cannot create, damage. The
// database cannot be used again in this process, and CometBFT would meet
// the panic Pebble expects here in whichever routine wrote, with a stack
// trace, possibly leaving the process up and consensus halted. The node
// stops instead, after one line that says what to do; CometBFT's WAL and
// the handshake bring it back where it was on restart.
func (p pebbleLogger) Fatalf(format string, args ...any) {
	f := pebblekv.NewFatal("pebble: "+format, args...)
	fix := "check the disk under " + p.dir + " and start the node again"
	if pebblekv.DiskFull(f) {
		fix = "the disk is full: free space on the disk under " + p.dir + " and start the node again"
	}
	p.l.Error("the validator stops: a CometBFT database cannot be written", "err", f.Msg, "fix", fix)
	exit(1)
	panic(f) // exit returns only in a test
}

// cometLogger routes CometBFT's logger to slog. CometBFT's info lines (a
// dozen per block) go to slog's debug level and its debug lines below it;
// its errors, mostly peers coming and going, are warnings. A node's output
// is then quiet at slog's default level.
type cometLogger struct {
	l *slog.Logger
}

// CometBFT's levels mapped onto slog's.
const (
	cometDebugLevel = slog.LevelDebug - 4
	cometInfoLevel  = slog.LevelDebug
	cometErrorLevel = slog.LevelWarn
)

// NewCometLogger returns a CometBFT logger that writes to l.
func NewCometLogger(l *slog.Logger) cmtlog.Logger { return cometLogger{l} }

func (c cometLogger) Debug(msg string, kv ...any) { c.log(cometDebugLevel, msg, kv) }
func (c cometLogger) Info(msg string, kv ...any)  { c.log(cometInfoLevel, msg, kv) }
func (c cometLogger) Error(msg string, kv ...any) { c.log(cometErrorLevel, msg, kv) }

func (c cometLogger) With(kv ...any) cmtlog.Logger { return cometLogger{c.l.With(cometArgs(kv)...)} }

func (c cometLogger) log(level slog.Level, msg string, kv []any) {
	ctx := context.Background()
	if !c.l.Enabled(ctx, level) {
		return
	}
	c.l.Log(ctx, level, msg, cometArgs(kv)...)
}

// cometArgs renders values that CometBFT logs lazily or as errors.
func cometArgs(kv []any) []any {
	out := make([]any, len(kv))
	for i, v := range kv {
		switch x := v.(type) {
		case error:
			out[i] = x.Error()
		case fmt.Stringer:
			if i%2 == 1 {
				out[i] = stringer{x}
				continue
			}
			out[i] = x
		default:
			out[i] = v
		}
	}
	return out
}

// stringer defers String until the record is written.
type stringer struct{ s fmt.Stringer }

func (s stringer) LogValue() (v slog.Value) {
	defer func() {
		if recover() != nil { // a nil pointer inside the interface
			v = slog.StringValue("<nil>")
		}
	}()
	return slog.StringValue(s.s.String())
}
