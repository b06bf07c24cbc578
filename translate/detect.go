package translate

import (
	"bytes"
	"fmt"
	"strings"
)

// Detect tells a save file from a script and says why, naming the line
// that decided when one did.
//
// A shebang or a ".sh" name make a script. Otherwise a first meaningful
// line of the save format ("*table", ":CHAIN …", "COMMIT", a rule) makes a
// save file at once, which costs nothing on large files. When the first
// line is something else, the whole input decides: it is a save file when
// it has a "*table" and a "COMMIT" line, more save lines than others, and
// nothing that feeds save lines to iptables-restore (a here-document, a
// *-restore command), so that a dump with a pasted shell prompt above it
// stays a save file (the prompt is then an error at its line), while a
// script whose here-document holds a dump stays a script.
func Detect(in Input) (Format, string) {
	if isNFT(in) {
		return NFT, "it is an nftables file"
	}
	if bytes.HasPrefix(in.Data, []byte("#!")) {
		return Script, "its first line is a shebang"
	}
	if strings.HasSuffix(in.Name, ".sh") {
		return Script, "its name ends in .sh"
	}
	var (
		firstOther        string
		firstLine         int
		saveLines, others int
		table, commit     bool
		feeds             bool
	)
	data := in.Data
	for n := 1; len(data) > 0; n++ {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte("\n"))
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if k := saveLineKind(line); k != 0 {
			if others == 0 {
				return Save, ""
			}
			saveLines++
			table = table || k == '*'
			commit = commit || k == 'C'
			continue
		}
		if others == 0 {
			firstOther, firstLine = string(line), n
		}
		others++
		feeds = feeds || bytes.Contains(line, []byte("<<")) || bytes.Contains(line, []byte("-restore"))
	}
	if others == 0 {
		return Save, ""
	}
	if table && commit && !feeds && saveLines > others {
		return Save, fmt.Sprintf("its *table and COMMIT lines make it a save file despite line %d", firstLine)
	}
	if len(firstOther) > 60 {
		firstOther = firstOther[:57] + "..."
	}
	return Script, fmt.Sprintf("line %d (%q) is a shell command", firstLine, firstOther)
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
