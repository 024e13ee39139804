package state

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"strconv"

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
	if ed25519.Verify(sender.SignKey[:], tx.SigningBytes(ledger.EpochDomain(e.chainID, ep)), tx.Sig[:]) {
		return nil
	}
	if ep > 0 && ed25519.Verify(sender.SignKey[:], tx.SigningBytes(ledger.EpochDomain(e.chainID, ep-1)), tx.Sig[:]) {
		return ledger.Reject(ledger.CodeStaleEpoch, "the transaction was made for regulator key epoch %d, and epoch %d is in force: its flow is encrypted to a replaced key; read the key again (the /epoch query) and send it anew", ep-1, ep)
	}
	return ledger.Reject(ledger.CodeBadSignature, "signature does not verify with %s's key on chain %q, epoch %d", tx.Sender, e.chainID, ep)
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
