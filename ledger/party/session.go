package party

import (
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/zkp"
)

// Session is a party's home opened to act on the ledger: its identity, its
// wallet, a client to a node, and a Sender over the three. The CLI's party
// commands, the demo, the benchmark and the tests all open a party here, so
// how a Sender is built is decided in this one place.
type Session struct {
	ID     *Identity
	Wallet *Wallet
	Client *client.Client
	Sender *Sender
}

// Open opens the party whose home is home, talking to the node at nodeRPC,
// or to the home's own node (party.json) when nodeRPC is empty. The wallet
// is held open, and locked against other processes, until Close. Nothing
// is asked of the node here: before its first proof the Sender pins the
// verifying-key hashes of the chain's genesis, and refuses keys in the
// home's key directory that differ or that fail zkp.CheckKeyPair.
func Open(home, nodeRPC string) (*Session, error) {
	id, err := LoadIdentity(home)
	if err != nil {
		return nil, err
	}
	if nodeRPC == "" {
		nodeRPC = id.Config.Node
	}
	c, err := client.Dial(nodeRPC)
	if err != nil {
		return nil, err
	}
	w, err := OpenWallet(id)
	if err != nil {
		return nil, err
	}
	return &Session{ID: id, Wallet: w, Client: c, Sender: &Sender{
		W: w,
		C: c,
		P: zkp.OpenProver(id.ZKKeysDir()),
	}}, nil
}

// Close closes the session's wallet.
func (s *Session) Close() error { return s.Wallet.Close() }
