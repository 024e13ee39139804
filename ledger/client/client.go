package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	jsonrpcclient "github.com/cometbft/cometbft/rpc/jsonrpc/client"
	"github.com/cometbft/cometbft/types"

	"github.com/sable-settlement/sable/ledger"
)

// Client talks to a node through the standard CometBFT RPC.
type Client struct {
	rpc *rpchttp.HTTP
}

// ErrNotFound is a query for something the ledger does not have.
var ErrNotFound = errors.New("ledger: not found")

// Dial returns a client for a node's RPC address (http://host:port or
// tcp://host:port).
func Dial(addr string) (*Client, error) {
	if strings.HasPrefix(addr, "tcp://") {
		addr = "http://" + strings.TrimPrefix(addr, "tcp://")
	}
	c, err := RPC(addr, 30*time.Second)
	if err != nil {
		return nil, fmt.Errorf("ledger: node %s: %w", addr, err)
	}
	return &Client{rpc: c}, nil
}

// idleConnTimeout drops a kept-alive connection before CometBFT's RPC
// server would: the server closes a connection idle for its read timeout
// (10 s), and a request that reuses it at that moment fails midway.
const idleConnTimeout = 5 * time.Second

// RPC returns CometBFT's RPC client for a node (timeout 0: none), with
// kept-alive connections dropped before the server drops them, and a
// request whose connection breaks under it sent once more.
func RPC(addr string, timeout time.Duration) (*rpchttp.HTTP, error) {
	hc, err := jsonrpcclient.DefaultHTTPClient(addr)
	if err != nil {
		return nil, err
	}
	hc.Timeout = timeout
	if t, ok := hc.Transport.(*http.Transport); ok {
		t.IdleConnTimeout = idleConnTimeout
	}
	hc.Transport = retryDropped{hc.Transport}
	return rpchttp.NewWithClient(addr, hc)
}

// retryDropped sends a request once more when its connection broke under
// it. Every JSON-RPC call Sable makes may be repeated: queries read, and a
// broadcast sends the same bytes, one transaction that commits at most
// once (a second copy is refused as already in the node's cache).
type retryDropped struct{ base http.RoundTripper }

func (r retryDropped) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := r.base.RoundTrip(req)
	if err == nil || !droppedMidway(err) || req.GetBody == nil || req.Context().Err() != nil {
		return res, err
	}
	body, berr := req.GetBody()
	if berr != nil {
		return nil, err
	}
	again := req.Clone(req.Context())
	again.Body = body
	res, rerr := r.base.RoundTrip(again)
	if rerr != nil {
		// The first error stands: the first attempt may have reached the
		// node even if the second could not connect (see NotSent).
		return nil, err
	}
	return res, nil
}

func (c *Client) query(ctx context.Context, path, data string, out any) error {
	res, err := c.rpc.ABCIQuery(ctx, path, []byte(data))
	if err != nil {
		return unreachable("query "+path, err)
	}
	switch res.Response.Code {
	case 0:
		return json.Unmarshal(res.Response.Value, out)
	case ledger.QueryCodeNotFound:
		return fmt.Errorf("%w: %s", ErrNotFound, res.Response.Log)
	}
	return fmt.Errorf("ledger: query %s: %s", path, res.Response.Log)
}

// Account returns a party's account in a currency.
func (c *Client) Account(ctx context.Context, id string, cur ledger.Currency) (ledger.AccountInfo, error) {
	var a ledger.AccountInfo
	err := c.query(ctx, "/account", id+"/"+cur.String(), &a)
	return a, err
}

// Party returns a registered party.
func (c *Client) Party(ctx context.Context, id string) (ledger.PartyInfo, error) {
	var p ledger.PartyInfo
	err := c.query(ctx, "/party", id, &p)
	return p, err
}

// Status returns a committed transaction's status, or ErrNotFound.
func (c *Client) Status(ctx context.Context, id ledger.TxID) (ledger.StatusInfo, error) {
	var s ledger.StatusInfo
	err := c.query(ctx, "/status", id.String(), &s)
	return s, err
}

// Incoming lists payments into a party from a height on.
func (c *Client) Incoming(ctx context.Context, id string, from int64) ([]ledger.IncomingInfo, error) {
	var in []ledger.IncomingInfo
	err := c.query(ctx, "/incoming", id+"/"+strconv.FormatInt(from, 10), &in)
	return in, err
}

// EachIncoming pages through the payments into a party from height from
// on, calling fn with each; fn reports whether the payment was new to the
// caller (a page holds payments at its first height that an earlier page
// may have held too). Paging stops at a page with nothing new or a short
// page. It returns the greatest height of a new payment (from if none),
// where a later scan may start.
func (c *Client) EachIncoming(ctx context.Context, id string, from int64, fn func(ledger.IncomingInfo) (fresh bool, err error)) (int64, error) {
	for {
		page, err := c.Incoming(ctx, id, from)
		if err != nil {
			return from, err
		}
		fresh := 0
		for _, in := range page {
			isNew, err := fn(in)
			if err != nil {
				return from, err
			}
			if isNew {
				fresh++
				from = max(from, in.Height)
			}
		}
		if fresh == 0 || len(page) < ledger.MaxIncoming {
			return from, nil
		}
	}
}

// Supply returns a currency's supply and whether the turnstile holds.
func (c *Client) Supply(ctx context.Context, cur ledger.Currency) (ledger.SupplyInfo, error) {
	var s ledger.SupplyInfo
	err := c.query(ctx, "/supply", cur.String(), &s)
	return s, err
}

// Genesis returns the chain's genesis app state.
func (c *Client) Genesis(ctx context.Context) (*ledger.Genesis, error) {
	var raw json.RawMessage
	if err := c.query(ctx, "/genesis", "", &raw); err != nil {
		return nil, err
	}
	return ledger.ParseGenesis(raw)
}

// ErrUnreachable marks a node that did not answer: nothing reached it
// (connection refused), a proxy in front of it failed (HTTP 502), it timed
// out, or it refused broadcasts while catching up. It is never a
// rejection: the app has not judged the transaction.
var ErrUnreachable = errors.New("node unreachable")

// unreachable wraps a transport failure of what (a query, a broadcast).
func unreachable(what string, err error) error {
	return fmt.Errorf("ledger: %w: %s: %w", ErrUnreachable, what, err)
}

// Broadcast submits a transaction and waits for its pre-validation
// (CheckTx). A rejection comes back as *Rejection; a transaction the node
// already holds (in its mempool or committed) is accepted; a transport
// failure wraps ErrUnreachable.
func (c *Client) Broadcast(ctx context.Context, tx *ledger.Tx) (ledger.TxID, error) {
	if err := c.BroadcastRaw(ctx, tx.Encode()); err != nil {
		return ledger.TxID{}, err
	}
	return tx.ID(), nil
}

// BroadcastRaw submits a signed transaction's bytes, as Broadcast does.
// Sending the same bytes again is safe: they are the same transaction (one
// nonce, one id), which commits at most once.
func (c *Client) BroadcastRaw(ctx context.Context, raw []byte) error {
	res, err := c.rpc.BroadcastTxSync(ctx, raw)
	if err != nil {
		if strings.Contains(err.Error(), "tx already exists in cache") {
			return nil // the node has already seen these exact bytes and kept them
		}
		if rej := rejectionFromRPC(err); rej != nil {
			return rej
		}
		return unreachable("broadcast", err)
	}
	if res.Code != ledger.CodeOK {
		return &ledger.Rejection{Code: res.Code, Msg: res.Log}
	}
	return nil
}

// droppedMidway reports a connection that closed under a request (reset,
// broken pipe, early EOF, closed on a reset): the node may or may not
// have seen it.
func droppedMidway(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) // the transport closed it on seeing the reset
}

// NotSent reports whether a broadcast's transport failure proves that the
// node never took the transaction: the connection was refused (or could
// not be made), or the node refused broadcasts while catching up. Any other
// failure (a timeout, an HTTP error from a proxy, a dropped connection)
// leaves open that it reached a mempool.
func NotSent(err error) bool {
	if err == nil || !errors.Is(err, ErrUnreachable) {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED) || strings.Contains(err.Error(), "catching up")
}

// checkTxError is how CometBFT v1's broadcast_tx_sync reports a CheckTx
// rejection: as a JSON-RPC internal error whose text carries the code and log.
var checkTxError = regexp.MustCompile(`is invalid: code=(\d+), data=[^,]*, log='(.*)', codespace=`)

// rejectionFromRPC recovers the app's rejection from a broadcast error, or
// returns nil for a transport failure (after which the transaction may still
// be in a mempool). A transaction already in the node's cache is not an
// error: BroadcastRaw takes it as accepted.
func rejectionFromRPC(err error) *ledger.Rejection {
	msg := err.Error()
	if m := checkTxError.FindStringSubmatch(msg); m != nil {
		code, _ := strconv.ParseUint(m[1], 10, 32)
		return &ledger.Rejection{Code: uint32(code), Msg: m[2]}
	}
	return nil
}

// Outcome says where a transaction is in its life.
type Outcome struct {
	State  string // "committed", "rejected", "pre-validated" or "unknown"
	Status ledger.StatusInfo
	Code   uint32
	Reason string
	Height int64
}

// Track finds a transaction: committed (app state), rejected in a block
// (CometBFT's tx index), waiting in the mempool, or unknown.
func (c *Client) Track(ctx context.Context, id ledger.TxID) (Outcome, error) {
	o, err := c.Settled(ctx, id)
	if err != nil || o.State != "unknown" {
		return o, err
	}
	if c.InMempool(ctx, id) {
		return Outcome{State: "pre-validated"}, nil
	}
	return o, nil
}

// Settled finds a transaction that is committed (app state) or was
// rejected in a block (CometBFT's tx index); otherwise the state is
// "unknown". It does not look in the mempool.
func (c *Client) Settled(ctx context.Context, id ledger.TxID) (Outcome, error) {
	s, err := c.Status(ctx, id)
	if err == nil {
		return Outcome{State: "committed", Status: s, Height: s.Height}, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return Outcome{}, err
	}
	if res, err := c.rpc.Tx(ctx, id[:], false); err == nil && res.TxResult.Code != ledger.CodeOK {
		return Outcome{State: "rejected", Code: res.TxResult.Code, Reason: res.TxResult.Log, Height: res.Height}, nil
	}
	return Outcome{State: "unknown"}, nil
}

// InMempool reports whether the node's mempool holds the transaction. The
// RPC has no lookup by hash, so this fetches whole transactions (flow
// ciphertexts included): kept off polling loops.
func (c *Client) InMempool(ctx context.Context, id ledger.TxID) bool {
	limit := 1000
	un, err := c.rpc.UnconfirmedTxs(ctx, &limit)
	if err != nil {
		return false
	}
	for _, tx := range un.Txs {
		if ledger.TxID(tx.Hash()) == id {
			return true
		}
	}
	return false
}

// WaitCommitted polls until the transaction is committed or rejected.
func (c *Client) WaitCommitted(ctx context.Context, id ledger.TxID, timeout time.Duration) (Outcome, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		o, err := c.Settled(ctx, id)
		if err == nil && (o.State == "committed" || o.State == "rejected") {
			return o, nil
		}
		select {
		case <-ctx.Done():
			return o, fmt.Errorf("ledger: transaction %s not committed after %s", id, timeout)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Height returns the node's latest block height and app hash.
func (c *Client) Height(ctx context.Context) (int64, []byte, error) {
	res, err := c.rpc.ABCIInfo(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("ledger: abci_info: %w", err)
	}
	return res.Response.LastBlockHeight, res.Response.LastBlockAppHash, nil
}

// Aggregates lists the HE aggregates with their commitment sums.
func (c *Client) Aggregates(ctx context.Context) ([]ledger.AggregateInfo, error) {
	var out []ledger.AggregateInfo
	err := c.query(ctx, "/aggregates", "", &out)
	return out, err
}

// Aggregate returns one aggregate with its ciphertext and transactions.
func (c *Client) Aggregate(ctx context.Context, key string) (ledger.AggregateInfo, error) {
	var out ledger.AggregateInfo
	err := c.query(ctx, "/aggregate", key, &out)
	return out, err
}

// Layout returns a currency's book: the aggregate of each slot group, and
// the country of each party in it.
func (c *Client) Layout(ctx context.Context, cur ledger.Currency) (ledger.LayoutInfo, error) {
	var out ledger.LayoutInfo
	err := c.query(ctx, "/layout", cur.String(), &out)
	return out, err
}

// RawTx returns a committed transaction's bytes from CometBFT's tx index.
func (c *Client) RawTx(ctx context.Context, id ledger.TxID) ([]byte, error) {
	res, err := c.rpc.Tx(ctx, id[:], false)
	if err != nil {
		return nil, fmt.Errorf("ledger: tx %s: %w", id, err)
	}
	return res.Tx, nil
}

// SentTx is one transaction of a sender found in CometBFT's tx index.
type SentTx struct {
	Height int64
	Index  uint32
	Code   uint32 // the app's result: ledger.CodeOK when it applied
	Raw    []byte // the signed transaction
}

// maxSearchPage is CometBFT's largest tx_search page.
const maxSearchPage = 100

// sentPage is how many of a sender's transactions EachSentBlock asks for
// at once: each may carry a flow ciphertext of hundreds of kilobytes.
const sentPage = 20

// EachSentBlock pages through the transactions of sender (SentBy) and
// calls fn with those of each height, oldest height first. Within a
// height they come in the index's order, by hash: a caller replaying them
// sorts them by Index.
func (c *Client) EachSentBlock(ctx context.Context, sender string, fn func(block []SentTx) error) error {
	var block []SentTx // one height's transactions, not yet handed to fn
	flush := func() error {
		if len(block) == 0 {
			return nil
		}
		err := fn(block)
		block = nil
		return err
	}
	for page := 1; ; page++ {
		txs, total, err := c.SentBy(ctx, sender, page, sentPage)
		if err != nil {
			return err
		}
		for _, st := range txs {
			if len(block) > 0 && st.Height != block[0].Height {
				if err := flush(); err != nil {
					return err
				}
			}
			block = append(block, st)
		}
		if len(txs) == 0 || (page-1)*sentPage+len(txs) >= total {
			return flush()
		}
	}
}

// SentBy pages through the transactions of sender that CometBFT's kv tx
// index holds, by height; within a height the index orders them by hash,
// not by their place in the block (Index), so a caller folding them in
// ledger order sorts each height's by Index. Pages are stable: the order
// is total, and new transactions land at greater heights. The app
// tags only the transactions it applied (state.txEvents), so every one is
// committed; Code still says so, for a caller that checks. perPage is
// capped at 100; total is how many the index holds in all.
func (c *Client) SentBy(ctx context.Context, sender string, page, perPage int) (txs []SentTx, total int, err error) {
	if !ledger.ValidID(sender) {
		return nil, 0, fmt.Errorf("ledger: tx search: %q is not a party id", sender)
	}
	perPage = min(max(perPage, 1), maxSearchPage)
	q := fmt.Sprintf("sable.sender='%s'", sender)
	res, err := c.rpc.TxSearch(ctx, q, false, &page, &perPage, "asc")
	if err != nil {
		return nil, 0, unreachable("tx_search", err)
	}
	for _, r := range res.Txs {
		txs = append(txs, SentTx{Height: r.Height, Index: r.Index, Code: r.TxResult.Code, Raw: r.Tx})
	}
	return txs, res.TotalCount, nil
}

// MempoolFrom counts the transactions of sender in the node's mempool
// (fetching whole transactions, as InMempool does).
func (c *Client) MempoolFrom(ctx context.Context, sender string) (int, error) {
	limit := 1000
	un, err := c.rpc.UnconfirmedTxs(ctx, &limit)
	if err != nil {
		return 0, unreachable("unconfirmed_txs", err)
	}
	n := 0
	for _, raw := range un.Txs {
		if tx, err := ledger.DecodeTx(raw); err == nil && tx.Sender == sender {
			n++
		}
	}
	return n, nil
}

// The chain's own records, for a receipt that a third party checks against
// the validators' signatures (ledger/receipt): where a transaction sits,
// its block and results, signed headers and validator sets, and the
// CometBFT genesis.

// TxLocation is where a transaction sits in the chain.
type TxLocation struct {
	Height int64
	Index  uint32
	Code   uint32 // the app's result in that block: ledger.CodeOK when it applied
	Raw    []byte
}

// Locate finds a transaction in CometBFT's tx index, or ErrNotFound.
func (c *Client) Locate(ctx context.Context, id ledger.TxID) (TxLocation, error) {
	res, err := c.rpc.Tx(ctx, id[:], false)
	if err != nil {
		if strings.Contains(err.Error(), "not found") {
			return TxLocation{}, fmt.Errorf("%w: transaction %s is in no block", ErrNotFound, id)
		}
		return TxLocation{}, unreachable("tx", err)
	}
	return TxLocation{Height: res.Height, Index: res.Index, Code: res.TxResult.Code, Raw: res.Tx}, nil
}

// Block returns the block at height.
func (c *Client) Block(ctx context.Context, height int64) (*types.Block, error) {
	res, err := c.rpc.Block(ctx, &height)
	if err != nil {
		return nil, unreachable(fmt.Sprintf("block %d", height), err)
	}
	return res.Block, nil
}

// BlockResults returns the results of the block at height's transactions,
// in block order.
func (c *Client) BlockResults(ctx context.Context, height int64) ([]*abci.ExecTxResult, error) {
	res, err := c.rpc.BlockResults(ctx, &height)
	if err != nil {
		return nil, unreachable(fmt.Sprintf("block_results %d", height), err)
	}
	return res.TxResults, nil
}

// SignedHeader returns the header at height with the commit that signs it.
func (c *Client) SignedHeader(ctx context.Context, height int64) (*types.SignedHeader, error) {
	res, err := c.rpc.Commit(ctx, &height)
	if err != nil {
		return nil, unreachable(fmt.Sprintf("commit %d", height), err)
	}
	return &res.SignedHeader, nil
}

// Validators returns the whole validator set at height.
func (c *Client) Validators(ctx context.Context, height int64) (*types.ValidatorSet, error) {
	var vals []*types.Validator
	for page, perPage := 1, maxSearchPage; ; page++ {
		res, err := c.rpc.Validators(ctx, &height, &page, &perPage)
		if err != nil {
			return nil, unreachable(fmt.Sprintf("validators %d", height), err)
		}
		vals = append(vals, res.Validators...)
		if len(vals) >= res.Total || len(res.Validators) == 0 {
			break
		}
	}
	set, err := types.ValidatorSetFromExistingValidators(vals) // the chain's order, kept
	if err != nil {
		return nil, fmt.Errorf("ledger: validators at %d: %w", height, err)
	}
	return set, nil
}

// GenesisDoc returns the chain's CometBFT genesis document.
func (c *Client) GenesisDoc(ctx context.Context) (*types.GenesisDoc, error) {
	res, err := c.rpc.Genesis(ctx)
	if err != nil {
		return nil, unreachable("genesis", err)
	}
	return res.Genesis, nil
}

// EarliestHeight returns the lowest height whose block the node keeps.
func (c *Client) EarliestHeight(ctx context.Context) (int64, error) {
	res, err := c.rpc.Status(ctx)
	if err != nil {
		return 0, unreachable("status", err)
	}
	return res.SyncInfo.EarliestBlockHeight, nil
}
