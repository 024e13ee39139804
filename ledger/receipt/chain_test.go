package receipt

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtversion "github.com/cometbft/cometbft/api/cometbft/version/v1"
	"github.com/cometbft/cometbft/types"
	"github.com/cometbft/cometbft/version"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/client"
)

// fakeChain is a chain made in memory, its headers signed by its own
// validators' keys, so that a test controls every block: which
// transactions it holds and which of them were rejected. It serves as a
// Source.
type fakeChain struct {
	chainID string
	t0      time.Time
	pvs     map[string]types.MockPV // by address
	vals    *types.ValidatorSet
	blocks  []*types.Block // blocks[h-1]
	results [][]*abci.ExecTxResult
	commits []*types.SignedHeader
}

func newFakeChain(t *testing.T, validators int) *fakeChain {
	t.Helper()
	f := &fakeChain{chainID: "sable-fake", t0: time.Now().Add(-time.Hour).UTC(), pvs: map[string]types.MockPV{}}
	var vs []*types.Validator
	for range validators {
		pv := types.NewMockPV()
		v := pv.ExtractIntoValidator(10)
		f.pvs[string(v.Address)] = pv
		vs = append(vs, v)
	}
	f.vals = types.NewValidatorSet(vs)
	return f
}

func (f *fakeChain) genesis() *types.GenesisDoc {
	g := &types.GenesisDoc{ChainID: f.chainID, GenesisTime: f.t0, InitialHeight: 1}
	for _, v := range f.vals.Validators {
		g.Validators = append(g.Validators, types.GenesisValidator{Address: v.Address, PubKey: v.PubKey, Power: v.VotingPower})
	}
	return g
}

// add appends a block of txs with their result codes, and signs it.
func (f *fakeChain) add(t *testing.T, txs []types.Tx, codes []uint32) {
	t.Helper()
	h := int64(len(f.blocks) + 1)
	hash32 := bytes.Repeat([]byte{byte(h)}, 32)
	header := types.Header{Version: cmtversion.Consensus{Block: version.BlockProtocol}, ChainID: f.chainID, Height: h,
		Time: f.t0.Add(time.Duration(h) * time.Second), DataHash: types.Txs(txs).Hash(),
		ValidatorsHash: f.vals.Hash(), NextValidatorsHash: f.vals.Hash(), ConsensusHash: hash32, AppHash: hash32,
		ProposerAddress: f.vals.Validators[0].Address}
	if h > 1 {
		header.LastBlockID = f.commits[h-2].Commit.BlockID
		header.LastResultsHash = types.NewResults(f.results[h-2]).Hash()
	}
	res := make([]*abci.ExecTxResult, len(codes))
	for i, c := range codes {
		res[i] = &abci.ExecTxResult{Code: c, Log: "not hashed"}
	}
	bid := types.BlockID{Hash: header.Hash(), PartSetHeader: types.PartSetHeader{Total: 1, Hash: hash32}}
	commit := &types.Commit{Height: h, BlockID: bid}
	for i, v := range f.vals.Validators {
		vote := &types.Vote{Type: types.PrecommitType, Height: h, BlockID: bid, Timestamp: header.Time.Add(time.Millisecond),
			ValidatorAddress: v.Address, ValidatorIndex: int32(i)}
		pb := vote.ToProto()
		if err := f.pvs[string(v.Address)].SignVote(f.chainID, pb, false); err != nil {
			t.Fatal(err)
		}
		commit.Signatures = append(commit.Signatures, types.CommitSig{BlockIDFlag: types.BlockIDFlagCommit,
			ValidatorAddress: v.Address, Timestamp: vote.Timestamp, Signature: pb.Signature})
	}
	f.blocks = append(f.blocks, &types.Block{Header: header, Data: types.Data{Txs: txs}})
	f.results = append(f.results, res)
	f.commits = append(f.commits, &types.SignedHeader{Header: &f.blocks[h-1].Header, Commit: commit})
}

func (f *fakeChain) Locate(context.Context, ledger.TxID) (client.TxLocation, error) {
	return client.TxLocation{}, client.ErrNotFound
}
func (f *fakeChain) Block(_ context.Context, h int64) (*types.Block, error) {
	return f.blocks[h-1], nil
}
func (f *fakeChain) BlockResults(_ context.Context, h int64) ([]*abci.ExecTxResult, error) {
	return f.results[h-1], nil
}
func (f *fakeChain) SignedHeader(_ context.Context, h int64) (*types.SignedHeader, error) {
	if h > int64(len(f.commits)) {
		return nil, errors.New("no such height")
	}
	return f.commits[h-1], nil
}
func (f *fakeChain) Validators(context.Context, int64) (*types.ValidatorSet, error) {
	return f.vals, nil
}
func (f *fakeChain) EarliestHeight(context.Context) (int64, error) { return 1, nil }

// receiptAt is the receipt, short of its opening, of transaction index
// of block h.
func (f *fakeChain) receiptAt(t *testing.T, h int64, index int) *Receipt {
	t.Helper()
	tx := f.blocks[h-1].Txs[index]
	id := sha256.Sum256(tx)
	r := &Receipt{Version: Version, TxID: hex.EncodeToString(id[:]), Tx: tx, Height: h}
	if err := r.fill(context.Background(), f, index); err != nil {
		t.Fatal(err)
	}
	return r
}

// proves checks a receipt's headers and inclusion (its transactions here
// are not Sable's, so there is no opening to check).
func (f *fakeChain) proves(r *Receipt) error {
	root, err := rootOf(f.genesis())
	if err != nil {
		return err
	}
	if _, err := r.verifyHeaders(root, time.Now()); err != nil {
		return err
	}
	return r.verifyInclusion()
}

// TestReceiptAgainstForgedChains: in a block whose middle transaction was
// rejected, the receipts of the others verify; the rejected one's is
// refused; a result proof lifted from a neighbour, at its own index or
// relabelled, is refused; and so are headers signed by too few of the
// genesis validators, or by validators that are not the genesis's.
func TestReceiptAgainstForgedChains(t *testing.T) {
	f := newFakeChain(t, 4)
	f.add(t, nil, nil)
	txs := []types.Tx{[]byte("payment A"), []byte("payment B, rejected"), []byte("payment C")}
	f.add(t, txs, []uint32{ledger.CodeOK, ledger.CodeBadProof, ledger.CodeOK})
	f.add(t, []types.Tx{[]byte("later")}, []uint32{ledger.CodeOK})

	a, c := f.receiptAt(t, 2, 0), f.receiptAt(t, 2, 2)
	for _, r := range []*Receipt{a, c} {
		if err := f.proves(r); err != nil {
			t.Fatalf("an applied transaction's receipt: %v", err)
		}
	}
	refuse := func(name string, r *Receipt, why string) {
		t.Helper()
		if err := f.proves(r); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), why) {
			t.Errorf("%s: want refused (%q), got %v", name, why, err)
		}
	}
	refuse("the rejected transaction", f.receiptAt(t, 2, 1), fmt.Sprintf("rejected in block 2 with code %d", ledger.CodeBadProof))

	b := f.receiptAt(t, 2, 1)
	lift := func(from *Receipt, relabel bool) *Receipt {
		r := f.receiptAt(t, 2, 0)
		r.Result, r.ResultProof = from.Result, from.ResultProof
		if relabel {
			r.ResultProof.Index = r.TxProof.Index
		}
		return r
	}
	refuse("B's result proof", lift(b, false), "the result proof is for transaction 1 of 3")
	refuse("B's result proof relabelled", lift(b, true), "is not block 2's result")
	refuse("C's result proof", lift(c, false), "the result proof is for transaction 2 of 3")
	refuse("C's result proof relabelled", lift(c, true), "is not block 2's result")

	few := f.receiptAt(t, 2, 0)
	for i := range 2 {
		few.Commit.Commit.Signatures[i] = types.NewCommitSigAbsent()
	}
	refuse("two of four signatures", few, "does not verify from the genesis validators")

	// A whole chain forged by other validators, same chain id and
	// transactions: its receipts do not verify from the first's genesis.
	forged := newFakeChain(t, 4)
	forged.add(t, nil, nil)
	forged.add(t, txs, []uint32{ledger.CodeOK, ledger.CodeOK, ledger.CodeOK})
	forged.add(t, nil, nil)
	fb := forged.receiptAt(t, 2, 1)
	refuse("another validator set's anchor", fb, "the anchor is not the genesis's first block")
	fb.Anchor = f.commits[0] // the genuine anchor, then the forged header
	refuse("another validator set's header", fb, "does not verify from the genesis validators")
}

// TestReceiptMalformed: a receipt with parts missing or mangled is refused
// as invalid, never a panic.
func TestReceiptMalformed(t *testing.T) {
	f := newFakeChain(t, 4)
	f.add(t, nil, nil)
	f.add(t, []types.Tx{[]byte("payment")}, []uint32{ledger.CodeOK})
	f.add(t, nil, nil)
	for name, mangle := range map[string]func(r *Receipt){
		"no block header":  func(r *Receipt) { r.Block = nil },
		"no signed header": func(r *Receipt) { r.Commit = nil },
		"no commit":        func(r *Receipt) { r.Commit.Commit = nil },
		"no anchor commit": func(r *Receipt) { r.Anchor.Commit = nil },
		"no validators":    func(r *Receipt) { r.Validators = nil },
		"a nil validator": func(r *Receipt) {
			r.Validators = append([]*types.Validator{}, r.Validators...) // not the chain's own
			r.Validators[1] = nil
		},
		"a short aunt":            func(r *Receipt) { r.TxProof.Aunts = [][]byte{{1}} },
		"a negative index":        func(r *Receipt) { r.TxProof.Index, r.ResultProof.Index = -1, -1 },
		"no transaction":          func(r *Receipt) { r.Tx = nil },
		"a header at height zero": func(r *Receipt) { r.Block.Height = 0 },
	} {
		r := f.receiptAt(t, 2, 0)
		mangle(r)
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("%s: panic %v", name, p)
				}
			}()
			if _, err := Verify(r, f.genesis(), time.Now()); !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: want invalid, got %v", name, err)
			}
		}()
	}
}
