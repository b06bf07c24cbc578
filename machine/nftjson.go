package machine

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/nft"
)

// nftTable is one table's objects of an nft JSON listing.
type nftTable struct {
	key     string // "inet filter"
	name    string
	rules   int
	objects []json.RawMessage
}

// splitNftJSON cuts nft's JSON listing into one listing per table, in the
// listing's order, so that each table's model tables can be told apart
// (translate/nft reads an inet table into an ip and an ip6 table).
func splitNftJSON(data []byte) ([]*nftTable, error) {
	var doc struct {
		Nftables []map[string]json.RawMessage `json:"nftables"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	var meta []json.RawMessage
	var order []*nftTable
	byKey := map[string]*nftTable{}
	for _, o := range doc.Nftables {
		for kind, body := range o {
			raw, _ := json.Marshal(map[string]json.RawMessage{kind: body})
			if kind == "metainfo" {
				meta = append(meta, raw)
				continue
			}
			var id struct{ Family, Table, Name string }
			json.Unmarshal(body, &id)
			tname := id.Table
			if kind == "table" {
				tname = id.Name
			}
			key := id.Family + " " + tname
			t := byKey[key]
			if t == nil {
				t = &nftTable{key: key, name: tname}
				byKey[key] = t
				order = append(order, t)
			}
			if kind == "rule" {
				t.rules++
			}
			t.objects = append(t.objects, raw)
		}
	}
	for _, t := range order {
		t.objects = append(append([]json.RawMessage{}, meta...), t.objects...)
	}
	return order, nil
}

func (t *nftTable) json() []byte {
	var b bytes.Buffer
	b.WriteString(`{"nftables": [`)
	for i, o := range t.objects {
		if i > 0 {
			b.WriteString(", ")
		}
		b.Write(o)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// readNftJSON reads every table of an nft JSON listing but those in skip
// (iptables-nft's own) as native tables; in says where the listing came
// from for the entries' From ("" for the kernel).
func (s *State) readNftJSON(file string, data []byte, in string, skip map[string]bool, o Options) {
	tables, err := splitNftJSON(data)
	if err != nil {
		s.Diags.Errorf(ir.Pos{File: file, Line: 1, Col: 1}, "not nft JSON output: %v", err)
		return
	}
	for _, t := range tables {
		if skip[t.key] {
			continue
		}
		from := "nft table " + t.key + in
		if fam, _, _ := strings.Cut(t.key, " "); fam != "ip" && fam != "ip6" && fam != "inet" {
			// arp, bridge and netdev tables have no place in the model;
			// they are listed, never silently dropped.
			s.Left = append(s.Left, Left{Where: "nft table " + t.key, Owner: "family " + fam + ", which ruleshift does not read", Rules: t.rules, From: file})
			continue
		}
		if owner := ForeignOwner(t.name); owner != "" && !o.IncludeForeign {
			s.Left = append(s.Left, Left{Where: "nft table " + t.key, Owner: owner, Rules: t.rules, From: file})
			continue
		}
		rs := &ir.Ruleset{}
		d := nft.ReadJSON(rs, file, t.json())
		s.Diags.Add(d)
		if d.HasErrors() {
			continue
		}
		s.add(rs, Native, from, o)
	}
}
