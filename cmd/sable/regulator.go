package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/audit"
	"github.com/sable-settlement/sable/ledger/client"
)

// A regulator party's endpoint: 'sable regulator serve --home DIR' answers
// decryption-share and approval requests under the party's policy
// (ledger/audit, regulator.go), on loopback only, with its share of the key
// epoch in force when it starts (restart it after a rotation). 'sable
// regulator rotate' moves the parties to a new key (ledger/audit, rotate.go).

func newRegulatorCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "regulator",
		Short: "Serve a regulator party's decryption shares, or rotate the parties' collective HE key",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newRegulatorServeCmd(), newRegulatorRotateCmd())
	return cmd
}

func newRegulatorServeCmd() *cobra.Command {
	var home, node, addr string
	cmd := &cobra.Command{
		Use:   "serve --home DIR --node URL [--addr 127.0.0.1:PORT]",
		Short: "Answer share and approval requests of 'sable audit --regulators', refusing per the party's policy",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if home == "" || node == "" {
				return withHint(failf("--home and --node are required"), "--home is a regulator party's home, e.g. DIR/regulators/SG of 'sable testnet --regulators'")
			}
			if err := loopback(addr); err != nil {
				return withHint(failf("--addr: %v", err), "the endpoint serves loopback only; put a TLS proxy in front of it to reach it from elsewhere")
			}
			if !audit.IsRegulatorHome(home) {
				return withHint(failf("%s is not a regulator home (no he.share)", home), "--home is a regulator party's home, e.g. DIR/regulators/SG of 'sable testnet --regulators'")
			}
			c, err := client.Dial(node)
			if err != nil {
				return failf("%v", err)
			}
			ctx, cancel := commandContext()
			defer cancel()
			ep, err := epochInForce(ctx, c)
			if err != nil {
				return failf("%v", err)
			}
			h, err := audit.LoadRegulatorHomeAt(home, ep)
			if err != nil {
				return withHint(failf("%v", err), "the chain is at key epoch "+strconv.FormatUint(uint64(ep), 10)+": a party serves its share of the key in force ('sable regulator rotate' writes each epoch's)")
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return failf("listen: %v", err)
			}
			srv := &http.Server{Handler: regulatorHandler(h, h.Regulator(c)), ReadHeaderTimeout: 10 * time.Second}
			go func() { <-ctx.Done(); _ = srv.Close() }()
			fmt.Fprintf(cmd.OutOrStdout(), "regulator %s (party %d of the %d-of-%d key of epoch %d) serving on http://%s\n",
				h.Jurisdiction, h.Share.Index(), h.Share.Threshold(), h.Share.Parties(), h.Epoch, ln.Addr())
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return failf("serve: %v", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&home, "home", "", "the regulator party's home (he.share, approval.key, regulator.json)")
	cmd.Flags().StringVar(&node, "node", "", "a validator's RPC address, e.g. http://127.0.0.1:26607: the party reads every target from the ledger")
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:0", "listen address, loopback only")
	return cmd
}

// loopback refuses a listen address that is not a loopback IP.
func loopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not a loopback address", host)
	}
	return nil
}

// regulatorInfo is what GET /info returns.
type regulatorInfo struct {
	Jurisdiction string `json:"jurisdiction"`
	Index        int    `json:"index"`
	Parties      int    `json:"parties"`
	Threshold    int    `json:"threshold"`
	Epoch        uint32 `json:"epoch"` // the key epoch of the share it serves
}

const maxRequest = 4 << 20 // a request names ledger items and carries ≤ 16 shares of 48 KB and ≤ 16 masks of 95 KB

func regulatorHandler(h *audit.RegulatorHome, r *audit.Regulator) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /info", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(regulatorInfo{h.Jurisdiction, h.Share.Index(), h.Share.Parties(), h.Share.Threshold(), h.Epoch})
	})
	mux.HandleFunc("POST /mask/commit", serveJSON(r.Commit))
	mux.HandleFunc("POST /mask/reveal", serveJSON(r.Reveal))
	mux.HandleFunc("POST /share", serveJSON(r.Share))
	mux.HandleFunc("POST /sign", func(w http.ResponseWriter, req *http.Request) {
		var ar audit.ApprovalRequest
		if !readJSON(w, req, &ar) {
			return
		}
		sig, err := r.Sign(req.Context(), ar)
		if err != nil {
			refuse(w, err)
			return
		}
		_, _ = w.Write(sig)
	})
	return mux
}

// serveJSON answers a request whose body is a Req with call's answer as
// JSON, or its refusal (refuse).
func serveJSON[Req, Resp any](call func(context.Context, Req) (Resp, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		var in Req
		if !readJSON(w, req, &in) {
			return
		}
		out, err := call(req.Context(), in)
		if err != nil {
			refuse(w, err)
			return
		}
		_ = json.NewEncoder(w).Encode(out)
	}
}

func readJSON(w http.ResponseWriter, req *http.Request, v any) bool {
	if err := json.NewDecoder(io.LimitReader(req.Body, maxRequest)).Decode(v); err != nil {
		http.Error(w, "malformed request", http.StatusBadRequest)
		return false
	}
	return true
}

// refuse answers 403 for the policy, 502 for anything else; the message
// names no amount (the audit package's errors never do).
func refuse(w http.ResponseWriter, err error) {
	code := http.StatusBadGateway
	if errors.Is(err, audit.ErrRefused) || errors.Is(err, he.ErrThreshold) {
		code = http.StatusForbidden
	}
	http.Error(w, err.Error(), code)
}

// remoteHolder is a regulator party reached at its endpoint.
type remoteHolder struct {
	url  string
	info regulatorInfo
	hc   *http.Client
}

func dialRegulator(ctx context.Context, url string) (*remoteHolder, error) {
	h := &remoteHolder{url: strings.TrimRight(url, "/"), hc: &http.Client{Timeout: 2 * time.Minute}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.url+"/info", nil)
	resp, err := h.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("regulator %s: %w", url, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&h.info); err != nil || h.info.Index < 1 {
		return nil, fmt.Errorf("regulator %s: not a regulator endpoint", url)
	}
	return h, nil
}

func (h *remoteHolder) Index() int { return h.info.Index }

func (h *remoteHolder) post(ctx context.Context, path string, v any) ([]byte, error) {
	body, _ := json.Marshal(v)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	resp, err := h.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxRequest))
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return b, nil
	case http.StatusForbidden:
		return nil, fmt.Errorf("%w (%s)", audit.ErrRefused, strings.TrimSpace(string(b)))
	}
	return nil, fmt.Errorf("regulator %s: %s", h.url, strings.TrimSpace(string(b)))
}

func (h *remoteHolder) Commit(ctx context.Context, req audit.MaskRequest) (*audit.MaskCommitment, error) {
	b, err := h.post(ctx, "/mask/commit", req)
	if err != nil {
		return nil, err
	}
	c := new(audit.MaskCommitment)
	if err := json.Unmarshal(b, c); err != nil {
		return nil, fmt.Errorf("regulator %s: malformed mask commitment", h.url)
	}
	return c, nil
}

func (h *remoteHolder) Reveal(ctx context.Context, req audit.RevealRequest) (*audit.SignedMask, error) {
	b, err := h.post(ctx, "/mask/reveal", req)
	if err != nil {
		return nil, err
	}
	m := new(audit.SignedMask)
	if err := json.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("regulator %s: malformed mask", h.url)
	}
	return m, nil
}

func (h *remoteHolder) Share(ctx context.Context, req audit.ShareRequest) (*audit.SignedShare, error) {
	b, err := h.post(ctx, "/share", req)
	if err != nil {
		return nil, err
	}
	s := new(audit.SignedShare)
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("regulator %s: malformed share", h.url)
	}
	return s, nil
}

func (h *remoteHolder) Sign(ctx context.Context, req audit.ApprovalRequest) ([]byte, error) {
	return h.post(ctx, "/sign", req)
}

// regulatorsOpener builds a threshold opener from --regulators: homes
// (each party acts in this process, with its share of the key epoch in
// force) or endpoints (http://…, which must serve that epoch's).
func regulatorsOpener(ctx context.Context, list string, src audit.Source) (audit.Opener, *he.PublicKey, error) {
	ep, err := epochInForce(ctx, src)
	if err != nil {
		return nil, nil, err
	}
	var holders []audit.Holder
	n, t := 0, 0
	var pk *he.PublicKey
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if strings.HasPrefix(item, "http://") || strings.HasPrefix(item, "https://") {
			rh, err := dialRegulator(ctx, item)
			if err != nil {
				return nil, nil, err
			}
			if rh.info.Epoch != ep {
				return nil, nil, fmt.Errorf("regulator %s serves its share of key epoch %d, and epoch %d is in force: restart it", item, rh.info.Epoch, ep)
			}
			holders, n, t = append(holders, rh), rh.info.Parties, rh.info.Threshold
			continue
		}
		h, err := audit.LoadRegulatorHomeAt(item, ep)
		if err != nil {
			return nil, nil, err
		}
		holders, n, t, pk = append(holders, h.Regulator(src)), h.Share.Parties(), h.Share.Threshold(), h.PublicKey
	}
	if len(holders) < t || t == 0 {
		return nil, nil, fmt.Errorf("%d regulator parties given, the key needs %d: %w", len(holders), t, he.ErrThreshold)
	}
	op, err := audit.NewThresholdOpener(he.DefaultParams(), n, t, holders)
	return op, pk, err
}

// epochInForce asks the ledger for its key epoch; a source that cannot
// tell, or a chain without an HE key, is at epoch 0.
func epochInForce(ctx context.Context, src any) (uint32, error) {
	es, ok := src.(interface {
		Epoch(context.Context) (ledger.EpochInfo, error)
	})
	if !ok {
		return 0, nil
	}
	ep, err := es.Epoch(ctx)
	if errors.Is(err, client.ErrNotFound) {
		return 0, nil
	}
	return ep.Epoch, err
}

func newRegulatorRotateCmd() *cobra.Command {
	var regulators, keys, node string
	var threshold int
	cmd := &cobra.Command{
		Use:   "rotate --node URL --regulators DIR,DIR,… --threshold T --keys DIR",
		Short: "Move the regulator parties to a new collective HE key: every book is key-switched to it, nothing decrypted",
		Long: `Audits with the key in force (a rotation ends the books' bisection trail, so it
is refused unless everything checks), makes the next epoch's t-of-n key for the
parties of --regulators (each home gets its share, he.share.N, next to the old
one), has t of them switch every book that holds a flow to it, and submits the
rotation signed by the regulator (--keys). Wallets then encrypt to the new key.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if regulators == "" || keys == "" || node == "" {
				return withHint(failf("--regulators, --keys and --node are required"), "--regulators lists every party's home (DIR/regulators/SG,…), --keys the regulator's home that signs (DIR/regulator)")
			}
			homes := strings.Split(regulators, ",")
			if threshold < 2 || threshold > len(homes) {
				return withHint(failf("--threshold %d for %d regulator parties", threshold, len(homes)), fmt.Sprintf("the new key needs a threshold from 2 to %d", len(homes)))
			}
			s, err := openSession(keys, node)
			if err != nil {
				return err
			}
			defer s.Close()
			ctx, cancel := commandContext()
			defer cancel()
			r, err := audit.Rotate(ctx, s.Client, homes, threshold, s.Sender)
			if err != nil {
				return ledgerError(err)
			}
			if err := waitFor(cmd, ctx, s, r.TxID); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "key epoch %d: a %d-of-%d key, each party's share written to its home (he.share.%d); %d books switched in transaction %s\n",
				r.Epoch, r.Threshold, r.Parties, r.Epoch, len(r.Books), r.TxID)
			return closeSwitched(cmd, ctx, s, homes, r)
		},
	}
	cmd.Flags().StringVar(&regulators, "regulators", "", "every regulator party's home, comma-separated: the new key is shared among them")
	cmd.Flags().IntVar(&threshold, "threshold", 0, "parties needed to decrypt under the new key")
	cmd.Flags().StringVar(&keys, "keys", "", "the regulator's home: it signs the rotation")
	cmd.Flags().StringVar(&node, "node", "", "a validator's RPC address, e.g. http://127.0.0.1:26607")
	return cmd
}

// closeSwitched closes the epoch of the switched books under the new key,
// through t of the new parties: a switched book carries the switch's
// noise, which leaves no room for the FX total and counts for half its
// capacity; re-encrypted, it is an ordinary book again. A book the
// parties will not open yet (fewer than k payments in a group) is left
// switched, with a warning.
func closeSwitched(cmd *cobra.Command, ctx context.Context, s *session, homes []string, r *audit.Rotation) error {
	if len(r.Books) == 0 {
		return nil
	}
	s.Sender.ForgetEpoch() // sign the close for the new epoch
	op, _, err := regulatorsOpener(ctx, strings.Join(homes[:r.Threshold], ","), s.Client)
	if err != nil {
		return failf("%v", err)
	}
	ids, err := audit.NewWith(s.Client, op, audit.DefaultFXRates()).Close(ctx, s.Sender, r.Books)
	if err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "sable: warning: the switched books are not closed under the new key (%v): they hold their sums, but the USD total is not computed on them until they are\n", err)
		return nil
	}
	for _, id := range ids {
		if err := waitFor(cmd, ctx, s, id); err != nil {
			return err
		}
	}
	fmt.Fprintf(cmd.OutOrStdout(), "epoch closed under the new key: %d books re-encrypted\n", len(r.Books))
	return nil
}
