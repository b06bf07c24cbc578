package translate

import (
	"bytes"
	"fmt"
	"iter"
	"strings"
)

// Each format's own test of an input; Detect (frontend.go) runs them all
// and the highest claim wins:
//
// An nftables file is certain (isNFT). A shebang or a ".sh" name declare a
// script. Otherwise a first meaningful line of the save format ("*table",
// ":CHAIN …", "COMMIT", a rule) makes a save file at once, which costs
// nothing on large files. When the first line is something else, the whole
// input decides: it is a save file when it has a "*table" and a "COMMIT"
// line, more save lines than others, and nothing that feeds save lines to
// iptables-restore (a here-document, a *-restore command), so that a dump
// with a pasted shell prompt above it stays a save file (the prompt is
// then an error at its line), while a script whose here-document holds a
// dump stays a script, which any other text is too.

// detectSave is the save format's claim: Likely, or No.
func detectSave(in Input) (Confidence, string) {
	var (
		firstLine         int
		saveLines, others int
		table, commit     bool
		feeds             bool
	)
	for n, line := range meaningfulLines(in.Data) {
		if k := saveLineKind(line); k != 0 {
			if others == 0 {
				return Likely, ""
			}
			saveLines++
			table = table || k == '*'
			commit = commit || k == 'C'
			continue
		}
		if others == 0 {
			firstLine = n
		}
		others++
		feeds = feeds || bytes.Contains(line, []byte("<<")) || bytes.Contains(line, []byte("-restore"))
	}
	if others == 0 {
		return Likely, ""
	}
	if table && commit && !feeds && saveLines > others {
		return Likely, fmt.Sprintf("its *table and COMMIT lines make it a save file despite line %d", firstLine)
	}
	return No, ""
}

// DetectScript is the script frontend's claim (translate/script registers
// it with its loader): Declared by a shebang or a ".sh" name; otherwise a
// Fallback naming the first meaningful line, unless that line is a save
// line or there is none, which makes a save file.
func DetectScript(in Input) (Confidence, string) {
	if bytes.HasPrefix(in.Data, []byte("#!")) {
		return Declared, "its first line is a shebang"
	}
	if strings.HasSuffix(in.Name, ".sh") {
		return Declared, "its name ends in .sh"
	}
	for n, line := range meaningfulLines(in.Data) {
		if saveLineKind(line) != 0 {
			return No, ""
		}
		first := string(line)
		if len(first) > 60 {
			first = first[:57] + "..."
		}
		return Fallback, fmt.Sprintf("line %d (%q) is a shell command", n, first)
	}
	return No, ""
}

// meaningfulLines yields the number and the trimmed text of each line
// that is neither blank nor a comment: what every format's detection
// looks at.
func meaningfulLines(data []byte) iter.Seq2[int, []byte] {
	return func(yield func(int, []byte) bool) {
		for n := 1; len(data) > 0; n++ {
			var line []byte
			line, data, _ = bytes.Cut(data, []byte("\n"))
			line = bytes.TrimSpace(line)
			if len(line) == 0 || line[0] == '#' {
				continue
			}
			if !yield(n, line) {
				return
			}
		}
	}
}

// saveLineKind classifies a trimmed line of the save format: '*' for a
// table, ':' for a chain, 'C' for COMMIT, '-' for a rule; 0 for anything
// else. The shapes are strict enough that shell lines such as
// ": ${IPT:=iptables}" or "[ -x /sbin/iptables ] || exit 0" are not
// taken for save lines.
func saveLineKind(line []byte) byte {
	switch line[0] {
	case '*':
		if len(line) > 1 && bytes.IndexAny(line, " \t") < 0 {
			return '*'
		}
	case ':':
		if len(line) > 1 && line[1] != ' ' && line[1] != '\t' {
			return ':'
		}
	case '-':
		if len(line) > 1 && line[1] != ' ' {
			return '-'
		}
	case '[':
		end := bytes.IndexByte(line, ']')
		if end > 0 && bytes.IndexByte(line[:end], ':') > 0 && len(bytes.Trim(line[1:end], "0123456789:")) == 0 {
			return '-'
		}
	}
	if bytes.Equal(line, []byte("COMMIT")) {
		return 'C'
	}
	return 0
}
