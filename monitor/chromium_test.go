package monitor_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// A minimal Chrome DevTools Protocol client: headless Chromium started
// with --remote-debugging-port=0, one websocket to the browser, pages
// attached as flat sessions.

// chromiumPath finds Chromium, or skips the test (fails it when
// SABLE_REQUIRE_BROWSER=1, as in 'make test').
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("SABLE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("SABLE_REQUIRE_BROWSER") == "1" {
		t.Fatal("chromium not found and SABLE_REQUIRE_BROWSER=1: run .ci/install-chromium.sh")
	}
	t.Skip("chromium not found (install it with .ci/install-chromium.sh)")
	return ""
}

type browser struct {
	t      *testing.T
	cmd    *exec.Cmd
	exited chan struct{}
	stderr *syncBuffer
	ws     *websocket.Conn

	wmu     sync.Mutex // websocket writes
	mu      sync.Mutex
	next    int64
	pending map[int64]chan cdpReply
	readErr error
}

type cdpReply struct {
	ID     int64           `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startBrowser runs headless Chromium with a throwaway profile and
// connects to its DevTools endpoint. Cleanup closes it and waits for it.
func startBrowser(t *testing.T, path string) *browser {
	t.Helper()
	profile := t.TempDir()
	args := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--no-default-browser-check",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--disable-default-apps", "--disable-dev-shm-usage", "--no-proxy-server", "--hide-scrollbars", "--mute-audio",
		"--user-data-dir=" + profile, "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1", "about:blank",
	}
	b := &browser{t: t, stderr: &syncBuffer{}, pending: map[int64]chan cdpReply{}, exited: make(chan struct{})}
	b.cmd = exec.Command(path, args...)
	b.cmd.Stdout, b.cmd.Stderr = b.stderr, b.stderr
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its helpers go with it
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	go func() { b.cmd.Wait(); close(b.exited) }()
	t.Cleanup(b.close)

	// Chromium writes its port and browser endpoint path to the profile.
	var endpoint string
	deadline := time.Now().Add(30 * time.Second)
	for endpoint == "" {
		raw, err := os.ReadFile(filepath.Join(profile, "DevToolsActivePort"))
		if lines := strings.Split(strings.TrimSpace(string(raw)), "\n"); err == nil && len(lines) == 2 {
			endpoint = "ws://127.0.0.1:" + lines[0] + lines[1]
			break
		}
		select {
		case <-b.exited:
			t.Fatalf("chromium exited at start: %s", b.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("chromium wrote no DevTools endpoint in 30s: %s", b.stderr.String())
		}
	}
	ws, _, err := websocket.DefaultDialer.Dial(endpoint, nil)
	if err != nil {
		t.Fatalf("devtools websocket %s: %v", endpoint, err)
	}
	ws.SetReadLimit(64 << 20) // screenshots
	b.ws = ws
	go b.read()
	return b
}

func (b *browser) read() {
	for {
		var r cdpReply
		if err := b.ws.ReadJSON(&r); err != nil {
			b.mu.Lock()
			b.readErr = err
			for id, ch := range b.pending {
				close(ch)
				delete(b.pending, id)
			}
			b.mu.Unlock()
			return
		}
		if r.ID == 0 {
			continue // an event
		}
		b.mu.Lock()
		ch := b.pending[r.ID]
		delete(b.pending, r.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- r
		}
	}
}

// call sends one command (to a page session, or the browser if session is
// "") and decodes its result into out.
func (b *browser) call(session, method string, params any, out any) error {
	b.mu.Lock()
	if b.readErr != nil {
		b.mu.Unlock()
		return fmt.Errorf("devtools: %s: connection closed: %v", method, b.readErr)
	}
	b.next++
	id := b.next
	ch := make(chan cdpReply, 1)
	b.pending[id] = ch
	b.mu.Unlock()
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	b.wmu.Lock()
	err := b.ws.WriteJSON(msg)
	b.wmu.Unlock()
	if err != nil {
		return fmt.Errorf("devtools: %s: %w", method, err)
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return fmt.Errorf("devtools: %s: connection closed", method)
		}
		if r.Error != nil {
			return fmt.Errorf("devtools: %s: %s (%d)", method, r.Error.Message, r.Error.Code)
		}
		if out != nil {
			return json.Unmarshal(r.Result, out)
		}
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("devtools: %s: no answer in 30s", method)
	}
}

func (b *browser) close() {
	if b.ws != nil {
		_ = b.call("", "Browser.close", nil, nil)
		b.ws.Close()
	}
	select {
	case <-b.exited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL) // the process group started above
		<-b.exited
	}
}

// page is one tab.
type page struct {
	b       *browser
	session string
}

// open creates a tab of the given size and loads url in it.
func (b *browser) open(url string, width, height int) *page {
	b.t.Helper()
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := b.call("", "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		b.t.Fatal(err)
	}
	var att struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call("", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &att); err != nil {
		b.t.Fatal(err)
	}
	p := &page{b: b, session: att.SessionID}
	p.resize(width, height)
	if err := b.call(p.session, "Page.navigate", map[string]any{"url": url}, nil); err != nil {
		b.t.Fatal(err)
	}
	return p
}

func (p *page) resize(width, height int) {
	p.b.t.Helper()
	err := p.b.call(p.session, "Emulation.setDeviceMetricsOverride",
		map[string]any{"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}, nil)
	if err != nil {
		p.b.t.Fatal(err)
	}
}

// eval evaluates a JavaScript expression in the page and decodes its
// (JSON-serialisable) value into out.
func (p *page) eval(expr string, out any) error {
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := p.b.call(p.session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &res); err != nil {
		return err
	}
	if e := res.ExceptionDetails; e != nil {
		return fmt.Errorf("page: %s %s", e.Text, e.Exception.Description)
	}
	return json.Unmarshal(res.Result.Value, out)
}

// screenshot captures the whole page as a PNG at the given width.
func (p *page) screenshot(width int) []byte {
	p.b.t.Helper()
	var h int
	if err := p.eval("Math.ceil(document.documentElement.scrollHeight)", &h); err != nil {
		p.b.t.Fatal(err)
	}
	p.resize(width, h)
	time.Sleep(200 * time.Millisecond) // let the chart re-lay itself out
	var shot struct {
		Data string `json:"data"`
	}
	if err := p.b.call(p.session, "Page.captureScreenshot", map[string]any{"format": "png"}, &shot); err != nil {
		p.b.t.Fatal(err)
	}
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		p.b.t.Fatal(err)
	}
	return png
}

// waitFor evaluates expr until cond accepts its value or the context ends.
func waitFor[T any](ctx context.Context, p *page, expr string, cond func(T) bool) (T, error) {
	var v T
	var err error
	for {
		var got T
		if err = p.eval(expr, &got); err == nil {
			v = got
			if cond(got) {
				return got, nil
			}
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = ctx.Err()
			}
			return v, err
		case <-time.After(100 * time.Millisecond):
		}
	}
}
