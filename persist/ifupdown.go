package persist

import (
	"bytes"
	"fmt"
	"strings"
)

// stanzaWords start a new stanza in interfaces(5).
var stanzaWords = map[string]bool{
	"iface": true, "mapping": true, "auto": true, "source": true,
	"source-directory": true, "rename": true,
}

// preUpScript is the stanza-less form: ifupdown runs it before each
// interface comes up.
const preUpScript = `#!/bin/sh
# Installed by ruleshift persist; ruleshift unpersist removes it.
# ifupdown runs this before it brings up each interface. A restore replaces
# the tables it names as a whole, so running it once per interface is
# harmless.
[ "$MODE" = start ] || exit 0
set -e
%s`

// planIfupdown writes ruleshift's rule files and loads them from a pre-up
// line on the lo stanza, which ifup -a brings up first and only once. When
// no file has a lo stanza it installs a script in if-pre-up.d instead.
func planIfupdown(e *Env) (*Plan, error) {
	p := &Plan{}
	cmds := ownRules(p, e)
	file := e.Facts.LoStanzaFile
	if file == "" {
		p.file("/etc/network/if-pre-up.d/ruleshift", fmt.Sprintf(preUpScript, strings.Join(cmds, "\n")+"\n"), 0o755)
		p.notef("no interfaces file has a lo stanza: the rules load from /etc/network/if-pre-up.d/ruleshift before each interface comes up")
	} else {
		data, mode, _, err := readRoot(e.Root, file)
		if err != nil {
			return nil, err
		}
		out, others := addPreUp(data, cmds, OwnDir+"/")
		p.Files = append(p.Files, File{Path: file, Data: out, Mode: mode, Marker: OwnDir + "/"})
		for _, o := range others {
			p.notef("%s: the lo stanza also has %q, which loads rules of its own after ruleshift's", file, o)
		}
	}
	p.notef("ifupdown runs pre-up after network-pre.target, so netfilter-persistent, nftables.service or a ruleshift unit would load before it; interfaces that ifupdown does not manage come up without these rules")
	return p, nil
}

// addPreUp returns data with one pre-up line per command at the top of the
// lo stanza. Lines holding marker (ruleshift's from an earlier run) are
// removed first, wherever they are; every other byte is kept. others lists
// the stanza's other pre-up lines that load rules.
func addPreUp(data []byte, cmds []string, marker string) (out []byte, others []string) {
	lines := strings.SplitAfter(string(data), "\n")
	var kept []string
	for _, l := range lines {
		if l != "" && !strings.Contains(l, marker) {
			kept = append(kept, l)
		}
	}
	at, indent, indentSet := -1, "    ", false
	for i, l := range kept {
		w := strings.Fields(l)
		if len(w) >= 2 && w[0] == "iface" && w[1] == "lo" && at < 0 {
			at = i
			continue
		}
		if at < 0 || len(w) == 0 || strings.HasPrefix(w[0], "#") {
			continue
		}
		if stanzaWords[w[0]] || strings.HasPrefix(w[0], "allow-") {
			break
		}
		if !indentSet {
			// Follow the stanza's own indentation.
			indent, indentSet = l[:len(l)-len(strings.TrimLeft(l, " \t"))], true
		}
		if w[0] == "pre-up" && loadsRules(l) {
			others = append(others, strings.TrimSpace(l))
		}
	}
	if at < 0 {
		return data, nil
	}
	if !strings.HasSuffix(kept[at], "\n") {
		kept[at] += "\n"
	}
	var b bytes.Buffer
	for i, l := range kept {
		b.WriteString(l)
		if i == at {
			for _, c := range cmds {
				b.WriteString(indent + "pre-up " + c + "\n")
			}
		}
	}
	return b.Bytes(), others
}

func loadsRules(line string) bool {
	return strings.Contains(line, "tables-restore") || strings.Contains(line, "nft ")
}
