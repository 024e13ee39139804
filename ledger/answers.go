package ledger

// Query paths. Each answers from the last committed state, in JSON.
//
//	/account   data "<party>/<CUR>"       available, pending, nonce
//	/party     data "<party>"             role, country, keys, nonce
//	/status    data "<txid hex>"          height, index, kind, sender, to, currency, applied
//	/incoming  data "<party>/<fromHeight>" payments into the party from that height on, with memos
//	/supply    data "<CUR>"               supply, and whether the turnstile holds
//	/genesis                              the genesis app state
//	/aggregates                           every HE aggregate's key and commitment sum
//	/aggregate data "<key>"               one aggregate: its book's ciphertext and its group, commitment sum, its transactions
//	/layout    data "<CUR>"               the currency's book: layout (aggregate per slot group), load, commitment sum
const (
	QueryCodeNotFound uint32 = 1
	QueryCodeBadQuery uint32 = 2
)

// AccountInfo is the /account answer.
type AccountInfo struct {
	Available string `json:"available"`
	Pending   string `json:"pending"`
	Nonce     uint64 `json:"nonce"`
}

// StatusInfo is the /status answer.
type StatusInfo struct {
	Height   int64  `json:"height"`
	Index    uint32 `json:"index"`
	Kind     string `json:"kind"`
	Sender   string `json:"sender"`
	To       string `json:"to,omitempty"`
	Currency string `json:"currency,omitempty"`
	Applied  int64  `json:"applied,omitempty"`
}

// IncomingInfo is one entry of the /incoming answer.
type IncomingInfo struct {
	TxID     string `json:"txid"`
	Kind     string `json:"kind"`
	Sender   string `json:"sender"`
	Nonce    uint64 `json:"nonce"`
	Currency string `json:"currency"`
	Amount   string `json:"amount"`
	Memo     []byte `json:"memo"`
	Height   int64  `json:"height"`
	Payment  uint32 `json:"payment,omitempty"` // a bulk transfer's payment index; TxID is then its PaymentID
}

// SupplyInfo is the /supply answer.
type SupplyInfo struct {
	Currency  string `json:"currency"`
	Supply    string `json:"supply"`   // commitment hex
	Cap       string `json:"cap"`      // SupplyCap, in the currency's major units
	Headroom  string `json:"headroom"` // commitment hex to cap − supply: what a mint's proof spends from
	Turnstile bool   `json:"turnstile"`
}

// PartyInfo is the /party answer.
type PartyInfo struct {
	ID      string `json:"id"`
	Role    uint8  `json:"role"`
	Country string `json:"country"`
	SignKey []byte `json:"sign_key"`
	MemoKey []byte `json:"memo_key"`
	Nonce   uint64 `json:"nonce"`
}

// AggregateInfo is an entry of /aggregates, or the /aggregate answer (with
// Ciphertext and Txs).
type AggregateInfo struct {
	Key        string   `json:"key"`
	Commitment string   `json:"commitment"` // Σ C_amt of the flows in it
	Ciphertext []byte   `json:"ciphertext,omitempty"`
	Txs        []string `json:"txs,omitempty"` // since the last epoch close, in order
	// Base is the aggregate as the regulator re-encrypted it at its last
	// epoch close, standing for BaseCommitment; empty if never closed.
	Base           []byte `json:"base,omitempty"`
	BaseCommitment string `json:"base_commitment,omitempty"`
	// Group is the aggregate's slot group in its currency's book, whose
	// ciphertext (and base) Ciphertext (and Base) are; Layout is that
	// book's layout and Countries the country of each party in it, which
	// say where each transaction's payments belong.
	Group     int               `json:"group"`
	Layout    []string          `json:"layout,omitempty"`
	Countries map[string]string `json:"countries,omitempty"`
	// Payments is the number of payments summed into the group (the
	// genesis funding included); BookPayments the same for each group of
	// the book, in layout order: a book's decryption reveals them all.
	Payments     uint64   `json:"payments,omitempty"`
	BookPayments []uint64 `json:"book_payments,omitempty"`
	// BookTxs are the transactions that entered the book since its last
	// epoch close, in order: a flow can put a value in any group of its
	// book, so bisection searches them all.
	BookTxs []string `json:"book_txs,omitempty"`
}

// LayoutInfo is the /layout answer: a currency's book.
type LayoutInfo struct {
	Currency   string            `json:"currency"`
	Keys       []string          `json:"keys"`       // the aggregate in each slot group
	Countries  map[string]string `json:"countries"`  // party → country, for each party in the layout
	Load       uint64            `json:"load"`       // payments summed into the book (its ciphertext's load)
	Capacity   uint64            `json:"capacity"`   // the most the book's load may reach
	Commitment string            `json:"commitment"` // Σ C_amt of every payment in the book, each once
	Payments   map[string]uint64 `json:"payments"`   // per aggregate, the payments summed into its group
}

// MaxIncoming bounds one /incoming answer; the wallet pages by height.
const MaxIncoming = 1000
