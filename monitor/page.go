package monitor

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
)

// page is the dashboard: one HTML file with its style and script inline,
// no external resources.
//
//go:embed static/index.html
var page []byte

// pageCSP allows exactly the page's own inline style and script (by hash)
// and connections back to this server.
var pageCSP = func() string {
	return fmt.Sprintf("default-src 'none'; script-src '%s'; style-src '%s'; connect-src 'self'; img-src 'self' data:; "+
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'", inlineHash("script"), inlineHash("style"))
}()

// inlineHash is the CSP hash of the page's one inline <tag> element.
func inlineHash(tag string) string {
	open, end := []byte("<"+tag+">"), []byte("</"+tag+">")
	i := bytes.Index(page, open)
	j := bytes.Index(page, end)
	if i < 0 || j < i || bytes.Count(page, open) != 1 {
		panic("monitor: the page needs exactly one inline <" + tag + ">")
	}
	sum := sha256.Sum256(page[i+len(open) : j])
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}
