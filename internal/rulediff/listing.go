package rulediff

import (
	"regexp"
	"strings"
)

// AddSave adds the policy and rule lines of save-format text (the output
// of iptables-save, or restore input, which has the same form) under
// "family table chain". Counters on policy lines are left out: they differ
// between a live table and a file.
func (c Chains) AddSave(family, text string) {
	table := ""
	for _, l := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(l, "*"):
			table = l[1:]
		case strings.HasPrefix(l, ":"):
			f := strings.Fields(l[1:])
			if len(f) >= 2 {
				k := family + " " + table + " " + f[0]
				c[k] = append(c[k], "policy "+f[1])
			}
		case strings.HasPrefix(l, "-A "):
			f := strings.Fields(l)
			k := family + " " + table + " " + f[1]
			c[k] = append(c[k], l)
		}
	}
}

var nftCounter = regexp.MustCompile(`counter packets \d+ bytes \d+`)

// AddNft adds the lines of `nft list table` output under "table chain",
// table being "family name". The chain's type line (hook, priority,
// policy) and comment count as lines; counter values are dropped, since
// the live side has traffic and the new side none.
func (c Chains) AddNft(table, listing string) {
	chain := ""
	for _, l := range strings.Split(listing, "\n") {
		s := strings.TrimSpace(l)
		k := table + " " + chain
		switch {
		case strings.HasPrefix(s, "chain ") && strings.HasSuffix(s, "{"):
			chain = strings.TrimSuffix(strings.TrimPrefix(s, "chain "), " {")
			// Chains then lists every chain, an empty one too.
			k = table + " " + chain
			c[k] = append(c[k], []string{}...)
		case chain == "" || s == "}" || s == "":
		case strings.HasPrefix(s, "type ") || strings.HasPrefix(s, "comment "):
			c[k] = append(c[k], s)
		default:
			c[k] = append(c[k], nftCounter.ReplaceAllString(s, "counter"))
		}
	}
}
