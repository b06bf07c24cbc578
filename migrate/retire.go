package migrate

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ruleshift/ruleshift/internal/ufwenv"
	"github.com/ruleshift/ruleshift/machine"
	"github.com/ruleshift/ruleshift/persist"
)

// Marker starts an ifupdown line that migrate commented out; unpersist
// puts the file back from its backup.
const Marker = "# disabled by ruleshift migrate: "

// Retire turns off the ways the old iptables rules load at boot under
// root (loaders from machine.BootLoaders): services disabled, their
// rules files moved aside unless keepOld, ifupdown pre-up lines
// commented out, if-pre-up.d scripts made not executable (run-parts
// skips them), ufw disabled. nftables.service and ruleshift's own unit
// are not old paths (persist takes care of its own files), nor is a
// loader that is off already.
func Retire(root string, loaders []machine.Loader, keepOld bool) (*persist.Retirement, error) {
	r := &persist.Retirement{Why: map[string]string{}}
	units := map[string]bool{}
	edits := map[string]*edit{}
	var order []string
	editOf := func(p string) (*edit, error) {
		if e := edits[p]; e != nil {
			return e, nil
		}
		abs := filepath.Join(root, p)
		st, err := os.Stat(abs)
		if err != nil {
			return nil, err
		}
		data, err := os.ReadFile(abs)
		if err != nil {
			return nil, err
		}
		e := &edit{data: string(data), mode: st.Mode().Perm()}
		edits[p] = e
		order = append(order, p)
		return e, nil
	}
	moved := map[string]bool{}
	moveAside := func(file, why string) {
		if keepOld || moved[file] {
			return
		}
		moved[file] = true
		r.Files = append(r.Files, persist.File{Path: file, Remove: true})
		r.Why[file] = fmt.Sprintf("%s moved aside: %s (--keep-old keeps it)", file, why)
	}
	for _, l := range loaders {
		switch {
		case !l.On || l.Tool == "nft" || l.Unit == persist.UnitName:
			continue
		case l.Tool == "ufw":
			e, err := editOf("/etc/ufw/ufw.conf")
			if err != nil && !os.IsNotExist(err) {
				return nil, err
			}
			if e != nil {
				e.data = ufwenv.SetKey(e.data, "ENABLED", "no")
			}
			if !units["ufw.service"] {
				units["ufw.service"] = true
				r.Services = append(r.Services, persist.Service{Unit: "ufw.service", Action: persist.Disable})
			}
			r.Why["ufw.service"] = "ufw is disabled (ENABLED=no, ufw.service disabled); its files in /etc/ufw stay as they are"
		case l.Unit != "":
			if !units[l.Unit] {
				units[l.Unit] = true
				r.Services = append(r.Services, persist.Service{Unit: l.Unit, Action: persist.Disable})
				r.Why[l.Unit] = fmt.Sprintf("%s loaded the old rules: disabled", l.Unit)
			}
			moveAside(l.File, l.Unit+" loaded it")
		case strings.HasPrefix(l.In, "/etc/network/if-pre-up.d/"):
			e, err := editOf(l.In)
			if err != nil {
				return nil, err
			}
			e.mode &^= 0o111
			r.Why[l.In] = fmt.Sprintf("%s restored the old rules: no longer executable, so ifupdown skips it", l.In)
			moveAside(l.File, l.In+" loaded it")
		case l.In != "":
			e, err := editOf(l.In)
			if err != nil {
				return nil, err
			}
			e.data = commentOut(e.data, l.Line)
			r.Why[l.In] = joinWhy(r.Why[l.In], fmt.Sprintf("%s: %q commented out", l.In, l.Line))
			moveAside(l.File, l.How+" loaded it")
		}
	}
	for _, p := range order {
		e := edits[p]
		// No persist.File.Marker: unpersist puts the whole file back from
		// its backup, the commented line as it was.
		r.Files = append(r.Files, persist.File{Path: p, Data: []byte(e.data), Mode: e.mode})
	}
	return r, nil
}

type edit struct {
	data string
	mode fs.FileMode
}

// commentOut comments out each line of data that is line after blanks,
// keeping its indentation.
func commentOut(data, line string) string {
	lines := strings.SplitAfter(data, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != line {
			continue
		}
		indent := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
		lines[i] = indent + Marker + strings.TrimLeft(l, " \t")
	}
	return strings.Join(lines, "")
}

func joinWhy(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
