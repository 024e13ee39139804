package testnet

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/types"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/internal/atomicfile"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/audit"
	"github.com/sable-settlement/sable/ledger/node"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/zkp"
	"github.com/sable-settlement/sable/zkp/ceremony"
)

// Banks are the banks of a local testnet, one per country.
var Banks = []struct{ ID, Country string }{
	{"bank-sg", "SG"}, {"bank-hk", "HK"}, {"bank-us", "US"}, {"bank-th", "TH"},
}

// RegulatorID is the regulator's id on a local testnet.
const RegulatorID = "regulator"

// issuerCountry is where each currency's testnet issuer sits.
var issuerCountry = map[string]string{
	"USD": "US", "SGD": "SG", "HKD": "HK", "THB": "TH", "EUR": "EU", "JPY": "JP", "CNY": "CN",
}

// IssuerID is the testnet issuer of currency c, e.g. issuer-usd.
func IssuerID(c ledger.Currency) string { return "issuer-" + strings.ToLower(c.String()) }

// DefaultBlockMaxGas is a testnet block's most gas (state.GasPerProof per
// proof plus one per batch payment). A unit of gas costs a validator about
// 0.1 ms of CPU (BenchmarkValidatorPerPayment), and on a shared machine
// four validators share the cores: 4,096 (eleven full batches of 256
// payments, 2,816 payments) keeps a full block's preparing and processing
// well inside timeout_propose.
const DefaultBlockMaxGas = 4096

// DefaultBasePort is the first port a testnet uses. Validator i listens for
// peers on base+10i+6, serves RPC on base+10i+7 and Prometheus metrics on
// base+10i+8 (so 26606, 26607 and 26608 for the first), and with
// Options.Pprof Go's pprof on base+10i+9, which leaves room for several
// testnets side by side.
const DefaultBasePort = 26600

// Options shapes a local network.
type Options struct {
	Validators int    // at least 1; 4 tolerates one fault
	ChainID    string // default "sable-testnet"
	// Fund is each bank's opening balance in every currency, a decimal in
	// major units ("1000000" or "1000000.00"); empty means zero.
	Fund     string
	BasePort int    // default DefaultBasePort
	Host     string // listen and peer address, default 127.0.0.1
	// KeysFrom reuses the proving and verifying keys in this directory
	// instead of a fresh development setup. Keys from 'sable ceremony
	// finalize' bring their record (ceremony.json), whose hash the genesis
	// pins (GenesisKeys.Ceremony).
	KeysFrom string
	// Identities reuses the parties' signing and memo keys from the homes
	// of an earlier testnet in this directory (banks/<id>, issuers/<CUR>,
	// regulator), instead of fresh ones: parties that signed ceremony
	// contributions with their identity keys keep those keys in the
	// genesis. Threshold regulator parties are always made fresh.
	Identities string
	// NoHE leaves the regulator without an HE key pair: payments then
	// carry no flow ciphertexts (smaller, for proof-path experiments).
	NoHE bool
	// Regulators shares the regulator's HE key Threshold-of-n among one
	// party per jurisdiction (e.g. SG, HK, US, TH with Threshold 3): each
	// party's home is DIR/regulators/<jurisdiction>, the genesis holds the
	// collective public key, and the regulator's home holds no secret key.
	// Empty: the regulator alone holds the key (he.sk).
	Regulators []string
	Threshold  int
	// Consensus timing; zero values take the testnet defaults below.
	TimeoutPropose     time.Duration // 1s
	TimeoutVote        time.Duration // prevote and precommit, 300ms
	TimeoutCommit      time.Duration // 300ms
	EmptyBlockInterval time.Duration // 1s: an empty block at least this often
	// BlockMaxBytes is the consensus limit on a block's size; default 8 MiB.
	BlockMaxBytes int64
	// BlockMaxGas is the consensus limit on a block's gas, which for Sable
	// is state.GasPerProof per proof plus one per batch payment (every
	// transaction at least 1): it bounds the work of
	// preparing and processing one block. Default DefaultBlockMaxGas; −1
	// for none.
	BlockMaxGas int64
	// Pprof has each validator serve Go's pprof on base+10i+9 (CometBFT's
	// rpc.pprof_laddr), for profiling it under load; Validator.Pprof says
	// where.
	Pprof bool
}

// Layout says where everything of a written testnet is. It is also
// saved as DIR/testnet.json (no secrets in it).
type Layout struct {
	Dir         string      `json:"dir"`
	ChainID     string      `json:"chain_id"`
	GenesisFile string      `json:"genesis_file"`
	KeysDir     string      `json:"keys_dir"`
	Validators  []Validator `json:"validators"`
	Banks       []Party     `json:"banks"`   // Banks order
	Issuers     []Party     `json:"issuers"` // Currencies order
	Regulator   Party       `json:"regulator"`
	// Fund is each bank's genesis balance per currency in minor units
	// (absent without funding).
	Fund map[string]uint64 `json:"fund,omitempty"`
	// Ceremony is the hash of the keys' ceremony record, empty for
	// development keys.
	Ceremony string `json:"ceremony,omitempty"`
	// Regulators are the homes of the regulator parties sharing the HE
	// key (Options.Regulators), in index order.
	Regulators []string `json:"regulators,omitempty"`

	Genesis *ledger.Genesis `json:"-"`
}

// Validator is one validator's home and addresses.
type Validator struct {
	Name   string `json:"name"`
	Home   string `json:"home"`
	NodeID string `json:"node_id"`
	P2P    string `json:"p2p"` // host:port
	RPC    string `json:"rpc"` // http://host:port
	// Metrics is where the validator serves Prometheus metrics,
	// CometBFT's and the app's: http://host:port/metrics.
	Metrics string `json:"metrics,omitempty"`
	// Pprof is where it serves Go's pprof (host:port), with Options.Pprof.
	Pprof string `json:"pprof,omitempty"`
}

// Party is a bank's, issuer's or the regulator's home.
type Party struct {
	ID       string `json:"id"`
	Role     string `json:"role"`
	Country  string `json:"country"`
	Currency string `json:"currency,omitempty"` // issuers
	Home     string `json:"home"`
	Node     string `json:"node"` // the validator RPC it talks to
}

// Bank returns the bank's entry by id.
func (l *Layout) Bank(id string) (Party, bool) {
	for _, b := range l.Banks {
		if b.ID == id {
			return b, true
		}
	}
	return Party{}, false
}

// Issuer returns the issuer of currency c.
func (l *Layout) Issuer(c ledger.Currency) (Party, bool) {
	for _, p := range l.Issuers {
		if p.Currency == c.String() {
			return p, true
		}
	}
	return Party{}, false
}

// Read reads DIR/testnet.json.
func Read(dir string) (*Layout, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "testnet.json"))
	if err != nil {
		return nil, fmt.Errorf("ledger: %s is not a testnet written by 'sable testnet': %w", dir, err)
	}
	var l Layout
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, fmt.Errorf("ledger: %s: %w", filepath.Join(dir, "testnet.json"), err)
	}
	return &l, nil
}

// ParseFund reads a funding amount for every currency. Trailing zero
// decimals are dropped first, so "1000000.00" also funds JPY (no minor
// units) with 1000000; a fraction JPY cannot hold is an error.
func ParseFund(s string) (map[ledger.Currency]uint64, error) {
	out := map[ledger.Currency]uint64{}
	for _, k := range ledger.Currencies {
		v := s
		if whole, frac, ok := strings.Cut(s, "."); ok && len(frac) > k.Minor {
			trimmed := strings.TrimRight(frac[k.Minor:], "0")
			if trimmed == "" {
				v = whole
				if k.Minor > 0 {
					v += "." + frac[:k.Minor]
				}
			}
		}
		amt, err := ledger.ParseAmount(k.Code, v)
		if err != nil {
			return nil, fmt.Errorf("%w (the same amount funds every currency)", err)
		}
		if amt > ledger.SupplyCap/uint64(len(Banks)) {
			return nil, fmt.Errorf("ledger: funding %s %s for each of %d banks would pass the supply cap of %s", k.Code, v, len(Banks), ledger.FormatAmount(k.Code, ledger.SupplyCap))
		}
		out[k.Code] = amt
	}
	return out, nil
}

// Write writes a local network into dir: validator homes, one
// genesis, development ZK keys, and the home of every party (four banks,
// an issuer per currency, the regulator) with keys and a wallet. dir must
// not hold a testnet already.
func Write(dir string, opts Options) (*Layout, error) {
	w, err := newWriter(dir, opts)
	if err != nil {
		return nil, err
	}
	for _, step := range []func() error{
		w.zkKeys, w.validatorKeys, w.identities, w.genesis, w.validatorConfigs, w.partyHomes, w.layoutFile,
	} {
		if err := step(); err != nil {
			if w.created { // no half-written testnet: a directory this Write made goes
				os.RemoveAll(dir)
			}
			return nil, err
		}
	}
	return w.l, nil
}

// writer carries one Write from step to step.
type writer struct {
	opts     Options
	fund     map[ledger.Currency]uint64
	l        *Layout
	vks      map[zkp.Circuit]*zkp.VerifyingKey
	genVals  []types.GenesisValidator
	members  []member
	openings map[string]map[ledger.Currency]ledger.Opening // funded banks' genesis balances
	created  bool                                          // dir did not exist: a failed Write removes it
}

// member is a party being written: its identity, its place in the layout
// and, for an issuer, its currency.
type member struct {
	id  *party.Identity
	tp  Party
	cur ledger.Currency
}

// newWriter checks the options, fills in defaults and claims dir.
func newWriter(dir string, opts Options) (*writer, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	fund := map[ledger.Currency]uint64{}
	if opts.Fund != "" {
		if fund, err = ParseFund(opts.Fund); err != nil {
			return nil, err
		}
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "testnet.json")); err == nil {
		return nil, fmt.Errorf("ledger: %s already holds a testnet; choose an empty directory", dir)
	}
	_, statErr := os.Stat(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	l := &Layout{Dir: dir, ChainID: opts.ChainID, GenesisFile: filepath.Join(dir, "genesis.json"),
		KeysDir: filepath.Join(dir, "keys")}
	return &writer{opts: opts, fund: fund, l: l, openings: map[string]map[ledger.Currency]ledger.Opening{},
		created: errors.Is(statErr, os.ErrNotExist)}, nil
}

// withDefaults checks the options and fills in what was left zero.
func (opts Options) withDefaults() (Options, error) {
	if opts.Validators < 1 {
		return opts, errors.New("ledger: a testnet needs at least one validator")
	}
	if opts.ChainID == "" {
		opts.ChainID = "sable-testnet"
	}
	if opts.BasePort == 0 {
		opts.BasePort = DefaultBasePort
	}
	if opts.BasePort < 1024 || opts.BasePort+10*opts.Validators > 65535 {
		return opts, fmt.Errorf("ledger: base port %d leaves no room for %d validators (ports base+6 … base+%d)", opts.BasePort, opts.Validators, 10*opts.Validators-3)
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if len(opts.Regulators) > 0 && (opts.NoHE || opts.Threshold < 2 || opts.Threshold > len(opts.Regulators)) {
		return opts, fmt.Errorf("ledger: %d regulator parties need HE and a threshold from 2 to %d", len(opts.Regulators), len(opts.Regulators))
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&opts.TimeoutPropose, time.Second)
	def(&opts.TimeoutVote, 300*time.Millisecond)
	def(&opts.TimeoutCommit, 300*time.Millisecond)
	def(&opts.EmptyBlockInterval, time.Second)
	if opts.BlockMaxGas == 0 {
		opts.BlockMaxGas = DefaultBlockMaxGas
	}
	return opts, nil
}

// zkKeys makes (or copies) the circuits' keys into the testnet's keys dir,
// with the prover's table cache beside them: every party proves through
// that dir, and with the cache its first proof already uses the faster
// table engine.
func (w *writer) zkKeys() (err error) {
	if w.vks, err = testnetKeys(w.l.KeysDir, w.opts.KeysFrom); err != nil {
		return err
	}
	if err := w.ceremonyRecord(); err != nil {
		return err
	}
	p := zkp.OpenProver(w.l.KeysDir)
	for _, c := range zkp.Circuits() {
		if !c.TablesAtSetup() {
			continue
		}
		if err := p.WriteTables(c); err != nil {
			return err
		}
	}
	return nil
}

// validatorKeys makes each validator's home, consensus and node keys, and
// gives it the verifying keys; keys come first so that every config can
// name its peers.
func (w *writer) validatorKeys() error {
	w.genVals = make([]types.GenesisValidator, w.opts.Validators)
	for i := range w.opts.Validators {
		v := Validator{Name: fmt.Sprintf("validator-%d", i), Home: filepath.Join(w.l.Dir, "validators", fmt.Sprint(i)),
			P2P:     fmt.Sprintf("%s:%d", w.opts.Host, w.opts.BasePort+10*i+6),
			RPC:     fmt.Sprintf("http://%s:%d", w.opts.Host, w.opts.BasePort+10*i+7),
			Metrics: fmt.Sprintf("http://%s:%d/metrics", w.opts.Host, w.opts.BasePort+10*i+8)}
		if w.opts.Pprof {
			v.Pprof = fmt.Sprintf("%s:%d", w.opts.Host, w.opts.BasePort+10*i+9)
		}
		gv, err := w.validatorHome(&v)
		if err != nil {
			return err
		}
		w.genVals[i] = gv
		w.l.Validators = append(w.l.Validators, v)
	}
	return nil
}

// validatorHome writes one validator's directories and keys and records
// its node ID.
func (w *writer) validatorHome(v *Validator) (types.GenesisValidator, error) {
	var gv types.GenesisValidator
	for _, sub := range []string{"config", "data", node.ZKDir} {
		if err := os.MkdirAll(filepath.Join(v.Home, sub), 0o700); err != nil {
			return gv, fmt.Errorf("ledger: %w", err)
		}
	}
	conf := cfg.DefaultConfig()
	conf.SetRoot(v.Home)
	pv, err := privval.GenFilePV(conf.PrivValidatorKeyFile(), conf.PrivValidatorStateFile(), nil)
	if err != nil {
		return gv, fmt.Errorf("ledger: validator key: %w", err)
	}
	pv.Save()
	nk, err := p2p.LoadOrGenNodeKey(conf.NodeKeyFile())
	if err != nil {
		return gv, fmt.Errorf("ledger: node key: %w", err)
	}
	v.NodeID = string(nk.ID())
	pub, err := pv.GetPubKey()
	if err != nil {
		return gv, fmt.Errorf("ledger: validator key: %w", err)
	}
	for _, c := range zkp.Circuits() {
		_, src := zkp.KeyPaths(w.l.KeysDir, c)
		_, dst := zkp.KeyPaths(filepath.Join(v.Home, node.ZKDir), c)
		if err := copyFile(src, dst, 0o644); err != nil {
			return gv, err
		}
	}
	return types.GenesisValidator{Address: pub.Address(), PubKey: pub, Power: 10, Name: v.Name}, nil
}

// identities makes the keys of the regulator, every bank and every
// currency's issuer; parties are spread over the validators' RPCs.
func (w *writer) identities() error {
	nodeRPC := func(i int) string { return w.l.Validators[i%len(w.l.Validators)].RPC }
	reg, banks, issuers := placeParties(w.l.Dir)
	w.l.Regulator = reg
	w.l.Regulator.Node = nodeRPC(0)
	if err := w.addMember(w.l.Regulator, ledger.Currency{}); err != nil {
		return err
	}
	for i, tp := range banks {
		tp.Node = nodeRPC(i)
		w.l.Banks = append(w.l.Banks, tp)
		if err := w.addMember(tp, ledger.Currency{}); err != nil {
			return err
		}
	}
	for i, tp := range issuers {
		tp.Node = nodeRPC(i)
		w.l.Issuers = append(w.l.Issuers, tp)
		if err := w.addMember(tp, ledger.Currencies[i].Code); err != nil {
			return err
		}
	}
	return nil
}

// placeParties places the regulator, every bank (Banks order) and every
// currency's issuer (Currencies order) under dir, without nodes.
func placeParties(dir string) (reg Party, banks, issuers []Party) {
	reg = Party{ID: RegulatorID, Role: "regulator", Country: "SG", Home: filepath.Join(dir, "regulator")}
	for _, b := range Banks {
		banks = append(banks, Party{ID: b.ID, Role: "bank", Country: b.Country, Home: filepath.Join(dir, "banks", b.ID)})
	}
	for _, k := range ledger.Currencies {
		issuers = append(issuers, Party{ID: IssuerID(k.Code), Role: "issuer", Country: issuerCountry[k.Code.String()], Currency: k.Code.String(),
			Home: filepath.Join(dir, "issuers", k.Code.String())})
	}
	return reg, banks, issuers
}

// WriteIdentities writes, under dir, the home of every party a testnet
// has (regulator, banks/<id>, issuers/<CUR>) with fresh identity keys and
// nothing else: what each party holds before a genesis exists, to sign
// its ceremony contributions with; Options.Identities then carries the
// keys into the testnet.
func WriteIdentities(dir string) error {
	reg, banks, issuers := placeParties(dir)
	for _, tp := range append(append([]Party{reg}, banks...), issuers...) {
		id, err := party.NewIdentity(party.Config{ID: tp.ID, Role: tp.Role, Country: tp.Country})
		if err != nil {
			return err
		}
		if err := id.Write(tp.Home); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) addMember(tp Party, cur ledger.Currency) error {
	rel, err := filepath.Rel(tp.Home, w.l.KeysDir)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	id, err := w.identity(tp, party.Config{ID: tp.ID, Role: tp.Role, Country: tp.Country, ChainID: w.opts.ChainID,
		Node: tp.Node, ZKKeys: rel})
	if err != nil {
		return err
	}
	w.members = append(w.members, member{id, tp, cur})
	return nil
}

// identity is the party's identity under cfg: fresh keys, or with
// Options.Identities the signing and memo keys of its home there, so that
// a party keeps the key it signed with before the genesis existed (its
// ceremony contributions).
func (w *writer) identity(tp Party, cfg party.Config) (*party.Identity, error) {
	if w.opts.Identities == "" {
		return party.NewIdentity(cfg)
	}
	rel, err := filepath.Rel(w.l.Dir, tp.Home)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	home := filepath.Join(w.opts.Identities, rel)
	old, err := party.LoadIdentity(home)
	if err != nil {
		return nil, fmt.Errorf("ledger: identities: %w", err)
	}
	if old.Config.ID != cfg.ID || old.Config.Role != cfg.Role {
		return nil, fmt.Errorf("ledger: identities: %s holds %s %q, not %s %q", home, old.Config.Role, old.Config.ID, cfg.Role, cfg.ID)
	}
	return &party.Identity{Config: cfg, Sign: old.Sign, MemoKey: old.MemoKey, MemoPub: old.MemoPub}, nil
}

// genesis writes the chain's genesis: the app state (parties, issuers,
// accounts, the verifying keys' hashes, the regulator's HE key) inside
// CometBFT's genesis document.
func (w *writer) genesis() error {
	g, err := w.appState()
	if err != nil {
		return err
	}
	appState, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return fmt.Errorf("ledger: genesis: %w", err)
	}
	if _, err := ledger.ParseGenesis(appState); err != nil {
		return err // a bug here, not the user's
	}
	w.l.Genesis = g
	if w.opts.Fund != "" {
		w.l.Fund = map[string]uint64{}
		for c, v := range w.fund {
			w.l.Fund[c.String()] = v
		}
	}
	params := types.DefaultConsensusParams()
	params.Block.MaxBytes = 8 << 20
	if w.opts.BlockMaxBytes > 0 {
		params.Block.MaxBytes = w.opts.BlockMaxBytes
	}
	params.Block.MaxGas = w.opts.BlockMaxGas
	doc := &types.GenesisDoc{GenesisTime: time.Now().UTC().Round(time.Millisecond), ChainID: w.opts.ChainID, InitialHeight: 1,
		ConsensusParams: params, Validators: w.genVals, AppState: appState}
	if err := doc.ValidateAndComplete(); err != nil {
		return fmt.Errorf("ledger: genesis: %w", err)
	}
	if err := doc.SaveAs(w.l.GenesisFile); err != nil {
		return fmt.Errorf("ledger: genesis: %w", err)
	}
	return nil
}

// appState is the genesis app state. Funded banks get Com(fund, r) and
// keep (fund, r); with HE, the regulator's key pair goes to its home and
// each funding enters the account's inflow aggregate as an encrypted flow.
func (w *writer) appState() (*ledger.Genesis, error) {
	g := &ledger.Genesis{VKHashes: ledger.GenesisKeys{Transfer: w.vks[zkp.Transfer].HashHex(), Mint: w.vks[zkp.Mint].HashHex(), FX: w.vks[zkp.FX].HashHex(), Batch: w.vks[zkp.Batch].HashHex(),
		Ceremony: w.l.Ceremony}}
	sealer, err := w.regulatorHEKeys(g)
	if err != nil {
		return nil, err
	}
	for _, p := range w.members {
		g.Parties = append(g.Parties, p.id.GenesisParty())
		switch p.tp.Role {
		case "issuer":
			g.Issuers = append(g.Issuers, ledger.GenesisIssuer{Currency: p.cur.String(), Party: p.tp.ID})
			g.Accounts = append(g.Accounts, ledger.GenesisAccount{Party: p.tp.ID, Currency: p.cur.String(), Available: zkp.ZeroCommitment().String()})
		case "bank":
			accts, err := w.fundBank(p.tp.ID, p.id.MemoPub, sealer)
			if err != nil {
				return nil, err
			}
			g.Accounts = append(g.Accounts, accts...)
		}
	}
	return g, w.supplyMemos(g)
}

// supplyMemos seals each currency's genesis supply opening to its issuer,
// once every bank is funded.
func (w *writer) supplyMemos(g *ledger.Genesis) error {
	for i, is := range g.Issuers {
		c, err := ledger.ParseCurrency(is.Currency)
		if err != nil {
			return err
		}
		supply := w.genesisSupply(c)
		if supply.Value == 0 {
			continue
		}
		for _, p := range w.members {
			if p.tp.ID != is.Party {
				continue
			}
			memo, err := ledger.SealOpening(p.id.MemoPub, supply, ledger.GenesisSupplyMemoAAD(w.opts.ChainID, is.Party, c))
			if err != nil {
				return err
			}
			g.Issuers[i].SupplyMemo = hex.EncodeToString(memo)
		}
	}
	return nil
}

// regulatorHEKeys makes the regulator's HE key pair unless the testnet has
// none, writes it to the regulator's home and puts the public key in g.
func (w *writer) regulatorHEKeys(g *ledger.Genesis) (*party.HESealer, error) {
	if w.opts.NoHE {
		return nil, nil
	}
	pk, err := w.heKeys()
	if err != nil {
		return nil, err
	}
	raw, err := pk.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("ledger: HE key: %w", err)
	}
	g.HEPublicKey = hex.EncodeToString(raw)
	if len(w.opts.Regulators) > 0 { // a shared key: payments carry no audit memo
		g.HEParties, g.HEThreshold = len(w.opts.Regulators), w.opts.Threshold
	}
	return party.NewHESealer(pk), nil
}

// heKeys makes the regulator's key pair (to its home), or the regulator
// parties' shares of a collective key (to theirs): no file holds the whole
// key then, and the regulator's home gets the public key only.
func (w *writer) heKeys() (*he.PublicKey, error) {
	if len(w.opts.Regulators) == 0 {
		sk, pk := he.GenerateKeys(he.DefaultParams())
		return pk, party.WriteHEKeys(w.l.Regulator.Home, sk, pk)
	}
	pk, homes, err := audit.WriteRegulators(filepath.Join(w.l.Dir, "regulators"), w.opts.Regulators, w.opts.Threshold, audit.DefaultMinFlows)
	if err != nil {
		return nil, err
	}
	w.l.Regulators = homes
	raw, err := pk.MarshalBinary()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(w.l.Regulator.Home, 0o700); err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	return pk, atomicfile.Write(filepath.Join(w.l.Regulator.Home, "he.pk"), raw, 0o644)
}

// fundBank opens a bank's account in every currency, funded as the options
// say, and keeps the openings for its wallet; each funded balance's
// opening is also sealed to the bank's memo key, so its wallet can be
// rebuilt from the ledger.
func (w *writer) fundBank(id string, memoPub [32]byte, sealer *party.HESealer) ([]ledger.GenesisAccount, error) {
	w.openings[id] = map[ledger.Currency]ledger.Opening{}
	var out []ledger.GenesisAccount
	for _, k := range ledger.Currencies {
		acct := ledger.GenesisAccount{Party: id, Currency: k.Code.String(), Available: zkp.ZeroCommitment().String()}
		if amt := w.fund[k.Code]; amt > 0 {
			r, err := zkp.RandomAmountBlinding()
			if err != nil {
				return nil, err
			}
			o := ledger.Opening{Value: amt, Blinding: r}
			w.openings[id][k.Code] = o
			acct.Available = o.Commitment().String()
			memo, err := ledger.SealOpening(memoPub, o, ledger.GenesisMemoAAD(w.opts.ChainID, id, k.Code))
			if err != nil {
				return nil, err
			}
			acct.Memo = hex.EncodeToString(memo)
			if sealer != nil {
				flow, err := sealer.SealFlow(amt, r)
				if err != nil {
					return nil, err
				}
				acct.Flow = hex.EncodeToString(flow)
			}
		}
		out = append(out, acct)
	}
	return out, nil
}

// genesisSupply opens c's genesis supply, the sum of the funded balances:
// its issuer needs it to prove its mints within the cap.
func (w *writer) genesisSupply(c ledger.Currency) ledger.Opening {
	sum := ledger.ZeroOpening()
	for _, b := range Banks { // a fixed order; ParseFund keeps the sum within the cap
		if o, ok := w.openings[b.ID][c]; ok {
			sum, _ = sum.Plus(o)
		}
	}
	return sum
}

// validatorConfigs writes each validator's config.toml and genesis:
// loopback ports, every other validator a persistent peer, fast blocks for
// local use, Pebble for CometBFT's own stores.
func (w *writer) validatorConfigs() error {
	for i, v := range w.l.Validators {
		conf := testnetConfig(w.opts, v)
		var peers []string
		for j, o := range w.l.Validators {
			if j != i {
				peers = append(peers, o.NodeID+"@"+o.P2P)
			}
		}
		conf.P2P.PersistentPeers = strings.Join(peers, ",")
		if err := copyFile(w.l.GenesisFile, conf.GenesisFile(), 0o644); err != nil {
			return err
		}
		if err := conf.ValidateBasic(); err != nil {
			return fmt.Errorf("ledger: validator %d config: %w", i, err)
		}
		cfg.WriteConfigFile(filepath.Join(v.Home, "config", "config.toml"), conf)
	}
	return nil
}

// partyHomes writes every party's identity and keys, and a wallet holding
// its genesis openings.
func (w *writer) partyHomes() error {
	for _, p := range w.members {
		if err := p.id.Write(p.tp.Home); err != nil {
			return err
		}
		if err := w.seedWallet(p); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) seedWallet(p member) error {
	wal, err := party.CreateWallet(p.id)
	if err != nil {
		return err
	}
	for _, k := range ledger.Currencies {
		if o, ok := w.openings[p.tp.ID][k.Code]; ok {
			if err := wal.SetBase(k.Code, o); err != nil {
				wal.Close()
				return err
			}
		}
	}
	if p.tp.Role == "issuer" {
		if err := wal.SetSupply(p.cur, w.genesisSupply(p.cur)); err != nil {
			wal.Close()
			return err
		}
	}
	if err := wal.Close(); err != nil {
		return fmt.Errorf("ledger: wallet: %w", err)
	}
	return nil
}

// layoutFile writes testnet.json, last: its presence marks a complete
// testnet.
func (w *writer) layoutFile() error {
	raw, _ := json.MarshalIndent(w.l, "", "  ")
	return atomicfile.Write(filepath.Join(w.l.Dir, "testnet.json"), append(raw, '\n'), 0o644)
}

// testnetConfig is CometBFT's configuration for one local validator.
func testnetConfig(opts Options, v Validator) *cfg.Config {
	conf := cfg.DefaultConfig()
	conf.SetRoot(v.Home)
	conf.Moniker = v.Name
	conf.DBBackend = "pebbledb"
	conf.RPC.ListenAddress = "tcp://" + strings.TrimPrefix(v.RPC, "http://")
	conf.RPC.MaxBodyBytes = 2 << 20
	conf.P2P.ListenAddress = "tcp://" + v.P2P
	conf.P2P.ExternalAddress = v.P2P
	conf.P2P.AddrBookStrict = false // loopback addresses are fine here
	conf.P2P.AllowDuplicateIP = true
	conf.P2P.PexReactor = false // every validator is a persistent peer of every other
	conf.P2P.FlushThrottleTimeout = 10 * time.Millisecond
	conf.P2P.HandshakeTimeout = 5 * time.Second
	conf.P2P.DialTimeout = time.Second
	conf.P2P.MaxPacketMsgPayloadSize = 1 << 16
	c := conf.Consensus
	c.TimeoutPropose = opts.TimeoutPropose
	c.TimeoutProposeDelta = opts.TimeoutPropose / 4
	c.TimeoutPrevote = opts.TimeoutVote
	c.TimeoutPrevoteDelta = opts.TimeoutVote / 3
	c.TimeoutPrecommit = opts.TimeoutVote
	c.TimeoutPrecommitDelta = opts.TimeoutVote / 3
	c.TimeoutCommit = opts.TimeoutCommit
	c.CreateEmptyBlocks = true
	c.CreateEmptyBlocksInterval = opts.EmptyBlockInterval // a transaction starts a block at once
	c.PeerGossipSleepDuration = 10 * time.Millisecond
	conf.Mempool.Recheck = true // a transaction that no longer passes leaves the mempool
	conf.Mempool.Broadcast = true
	conf.Mempool.MaxTxBytes = ledger.MaxTxSize
	conf.Mempool.MaxTxsBytes = 256 << 20
	conf.Storage.DiscardABCIResponses = false // keep /block_results
	conf.TxIndex.Indexer = "kv"               // /tx finds rejected transactions
	conf.Instrumentation.Prometheus = true    // base+10i+8: CometBFT's metrics and the app's (sable_*)
	conf.Instrumentation.PrometheusListenAddr = strings.TrimSuffix(strings.TrimPrefix(v.Metrics, "http://"), "/metrics")
	conf.RPC.PprofListenAddress = v.Pprof // empty: none
	return conf
}

// testnetKeys writes (or copies from keysFrom) the development proving and
// verifying keys into dir and returns the verifying keys.
func testnetKeys(dir, keysFrom string) (map[zkp.Circuit]*zkp.VerifyingKey, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	vks := map[zkp.Circuit]*zkp.VerifyingKey{}
	for _, c := range zkp.Circuits() {
		pkPath, vkPath := zkp.KeyPaths(dir, c)
		if keysFrom != "" {
			srcPK, srcVK := zkp.KeyPaths(keysFrom, c)
			vk, err := zkp.ReadVerifyingKey(srcVK, c)
			if err != nil {
				return nil, err
			}
			if err := copyFile(srcPK, pkPath, 0o600); err != nil {
				return nil, err
			}
			if err := copyFile(srcVK, vkPath, 0o644); err != nil {
				return nil, err
			}
			vks[c] = vk
			continue
		}
		pk, vk, err := zkp.SetupDev(c)
		if err != nil {
			return nil, err
		}
		if err := zkp.WriteProvingKey(pkPath, pk); err != nil {
			return nil, err
		}
		if err := zkp.WriteVerifyingKey(vkPath, vk); err != nil {
			return nil, err
		}
		vks[c] = vk
	}
	return vks, nil
}

// ceremonyRecord takes the ceremony record beside keys from KeysFrom,
// checked against them, into the testnet's keys dir and the layout; keys
// without one (a development setup) leave Ceremony empty.
func (w *writer) ceremonyRecord() error {
	if w.opts.KeysFrom == "" {
		return nil
	}
	rec, err := ceremony.ReadRecord(w.opts.KeysFrom)
	if errors.Is(err, ceremony.ErrNoRecord) {
		return nil
	}
	if err != nil {
		return err
	}
	w.l.Ceremony = rec.Hash
	return copyFile(filepath.Join(w.opts.KeysFrom, ceremony.RecordFile), filepath.Join(w.l.KeysDir, ceremony.RecordFile), 0o644)
}

func copyFile(src, dst string, perm os.FileMode) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	return atomicfile.Write(dst, data, perm)
}
