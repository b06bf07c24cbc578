package persist

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/ruleshift/ruleshift/distros"
)

// linkOp creates or removes one symlink.
type linkOp struct {
	create bool
	link   Link
	// old is the link a create replaces, if any.
	old *Link
}

// serviceLinks returns the link changes that make the root match svc, the
// way systemctl --root does: enable links the unit into the .wants or
// .requires directory of each target of its [Install] section (drop-ins
// included) and makes its Alias= links; disable removes every .wants,
// .requires and alias link; mask points etc/systemd/system/UNIT at
// /dev/null. Links already as wanted are left out, so an empty result
// means nothing to do.
func serviceLinks(root fs.FS, svc Service, p *Plan) ([]linkOp, error) {
	etc := "/" + distros.EtcUnits
	switch svc.Action {
	case Enable:
		unitPath, in, err := unitInstall(root, svc.Unit, p)
		if err != nil {
			return nil, err
		}
		var want []Link
		for _, w := range in.WantedBy {
			want = append(want, Link{path.Join(etc, w+".wants", svc.Unit), unitPath})
		}
		for _, w := range in.RequiredBy {
			want = append(want, Link{path.Join(etc, w+".requires", svc.Unit), unitPath})
		}
		for _, a := range in.Alias {
			want = append(want, Link{path.Join(etc, a), unitPath})
		}
		if len(want) == 0 {
			return nil, fmt.Errorf("cannot enable %s: its [Install] section names no target", svc.Unit)
		}
		var ops []linkOp
		for _, l := range want {
			if op, ok := ensureLink(root, l); ok {
				ops = append(ops, op)
			}
		}
		return ops, nil
	case Disable:
		var ops []linkOp
		for _, rel := range enablementLinks(root, svc.Unit) {
			ops = append(ops, linkOp{link: Link{"/" + rel, distros.Readlink(root, rel)}})
		}
		return ops, nil
	case Mask:
		l := Link{path.Join(etc, svc.Unit), "/dev/null"}
		if fi, err := fs.Lstat(root, l.Path[1:]); err == nil && fi.Mode().IsRegular() {
			return nil, fmt.Errorf("cannot mask %s: %s is a unit file of the administrator's", svc.Unit, l.Path)
		}
		if op, ok := ensureLink(root, l); ok {
			return []linkOp{op}, nil
		}
		return nil, nil
	}
	return nil, fmt.Errorf("internal error: unknown service action %q", svc.Action)
}

// unitInstall finds a unit's file and [Install] section; ruleshift's own
// unit may exist only in the plan so far.
func unitInstall(root fs.FS, unit string, p *Plan) (string, distros.Install, error) {
	own := path.Join("/", distros.EtcUnits, unit)
	for _, f := range p.Files {
		if f.Path == own {
			return own, distros.ParseInstall(f.Data), nil
		}
	}
	up := distros.UnitPath(root, unit)
	if up == "" {
		return "", distros.Install{}, fmt.Errorf("cannot enable %s: no unit file for it under the root", unit)
	}
	in, err := distros.ReadInstall(root, unit, up)
	return up, in, err
}

// ensureLink returns the op that makes l exist, and false when it already
// does: the same target, or another path to the same file (/lib and
// /usr/lib on merged-/usr systems).
func ensureLink(root fs.FS, l Link) (linkOp, bool) {
	rel := l.Path[1:]
	cur := distros.Readlink(root, rel)
	if cur == l.Target {
		return linkOp{}, false
	}
	if cur != "" && l.Target != "/dev/null" {
		a, errA := distros.Resolve(root, rel)
		b, errB := distros.Resolve(root, l.Target[1:])
		if errA == nil && errB == nil && a == b {
			return linkOp{}, false
		}
	}
	op := linkOp{create: true, link: l}
	if cur != "" {
		op.old = &Link{l.Path, cur}
	}
	return op, true
}

// enablementLinks lists, relative to the root, the .wants and .requires
// links of unit and the alias links in etc/systemd/system that point at
// it under another name.
func enablementLinks(root fs.FS, unit string) []string {
	var out []string
	ents, _ := fs.ReadDir(root, distros.EtcUnits)
	for _, e := range ents {
		n := e.Name()
		p := path.Join(distros.EtcUnits, n)
		switch {
		case e.IsDir() && (strings.HasSuffix(n, ".wants") || strings.HasSuffix(n, ".requires")):
			if distros.Readlink(root, path.Join(p, unit)) != "" {
				out = append(out, path.Join(p, unit))
			}
		case n != unit && path.Base(distros.Readlink(root, p)) == unit:
			out = append(out, p)
		}
	}
	return out
}
