package bench

import "testing"

// The chaos run's section of results.md is replaced in place, appended when
// absent, and kept when `make bench` rewrites the rest of the file.
func TestResultsSections(t *testing.T) {
	const heading = "## Chaos"
	doc := []byte("# B\n\n## Ledger\n\nl\n")
	withChaos := ReplaceSection(doc, heading, []byte("## Chaos (x)\n\nrun 1\n"))
	if want := "# B\n\n## Ledger\n\nl\n\n## Chaos (x)\n\nrun 1\n"; string(withChaos) != want {
		t.Fatalf("appended:\n%q\nwant\n%q", withChaos, want)
	}
	middle := []byte("# B\n\n## Chaos (x)\n\nold\n### sub\n\n## Ledger\n\nl\n")
	if got, want := string(ReplaceSection(middle, heading, []byte("## Chaos (x)\n\nnew\n"))), "# B\n\n## Chaos (x)\n\nnew\n\n## Ledger\n\nl\n"; got != want {
		t.Errorf("replaced:\n%q\nwant\n%q", got, want)
	}
	rewritten := KeepSection([]byte("# B2\n\n## Ledger\n\nl2\n"), withChaos, heading)
	if want := "# B2\n\n## Ledger\n\nl2\n\n## Chaos (x)\n\nrun 1\n"; string(rewritten) != want {
		t.Errorf("kept:\n%q\nwant\n%q", rewritten, want)
	}
	if got := KeepSection(doc, doc, heading); string(got) != string(doc) {
		t.Errorf("no section to keep changed the document: %q", got)
	}
}
