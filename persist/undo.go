package persist

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
)

// stale is what a manifest lists and should no longer be there: on
// unpersist everything, on a persist what the new plan dropped.
type stale struct {
	files    []ManFile
	links    []Link    // links ruleshift made, to remove
	removed  []Link    // links ruleshift removed, to put back
	services []Service // live service changes, to reverse
}

func (st stale) empty() bool {
	return len(st.files)+len(st.links)+len(st.removed)+len(st.services) == 0
}

// linkUnit names the unit a link is about.
func linkUnit(l Link) string {
	if l.Target == "/dev/null" {
		return path.Base(l.Path)
	}
	return path.Base(l.Target)
}

// staleEntries compares an earlier manifest with a new plan.
func (s *System) staleEntries(old *Manifest, p *Plan) stale {
	var st stale
	if old == nil {
		return st
	}
	planned := map[string]bool{}
	for _, f := range p.Files {
		planned[f.Path] = true
	}
	for _, f := range old.Files {
		if !planned[f.Path] && !f.Retired {
			st.files = append(st.files, f)
		}
	}
	retired := func(unit string) bool { return slices.Contains(old.Retired, unit) }
	wants := func(unit string, a Action) bool {
		for _, svc := range p.Services {
			if svc.Unit == unit && svc.Action == a {
				return true
			}
		}
		return false
	}
	for _, l := range old.Links {
		a := Enable
		if l.Target == "/dev/null" {
			a = Mask
		}
		if !wants(linkUnit(l), a) {
			st.links = append(st.links, l)
		}
	}
	for _, l := range old.Removed {
		if retired(linkUnit(l)) {
			continue
		}
		if !wants(linkUnit(l), Disable) && !wants(linkUnit(l), Enable) && !wants(linkUnit(l), Mask) {
			st.removed = append(st.removed, l)
		}
	}
	for _, svc := range old.Services {
		if !wants(svc.Unit, svc.Action) && !(svc.Action == Disable && retired(svc.Unit)) {
			st.services = append(st.services, svc)
		}
	}
	return st
}

// revert is how one file goes back.
type revert struct {
	mf      ManFile
	cur     []byte
	exists  bool
	data    []byte // what the file becomes
	mode    fs.FileMode
	remove  bool   // remove the file
	warning string // said to the user; with no data and no remove, the file stays
}

// planRevert decides how a file goes back: its backup, or out when
// ruleshift created it. A file changed since ruleshift wrote it is not
// thrown away: an edited file of the user's loses only ruleshift's lines,
// and a file of ruleshift's own is left in place.
func (s *System) planRevert(mf ManFile) (revert, error) {
	r := revert{mf: mf}
	cur, mode, exists, err := s.read(mf.Path)
	if err != nil {
		return r, err
	}
	r.cur, r.exists, r.mode = cur, exists, mode
	changed := exists && sum(cur) != mf.SHA256
	switch {
	case mf.Removed && exists:
		r.warning = mf.Path + " was created again since ruleshift moved it aside; left as it is"
		return r, nil
	case mf.Backup != "" && changed && mf.Marker != "":
		r.data = removeMarked(cur, mf.Marker)
		r.warning = mf.Path + " changed since ruleshift edited it: only ruleshift's lines are taken out"
	case mf.Backup != "":
		data, bmode, ok, err := s.read(mf.Backup)
		if err != nil {
			return r, err
		}
		if !ok {
			r.warning = "the backup of " + mf.Path + " is missing (" + mf.Backup + "); the file is left as it is"
			return r, nil
		}
		r.data, r.mode = data, bmode
	case !exists:
	case changed && mf.Volatile:
		r.remove = true
	case changed:
		r.warning = mf.Path + " changed since ruleshift wrote it; left in place"
	default:
		r.remove = true
	}
	return r, nil
}

func removeMarked(data []byte, marker string) []byte {
	var b strings.Builder
	for _, l := range strings.SplitAfter(string(data), "\n") {
		if !strings.Contains(l, marker) {
			b.WriteString(l)
		}
	}
	return []byte(b.String())
}

// undoEntries reverses st and drops it from m.
func (s *System) undoEntries(st stale, m *Manifest) error {
	for i := len(st.services) - 1; i >= 0; i-- {
		svc := st.services[i]
		for _, args := range reverseAction(svc) {
			if err := s.systemctl(args...); err != nil {
				return err
			}
		}
		m.Services = dropWhere(m.Services, func(v Service) bool { return v == svc })
		s.printf("reversed: systemctl %s %s\n", svc.Action, svc.Unit)
	}
	for _, l := range st.links {
		if s.readlink(l.Path) == l.Target {
			if err := os.Remove(s.abs(l.Path)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			s.printf("removed link %s\n", l.Path)
		}
		m.Links = dropWhere(m.Links, func(v Link) bool { return v == l })
	}
	for _, l := range st.removed {
		if _, err := os.Lstat(s.abs(l.Path)); errors.Is(err, fs.ErrNotExist) {
			if err := s.mkdirs(m, path.Dir(l.Path), 0o755); err != nil {
				return err
			}
			if err := s.symlink(l); err != nil {
				return err
			}
			s.printf("restored link %s -> %s\n", l.Path, l.Target)
		}
		m.Removed = dropWhere(m.Removed, func(v Link) bool { return v == l })
	}
	for _, mf := range st.files {
		if err := s.revertFile(mf); err != nil {
			return err
		}
		m.Files = dropWhere(m.Files, func(v ManFile) bool { return v.Path == mf.Path })
	}
	m.Dirs = s.removeEmptyDirs(m.Dirs)
	return nil
}

func (s *System) revertFile(mf ManFile) error {
	r, err := s.planRevert(mf)
	if err != nil {
		return err
	}
	if r.warning != "" {
		s.printf("warning: %s\n", r.warning)
	}
	switch {
	case r.remove:
		if err := os.Remove(s.abs(mf.Path)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		s.printf("removed %s\n", mf.Path)
	case r.data != nil:
		if err := s.writeFile(mf.Path, r.data, r.mode); err != nil {
			return err
		}
		s.printf("restored %s\n", mf.Path)
	}
	if mf.Backup != "" && (r.data != nil || r.remove) {
		os.Remove(s.abs(mf.Backup))
	}
	return nil
}

// removeEmptyDirs removes the directories ruleshift created, deepest
// first, where they are empty; it returns those that stay.
func (s *System) removeEmptyDirs(dirs []string) []string {
	var keep []string
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := os.Remove(s.abs(dirs[i])); err != nil && !errors.Is(err, fs.ErrNotExist) {
			keep = append([]string{dirs[i]}, keep...)
		}
	}
	return keep
}

func reverseAction(svc Service) [][]string {
	switch svc.Action {
	case Enable:
		return [][]string{{"disable", svc.Unit}}
	case Mask:
		return [][]string{{"unmask", svc.Unit}}
	}
	return [][]string{{"enable", svc.Unit}}
}

func (s *System) readlink(p string) string {
	t, err := os.Readlink(s.abs(p))
	if err != nil {
		return ""
	}
	return t
}

// dropWhere returns, in a new slice (nil when none is left), the elements
// of list for which drop is false; list itself is left as it was.
func dropWhere[T any](list []T, drop func(T) bool) []T {
	var out []T
	for _, v := range list {
		if !drop(v) {
			out = append(out, v)
		}
	}
	return out
}

// Undo removes everything the manifest lists and restores the backups,
// then ruleshift's own state. A dry run prints what it would do.
func (s *System) Undo(dryRun bool) error {
	m, err := s.loadManifest()
	if err != nil {
		return err
	}
	if m == nil {
		s.printf("nothing to undo: no %s under %s\n", manifestPath, s.Root)
		return nil
	}
	st := stale{files: m.Files, links: m.Links, removed: m.Removed, services: m.Services}
	s.report(nil, nil, st)
	if dryRun {
		s.showUndo(st)
		s.printf("dry run: nothing changed\n")
		return nil
	}
	if err := s.undoEntries(st, m); err != nil {
		return err
	}
	if s.Live && len(st.services) > 0 {
		if err := s.systemctl("daemon-reload"); err != nil {
			return err
		}
	}
	if err := os.RemoveAll(s.abs(backupDir)); err != nil {
		return err
	}
	if err := os.Remove(s.abs(manifestPath)); err != nil {
		return err
	}
	s.removeEmptyDirs(m.Dirs)
	s.printf("unpersisted %s (%s)\n", m.Method, m.Backend)
	return nil
}

// showUndo prints what undoing st would do.
func (s *System) showUndo(st stale) {
	for _, svc := range st.services {
		for _, args := range reverseAction(svc) {
			s.printf("systemctl %s\n", strings.Join(args, " "))
		}
	}
	for _, l := range st.links {
		s.printf("remove link %s -> %s\n", l.Path, l.Target)
	}
	for _, l := range st.removed {
		s.printf("restore link %s -> %s\n", l.Path, l.Target)
	}
	for _, mf := range st.files {
		r, err := s.planRevert(mf)
		if err != nil {
			s.printf("%s: %v\n", mf.Path, err)
			continue
		}
		if r.warning != "" {
			s.printf("warning: %s\n", r.warning)
		}
		switch {
		case r.remove:
			s.printf("%s", UnifiedDiff(mf.Path, "/dev/null", r.cur, nil))
		case r.data != nil:
			s.printf("%s", UnifiedDiff(mf.Path, mf.Path, r.cur, r.data))
		}
	}
}
