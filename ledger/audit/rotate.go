package audit

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/zkp"
)

// Key rotation: the regulator parties move to a new collective key, and
// every book that holds a flow is key-switched to it (he.Switch), never
// decrypted. ledger/rotate.go says what the chain checks.
//
// The steps, each party's own in a deployment, in this process with the
// parties' homes (as the testnet writer does):
//
//  1. audit with the key in force: a rotation, like an epoch close, ends
//     the books' bisection trail (the switched book becomes their base),
//     so it is refused unless every aggregate checks; a cheater is named
//     with the old epoch's shares first;
//  2. the next key: every party's step of the key generation
//     (he.ThresholdKeys), each home getting its share of the new epoch
//     next to the old one (he.share.N, 0600, written atomically);
//  3. t parties of the old key each make a switch share of every book
//     that holds a flow, to the new key; the shares are combined;
//  4. the regulator identity submits the rotation: the new key and the
//     switched books, in one transaction.
//
// If 4 fails (a flow entered a book meanwhile: ledger.CodeStaleRotation),
// running it again makes another key for the same epoch, overwriting the
// unused files. After the rotation, audits and the monitor load the
// homes at the epoch in force (LoadRegulatorHomeAt).

// EpochSource is a Source that also reads key epochs and books (a
// client.Client is one).
type EpochSource interface {
	Source
	Epoch(ctx context.Context) (ledger.EpochInfo, error)
	Layout(ctx context.Context, c ledger.Currency) (ledger.LayoutInfo, error)
}

// Rotator submits a rotation signed by the regulator identity; a
// party.Sender holding it is one.
type Rotator interface {
	Rotate(ctx context.Context, r *ledger.Rotation) (ledger.TxID, error)
}

// Rotation is what Rotate did.
type Rotation struct {
	Epoch     uint32
	Parties   int
	Threshold int
	Books     []string // the books switched
	TxID      ledger.TxID
}

// Rotate moves the regulator parties of homes to the next key epoch, t of
// them needed to decrypt under the new key; every home must hold the
// epoch in force, and at least its t parties are used to switch.
func Rotate(ctx context.Context, src EpochSource, homes []string, t int, r Rotator) (*Rotation, error) {
	cur, err := src.Epoch(ctx)
	if err != nil {
		return nil, err
	}
	if !cur.Shared() {
		return nil, fmt.Errorf("ledger: key epoch %d is one regulator's key, not shared among parties: rotate from a threshold key", cur.Epoch)
	}
	old := make([]*RegulatorHome, len(homes))
	for i, dir := range homes {
		if old[i], err = LoadRegulatorHomeAt(dir, cur.Epoch); err != nil {
			return nil, err
		}
	}
	if len(old) < cur.Threshold {
		return nil, fmt.Errorf("ledger: %d regulator homes, the key of epoch %d needs %d: %w", len(old), cur.Epoch, cur.Threshold, he.ErrThreshold)
	}
	if err := auditBefore(ctx, src, old, cur); err != nil {
		return nil, err
	}
	next := cur.Epoch + 1
	pk, err := WriteEpoch(old, next, t)
	if err != nil {
		return nil, err
	}
	to, err := he.NewTarget(pk, len(old))
	if err != nil {
		return nil, err
	}
	pkb, err := pk.MarshalBinary()
	if err != nil {
		return nil, err
	}
	body := &ledger.Rotation{Epoch: next, Parties: uint8(len(old)), Threshold: uint8(t), PublicKey: pkb}
	out := &Rotation{Epoch: next, Parties: len(old), Threshold: t}
	for _, k := range ledger.Currencies {
		closed, ok, err := switchBook(ctx, src, k.Code, to, old[:cur.Threshold])
		if err != nil {
			return nil, err
		}
		if ok {
			body.Books = append(body.Books, closed)
			out.Books = append(out.Books, closed.Key)
		}
	}
	if len(body.Books) > ledger.MaxClosePerTx {
		return nil, fmt.Errorf("ledger: %d books to switch, a rotation carries %d", len(body.Books), ledger.MaxClosePerTx)
	}
	if out.TxID, err = r.Rotate(ctx, body); err != nil {
		return nil, err
	}
	return out, nil
}

// auditBefore runs the audit with the key in force through t of the old
// parties and refuses to go on unless everything checks.
func auditBefore(ctx context.Context, src Source, old []*RegulatorHome, cur ledger.EpochInfo) error {
	holders := make([]Holder, len(old))
	for i, h := range old {
		holders[i] = h.Regulator(src)
	}
	op, err := old[0].Opener(holders)
	if err != nil {
		return err
	}
	rep, err := NewWith(src, op, DefaultFXRates()).Run(ctx)
	if err != nil {
		return err
	}
	if !rep.Consistent {
		return fmt.Errorf("ledger: the audit under key epoch %d is not consistent (%d flows named, %d figures failed): a rotation ends the books' bisection trail, so resolve it first with 'sable audit'", cur.Epoch, len(rep.Culprits), len(rep.Failures))
	}
	return nil
}

// WriteEpoch runs the key generation of epoch e for the parties of homes
// (n = len(homes), threshold t), every party's step in this process, and
// writes each party's share, configuration and the collective public key
// into its home next to the earlier epochs'. Each party keeps its
// jurisdiction and approval key; its index is its place in homes. No file
// holds the whole key.
func WriteEpoch(homes []*RegulatorHome, e uint32, t int) (*he.PublicKey, error) {
	if len(homes) == 0 {
		return nil, errors.New("ledger: no regulator homes")
	}
	shares, pk, err := he.ThresholdKeys(he.DefaultParams(), len(homes), t)
	if err != nil {
		return nil, err
	}
	cfg := homeConfig{Version: homeVersion, Parties: len(homes), Threshold: t, MinFlows: homes[0].MinFlows}
	for i, h := range homes {
		cfg.Roster = append(cfg.Roster, rosterEntry{Jurisdiction: h.Jurisdiction, Index: shares[i].Index(), ApprovalKey: hex.EncodeToString(h.sign.Public().(ed25519.PublicKey))})
	}
	pkb, err := pk.MarshalBinary()
	if err != nil {
		return nil, err
	}
	for i, h := range homes {
		c := cfg
		c.Jurisdiction, c.Index = h.Jurisdiction, shares[i].Index()
		if err := writeHome(h.Dir, e, c, shares[i], nil, pkb); err != nil {
			return nil, err
		}
	}
	return pk, nil
}

// switchBook switches currency c's book to the target through the
// parties (t of the old key), if it holds any flow.
func switchBook(ctx context.Context, src EpochSource, c ledger.Currency, to *he.Target, parties []*RegulatorHome) (ledger.ClosedAggregate, bool, error) {
	l, err := src.Layout(ctx, c)
	if err != nil || l.Load == 0 || len(l.Keys) == 0 {
		return ledger.ClosedAggregate{}, false, err
	}
	info, err := src.Aggregate(ctx, l.Keys[0]) // its book's ciphertext
	if err != nil {
		return ledger.ClosedAggregate{}, false, err
	}
	ct, err := decodeCT(parties[0].Share.Params(), info.Ciphertext, "book "+c.String())
	if err != nil {
		return ledger.ClosedAggregate{}, false, err
	}
	sw, err := SwitchBook(ct, to, parties)
	if err != nil {
		return ledger.ClosedAggregate{}, false, fmt.Errorf("ledger: switch the %s book: %w", c, err)
	}
	raw, err := sw.MarshalBinary()
	if err != nil {
		return ledger.ClosedAggregate{}, false, err
	}
	sum, err := zkp.ParseCommitment(l.Commitment)
	if err != nil {
		return ledger.ClosedAggregate{}, false, fmt.Errorf("ledger: the %s book's sum: %w", c, err)
	}
	return ledger.ClosedAggregate{Key: ledger.BookKey(c), Sum: sum, Ciphertext: raw}, true, nil
}

// SwitchBook has each party (t of the old key, each its own step) make its
// switch share of ct to the target, and combines them.
func SwitchBook(ct *he.Ciphertext, to *he.Target, parties []*RegulatorHome) (*he.Ciphertext, error) {
	active := make([]int, len(parties))
	for i, h := range parties {
		active[i] = h.Share.Index()
	}
	shares := make([]*he.SwitchShare, len(parties))
	for i, h := range parties {
		s, err := h.Share.ShareSwitch(ct, active, to)
		if err != nil {
			return nil, err
		}
		shares[i] = s
	}
	return he.Switch(ct, to, shares)
}

// currentKey returns the HE key of the epoch in force when src reads
// epochs (a client.Client does), else the genesis key.
func currentKey(ctx context.Context, src Source, g *ledger.Genesis) (*he.PublicKey, error) {
	if es, ok := src.(interface {
		Epoch(context.Context) (ledger.EpochInfo, error)
	}); ok {
		ep, err := es.Epoch(ctx)
		switch {
		case err == nil:
			return ep.Key()
		case !errors.Is(err, client.ErrNotFound):
			return nil, err
		}
	}
	return g.HEKey()
}
