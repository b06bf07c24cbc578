package iptables

import (
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// Token is one argument of an iptables command with the position of its
// first character.
type Token struct {
	Text string
	Pos  ir.Pos
}

// Tokens turns plain strings into tokens that all carry pos; used where the
// arguments come from somewhere that has already split them (a shell).
func Tokens(args []string, pos ir.Pos) []Token {
	out := make([]Token, len(args))
	for i, a := range args {
		out[i] = Token{Text: a, Pos: pos}
	}
	return out
}

// SplitLine splits one line of iptables-restore input the way
// iptables-restore does: on blanks, with double quotes grouping and a
// backslash inside quotes taking the next character literally. Single quotes
// are ordinary characters there (iptables-save writes ' as \' inside double
// quotes). It reports an unterminated quote as ok=false with the quote's
// column.
func SplitLine(line string, pos ir.Pos) (toks []Token, badCol int, ok bool) {
	return splitLineInto(nil, line, pos)
}

// splitLineInto is SplitLine appending to dst, whose storage a caller
// splitting many lines reuses.
func splitLineInto(dst []Token, line string, pos ir.Pos) (toks []Token, badCol int, ok bool) {
	if !strings.ContainsAny(line, "\"\\") {
		return splitPlain(dst, line, pos), 0, true
	}
	toks = dst
	if toks == nil {
		toks = make([]Token, 0, strings.Count(line, " ")+1)
	}
	var b strings.Builder
	// A token is a substring of line until a quote or escape makes it
	// differ; only then are its bytes copied into b.
	inTok, inQuote, escaped, copied := false, false, false, false
	start, quoteCol := 0, 0
	begin := func(i int) {
		if !inTok {
			inTok, start, copied = true, i, false
		}
	}
	toCopy := func(i int) {
		if !copied {
			b.Reset()
			b.WriteString(line[start:i])
			copied = true
		}
	}
	flush := func(i int) {
		if !inTok {
			return
		}
		p := pos
		p.Col = pos.Col + start
		text := line[start:i]
		if copied {
			text = b.String()
		}
		toks = append(toks, Token{Text: text, Pos: p})
		inTok = false
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case escaped:
			b.WriteByte(c)
			escaped = false
		case inQuote && c == '\\':
			escaped = true
		case c == '"':
			begin(i)
			toCopy(i)
			if !inQuote {
				quoteCol = i
			}
			inQuote = !inQuote
		case !inQuote && isBlank(c):
			flush(i)
		default:
			begin(i)
			if copied {
				b.WriteByte(c)
			}
		}
	}
	if inQuote {
		return nil, pos.Col + quoteCol, false
	}
	flush(len(line))
	return toks, 0, true
}

// splitPlain splits a line without quotes or backslashes, taking tokens as
// substrings of line: most lines of a save file need no copying.
func splitPlain(toks []Token, line string, pos ir.Pos) []Token {
	if toks == nil {
		n := 0
		for i := 0; i < len(line); i++ {
			if !isBlank(line[i]) && (i == 0 || isBlank(line[i-1])) {
				n++
			}
		}
		toks = make([]Token, 0, n)
	}
	for i := 0; i < len(line); {
		for i < len(line) && isBlank(line[i]) {
			i++
		}
		start := i
		for i < len(line) && !isBlank(line[i]) {
			i++
		}
		if i > start {
			p := pos
			p.Col = pos.Col + start
			toks = append(toks, Token{Text: line[start:i], Pos: p})
		}
	}
	return toks
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
