package verify

import (
	"strconv"
	"strings"
)

// The log statements of an nftables file loaded as written (Side.NftFile)
// are redirected to verify's groups as logsToVerify does a model's: the
// statement and its arguments are replaced in the text, the rest of the
// file is left as it was.

// nftToken is one word, quoted string or punctuation of an nftables
// file; a newline is a token too, since it ends a rule.
type nftToken struct {
	text       string
	start, end int
}

// nftTokens splits an nftables file: blanks separate words, "{", "}", ";",
// "," and newlines stand alone, a double-quoted string is one token and
// "#" starts a comment to the end of the line.
func nftTokens(src string) []nftToken {
	var out []nftToken
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '\n' || c == '{' || c == '}' || c == ';' || c == ',':
			out = append(out, nftToken{src[i : i+1], i, i + 1})
			i++
		case c == '"':
			j := strings.IndexByte(src[i+1:], '"')
			end := len(src)
			if j >= 0 {
				end = i + 1 + j + 1
			}
			out = append(out, nftToken{src[i:end], i, end})
			i = end
		default:
			j := i
			for j < len(src) && !strings.ContainsRune(" \t\r\n{};,#\"", rune(src[j])) {
				j++
			}
			out = append(out, nftToken{src[i:j], i, j})
			i = j
		}
	}
	return out
}

// nftNotStatement lists the words after which "log" is a name (of a
// chain, table, set …) or a value, not the log statement.
var nftNotStatement = map[string]bool{
	"jump": true, "goto": true, "chain": true, "table": true, "set": true, "map": true,
	"flowtable": true, "counter": true, "quota": true, "limit": true, "name": true,
	"comment": true, "prefix": true, "element": true, "define": true, "ct": true,
}

// nftLogArgs are the log statement's arguments that take one value.
var nftLogArgs = map[string]bool{"prefix": true, "level": true, "group": true, "snaplen": true, "queue-threshold": true}

// nftLogEnd returns the index of the first token after the log statement
// that starts at toks[i].
func nftLogEnd(toks []nftToken, i int) int {
	j := i + 1
	for j < len(toks) {
		w := toks[j].text
		switch {
		case nftLogArgs[w]:
			j += 2
		case w == "flags" && j+1 < len(toks):
			switch toks[j+1].text {
			case "tcp":
				j += 3 // flags tcp sequence[,options]
				for j+1 < len(toks) && toks[j].text == "," {
					j += 2
				}
			case "ip":
				j += 3 // flags ip options
			default:
				j += 2 // skuid, ether, all
			}
		default:
			return min(j, len(toks))
		}
	}
	return min(j, len(toks))
}

// nftLogsToVerify rewrites every log statement of an nftables file into
// "log group G", G verify's group (the rate-limited one when a limit
// statement comes before it in the rule). It returns the text and how
// many statements it rewrote.
func nftLogsToVerify(src string) (string, int) {
	toks := nftTokens(src)
	var b strings.Builder
	last, n := 0, 0
	ruleStart := 0
	for i := 0; i < len(toks); i++ {
		switch toks[i].text {
		case "\n", ";":
			// A rule ends here; a brace may open a set within one.
			ruleStart = i + 1
			continue
		case "log":
		default:
			continue
		}
		if i > 0 && nftNotStatement[toks[i-1].text] {
			continue
		}
		limited := false
		for _, t := range toks[ruleStart:i] {
			if t.text == "limit" {
				limited = true
			}
		}
		end := nftLogEnd(toks, i)
		b.WriteString(src[last:toks[i].start])
		b.WriteString("log group " + strconv.Itoa(int(logGroupOf(limited))))
		last = toks[end-1].end
		i = end - 1
		n++
	}
	b.WriteString(src[last:])
	return b.String(), n
}
