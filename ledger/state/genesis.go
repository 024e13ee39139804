package state

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// genesisFlowBook returns the HE flow book for the genesis key, or nil
// without one; capacity as for newFlowBook.
func genesisFlowBook(g *ledger.Genesis, capacity uint64) (*flowBook, error) {
	pk, err := g.HEKey()
	if err != nil || pk == nil {
		return nil, err
	}
	return newFlowBook(pk, capacity), nil
}

// partyOf turns a genesis entry (checked by ledger.ParseGenesis) into a
// party record.
func partyOf(p ledger.GenesisParty) (*Party, error) {
	role, ok := ledger.ParseRole(p.Role)
	if !ok {
		return nil, errors.New("role must be bank, issuer or regulator")
	}
	if !ledger.ValidID(p.ID) {
		return nil, errors.New("id must be lower-case letters, digits and dashes, at most 32")
	}
	out := &Party{ID: p.ID, Role: role}
	copy(out.Country[:], p.Country)
	for _, k := range []struct {
		name, hex string
		dst       *[32]byte
	}{{"sign_key", p.SignKey, &out.SignKey}, {"memo_key", p.MemoKey, &out.MemoKey}} {
		b, err := hex.DecodeString(k.hex)
		if err != nil || len(b) != 32 {
			return nil, fmt.Errorf("%s is not 32 bytes of hex", k.name)
		}
		copy(k.dst[:], b)
	}
	return out, nil
}

// writeGenesis puts the genesis state into o. Supplies start as the sum of
// the opening balances, so the turnstile holds from the first block. book
// is the chain's flow book (nil without an HE key): each currency's layout
// admits the genesis accounts in their order, and its book starts as the
// sum of the opening balances' flows (in currency/<CUR>/funded's group).
func writeGenesis(g *ledger.Genesis, o *overlay, raw []byte, book *flowBook) error {
	v := view{o}
	o.set(keyGenesis, raw)
	parties := map[string]*Party{}
	for _, gp := range g.Parties {
		p, _ := partyOf(gp) // checked by ParseGenesis
		v.putParty(p)
		parties[p.ID] = p
	}
	for _, is := range g.Issuers {
		c, _ := ledger.ParseCurrency(is.Currency)
		o.set(issuerKey(c), []byte(is.Party))
	}
	supply := map[ledger.Currency]zkp.Commitment{}
	funded := map[ledger.Currency]*he.Ciphertext{}
	count := map[ledger.Currency]uint64{}
	for _, a := range g.Accounts {
		c, _ := ledger.ParseCurrency(a.Currency)
		avail, _ := zkp.ParseCommitment(a.Available)
		v.putAccount(c, a.Party, &Account{Available: avail, Pending: zkp.ZeroCommitment()})
		if book != nil {
			if rej := book.admit(v, c, parties[a.Party]); rej != nil {
				return fmt.Errorf("ledger: genesis: %s", rej.Msg)
			}
		}
		if a.Flow != "" {
			flow, _ := hex.DecodeString(a.Flow) // checked by ParseGenesis
			ct, _ := book.decode(flow, 1)
			if funded[c] == nil {
				funded[c] = he.Zero(book.params)
			}
			if err := book.ev.Add(funded[c], ct); err != nil || funded[c].Load() > book.capacity {
				return fmt.Errorf("ledger: genesis funds more %s accounts than a book holds (%d)", c, book.capacity)
			}
			count[c]++
		}
		if s, ok := supply[c]; ok {
			supply[c] = s.Add(avail)
		} else {
			supply[c] = avail
		}
	}
	for _, k := range ledger.Currencies { // fixed order, not the map's
		if s, ok := supply[k.Code]; ok {
			v.putSupply(k.Code, s)
		}
		if ct := funded[k.Code]; ct != nil {
			key := ledger.AggCurrency(k.Code, "funded")
			raw, err := ct.MarshalBinary()
			if err != nil {
				return err
			}
			o.set(bookKey(k.Code), raw)
			b := supply[k.Code].Bytes()
			o.set(aggSumKey(key), b[:])
			o.set(bookSumKey(k.Code), b[:])
			o.set(aggLoadKey(key), binary.BigEndian.AppendUint64(nil, count[k.Code]))
			o.set(bookLoadKey(k.Code), binary.BigEndian.AppendUint64(nil, ct.Load()))
		}
	}
	return nil
}
