package state

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/internal/codec"
)

// Regulator key epochs (ledger/rotate.go). State:
//
//	e/current   the epoch in force, 8 bytes big-endian; absent: epoch 0,
//	            the genesis key
//	e/<epoch>   epoch e's record (e ≥ 1), 8 bytes big-endian in the key:
//	            height, parties, threshold, public key
//
// A rotation is applied whole or not at all: the checks below, then the
// books replaced through epochClose (which resets their bisection trail,
// the switched book becoming their base), then the epoch, all in the
// transaction's overlay.
//

var keyEpoch = []byte("e/current")

func epochKey(e uint32) []byte { return binary.BigEndian.AppendUint64([]byte("e/"), uint64(e)) }

// epoch returns the epoch in force.
func (v view) epoch() (uint32, error) {
	raw, err := v.o.get(keyEpoch)
	if err != nil || raw == nil {
		return 0, err
	}
	if len(raw) != 8 {
		return 0, stateErr("epoch", fmt.Errorf("%d bytes", len(raw)))
	}
	return uint32(binary.BigEndian.Uint64(raw)), nil
}

// epochInfo returns epoch e's record, nil if there is none; epoch 0 is
// the genesis key, read from the genesis once.
func (e *executor) epochInfo(v view, ep uint32) (*ledger.EpochInfo, error) {
	if ep == 0 {
		if e.epoch0 == nil {
			info, err := genesisEpoch(v)
			if err != nil || info == nil {
				return nil, err
			}
			e.epoch0 = info
		}
		return e.epoch0, nil
	}
	raw, err := v.o.get(epochKey(ep))
	if err != nil || raw == nil {
		return nil, err
	}
	r := codec.NewReader(raw)
	info := &ledger.EpochInfo{Epoch: ep, Height: int64(r.U64()), Parties: int(r.U8()), Threshold: int(r.U8())}
	info.PublicKey = r.Blob(ledger.MaxHEPublicKeySize)
	if err := r.Done(); err != nil {
		return nil, stateErr("epoch", err)
	}
	return info, nil
}

// genesisEpoch reads epoch 0 from the genesis: its HE key (none: an
// empty key) and how it is shared.
func genesisEpoch(v view) (*ledger.EpochInfo, error) {
	raw, err := v.o.get(keyGenesis)
	if err != nil || raw == nil {
		return nil, err
	}
	g, err := ledger.ParseGenesis(raw)
	if err != nil {
		return nil, stateErr("genesis", err)
	}
	info := &ledger.EpochInfo{Parties: g.HEParties, Threshold: g.HEThreshold}
	pk, err := g.HEKey()
	if err != nil {
		return nil, stateErr("genesis", err)
	}
	if pk != nil {
		if info.PublicKey, err = pk.MarshalBinary(); err != nil {
			return nil, stateErr("genesis", err)
		}
	}
	return info, nil
}

// verifyEpochSig checks the signature for the epoch in force and tells
// a transaction signed for the previous epoch (made before a rotation)
// from a bad signature.
func (e *executor) verifyEpochSig(v view, sender *Party, tx *ledger.Tx) *ledger.Rejection {
	ep, err := v.epoch()
	if err != nil {
		return internal(err)
	}
	if e.verifier.signed(tx, sender.SignKey, ledger.EpochDomain(e.chainID, ep)) {
		return nil
	}
	if ep > 0 && e.verifier.signed(tx, sender.SignKey, ledger.EpochDomain(e.chainID, ep-1)) {
		return ledger.Reject(ledger.CodeStaleEpoch, "the transaction was made for regulator key epoch %d, and epoch %d is in force: its flow is encrypted to a replaced key; read the key again (the /epoch query) and send it anew", ep-1, ep)
	}
	return ledger.Reject(ledger.CodeBadSignature, "signature does not verify with %s's key on chain %q, epoch %d", tx.Sender, e.chainID, ep)
}

// checkAuditMemo refuses an audit memo while the epoch's key is shared:
// the memo would let whoever holds the regulator identity's memo key read
// that payment alone, which the threshold key exists to prevent.
func (e *executor) checkAuditMemo(v view, tx *ledger.Tx) *ledger.Rejection {
	if !ledger.HasAuditMemo(tx.Body) {
		return nil
	}
	ep, err := v.epoch()
	if err != nil {
		return internal(err)
	}
	info, err := e.epochInfo(v, ep)
	if err != nil {
		return internal(err)
	}
	if info != nil && info.Shared() {
		return ledger.Reject(ledger.CodeAuditMemo, "the regulators' key is shared %d-of-%d, so no single party may hold a payment's opening: send the payment without an audit memo", info.Threshold, info.Parties)
	}
	return nil
}

// rotate starts the next key epoch: the new key, and every book that holds
// a flow key-switched to it.
func (e *executor) rotate(v view, sender *Party, b *ledger.Rotation, st *TxStatus) *ledger.Rejection {
	if sender.Role != ledger.RoleRegulator {
		return ledger.Reject(ledger.CodeUnauthorized, "only the regulator rotates the regulators' key")
	}
	if e.flows == nil {
		return ledger.Reject(ledger.CodeRotation, "this chain has no regulator HE key to rotate")
	}
	cur, err := v.epoch()
	if err != nil {
		return internal(err)
	}
	if b.Epoch != cur+1 {
		return ledger.Reject(ledger.CodeRotation, "rotation to epoch %d, but epoch %d is in force: the next is %d", b.Epoch, cur, cur+1)
	}
	var pk he.PublicKey
	if err := pk.UnmarshalBinary(b.PublicKey); err != nil {
		return ledger.Reject(ledger.CodeRotation, "rotation's public key: %v", err)
	}
	if pk.Params().Set() != e.flows.params.Set() {
		return ledger.Reject(ledger.CodeRotation, "rotation's public key is for %v, the chain's flows for %v", pk.Params(), e.flows.params)
	}
	named := map[ledger.Currency]bool{}
	for _, a := range b.Books {
		c, _ := ledger.ParseBookKey(a.Key) // checked by decode
		named[c] = true
	}
	for _, k := range ledger.Currencies {
		c := k.Code
		load, err := e.flows.loadOf(v, c)
		if err != nil {
			return internal(err)
		}
		switch {
		case load > 0 && !named[c]:
			return ledger.Reject(ledger.CodeRotationBooks, "the %s book holds flows and the rotation does not switch it: switch every book that holds a flow", c)
		case load == 0 && named[c]:
			return ledger.Reject(ledger.CodeRotationBooks, "the %s book holds no flow: a rotation switches only books that do", c)
		}
	}
	for _, a := range b.Books {
		c, _ := ledger.ParseBookKey(a.Key)
		sum, err := v.commitmentAt(bookSumKey(c))
		if err != nil {
			return internal(err)
		}
		if !sum.Equal(a.Sum) {
			return ledger.Reject(ledger.CodeStaleRotation, "rotation: the %s book has changed since the regulators switched it; switch it again and resend", c)
		}
	}
	if len(b.Books) > 0 {
		if rej := e.epochClose(v, sender, &ledger.EpochClose{Aggregates: b.Books}, st); rej != nil {
			return rej
		}
	}
	w := &codec.Writer{}
	w.U64(uint64(st.Height))
	w.U8(b.Parties)
	w.U8(b.Threshold)
	w.Blob(b.PublicKey)
	v.o.set(epochKey(b.Epoch), w.B)
	v.o.set(keyEpoch, binary.BigEndian.AppendUint64(nil, uint64(b.Epoch)))
	return nil
}

// queryEpoch answers /epoch: data "" for the epoch in force, or a number.
func (e *executor) queryEpoch(v view, data string) (any, uint32, string) {
	ep, err := v.epoch()
	if err != nil {
		return nil, ledger.QueryCodeNotFound, err.Error()
	}
	if data != "" {
		n, err := strconv.ParseUint(data, 10, 32)
		if err != nil || uint32(n) > ep {
			return nil, ledger.QueryCodeBadQuery, fmt.Sprintf("epoch %q is not a number up to the epoch in force, %d", data, ep)
		}
		ep = uint32(n)
	}
	info, err := e.epochInfo(v, ep)
	if err != nil {
		return nil, ledger.QueryCodeNotFound, err.Error()
	}
	if info == nil || len(info.PublicKey) == 0 {
		return nil, ledger.QueryCodeNotFound, fmt.Sprintf("no regulator key epoch %d", ep)
	}
	return info, 0, ""
}
