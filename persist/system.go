package persist

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ruleshift/ruleshift/internal/atomicfile"
)

// System carries plans out under a root directory. It is the one place
// that writes: planners only read.
type System struct {
	// Root is the directory the plan's absolute paths live under; "/" is
	// the running system.
	Root string
	// Live runs systemctl for service changes; offline, System makes the
	// links itself, as systemctl --root does.
	Live bool
	// Systemctl runs systemctl on a live system; nil runs the real one.
	Systemctl func(args ...string) error
	Out       io.Writer
	// Report, when set, receives what Apply or Undo changes (or would).
	Report *Report
}

// fsys is the read-only view of the root the planners use too.
func (s *System) fsys() fs.FS { return os.DirFS(s.Root) }

func (s *System) abs(p string) string { return filepath.Join(s.Root, filepath.FromSlash(p)) }

func (s *System) printf(format string, args ...any) { fmt.Fprintf(s.Out, format, args...) }

// fileChange is one file write Apply will do.
type fileChange struct {
	f      File
	old    []byte
	oldMod fs.FileMode
	exists bool
}

// Result says what Apply did or, in a dry run, would do.
type Result struct {
	Changed bool
}

// Apply carries p out: every file that differs is backed up (the first time
// ruleshift replaces it) and written atomically, services are enabled,
// disabled or masked, and the manifest records it all. What an earlier
// persist installed and p no longer has is undone. A plan that matches
// the root changes nothing and says so. A dry run prints the diffs and the
// service changes instead.
func (s *System) Apply(p *Plan, dryRun bool) (Result, error) {
	old, err := s.loadManifest()
	if err != nil {
		return Result{}, err
	}
	files, err := s.fileChanges(p)
	if err != nil {
		return Result{}, err
	}
	svcOps, err := s.serviceChanges(p)
	if err != nil {
		return Result{}, err
	}
	stale := s.staleEntries(old, p)
	if len(files) == 0 && len(svcOps) == 0 && stale.empty() {
		s.printf("nothing to change: %s (%s) is already installed as planned under %s\n", p.Method, p.Backend, s.Root)
		return Result{}, nil
	}
	s.report(files, svcOps, stale)
	if dryRun {
		s.showPlan(files, svcOps, stale)
		return Result{Changed: true}, nil
	}
	m := s.nextManifest(old, p)
	if err := s.undoEntries(stale, m); err != nil {
		return Result{}, err
	}
	if err := s.adopt(p, old, m); err != nil {
		return Result{}, err
	}
	if err := s.writeFiles(files, old, m); err != nil {
		return Result{}, err
	}
	if err := s.applyServices(svcOps, m); err != nil {
		return Result{}, err
	}
	return Result{Changed: true}, s.saveManifest(m)
}

// fileChanges compares every planned file with the root.
func (s *System) fileChanges(p *Plan) ([]fileChange, error) {
	var out []fileChange
	for _, f := range p.Files {
		data, mode, exists, err := s.read(f.Path)
		if err != nil {
			return nil, err
		}
		if f.Remove && !exists || !f.Remove && exists && bytes.Equal(data, f.Data) && mode == f.Mode {
			continue
		}
		out = append(out, fileChange{f: f, old: data, oldMod: mode, exists: exists})
	}
	return out, nil
}

// read reads a file under the root without following a last symlink out
// of it: a file ruleshift replaces is replaced, not its link target.
func (s *System) read(p string) ([]byte, fs.FileMode, bool, error) {
	fi, err := os.Lstat(s.abs(p))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, err
	}
	if !fi.Mode().IsRegular() {
		return nil, 0, false, fmt.Errorf("%s: not a regular file; ruleshift will not replace it", s.abs(p))
	}
	data, err := os.ReadFile(s.abs(p))
	return data, fi.Mode().Perm(), err == nil, err
}

// svcChange is one service change with the links it takes.
type svcChange struct {
	svc   Service
	links []linkOp
}

func (s *System) serviceChanges(p *Plan) ([]svcChange, error) {
	var out []svcChange
	for _, svc := range p.Services {
		ops, err := serviceLinks(s.fsys(), svc, p)
		if err != nil {
			return nil, err
		}
		if len(ops) > 0 {
			out = append(out, svcChange{svc, ops})
		}
	}
	return out, nil
}

// nextManifest starts the manifest of this run from the previous one: the
// first backup of a file stays the one unpersist restores.
func (s *System) nextManifest(old *Manifest, p *Plan) *Manifest {
	m := &Manifest{Version: 1, Method: p.Method, Backend: p.Backend}
	if old != nil {
		m.Links, m.Removed, m.Services, m.Dirs = old.Links, old.Removed, old.Services, old.Dirs
	}
	for _, f := range p.Files {
		mf := ManFile{Path: f.Path, SHA256: sum(f.Data), Mode: fmt.Sprintf("%04o", f.Mode), Marker: f.Marker, Volatile: f.Volatile, Removed: f.Remove, Retired: f.Retired}
		if old != nil {
			if prev := old.file(f.Path); prev != nil {
				mf.Backup = prev.Backup
			}
		}
		m.Files = append(m.Files, mf)
	}
	// What an earlier migrate turned off stays off, and listed, until
	// unpersist: a persist after a migration must not bring back the
	// old boot path.
	m.Retired = append(m.Retired, p.Retired...)
	if old != nil {
		for _, u := range old.Retired {
			if !slices.Contains(m.Retired, u) {
				m.Retired = append(m.Retired, u)
			}
		}
		for _, f := range old.Files {
			if f.Retired && m.file(f.Path) == nil {
				m.Files = append(m.Files, f)
			}
		}
	}
	return m
}

// adopt backs up the planned files that are already as planned and that
// no earlier persist wrote (ufw.conf already saying ENABLED=yes): the
// manifest lists them, and unpersist must put them back, not remove
// them as files ruleshift created.
func (s *System) adopt(p *Plan, old *Manifest, m *Manifest) error {
	for _, f := range p.Files {
		if f.Remove || old != nil && old.file(f.Path) != nil {
			continue
		}
		data, mode, exists, err := s.read(f.Path)
		if err != nil || !exists || !bytes.Equal(data, f.Data) || mode != f.Mode {
			continue
		}
		mf := m.file(f.Path)
		mf.Backup = path.Join(backupDir, f.Path)
		if err := s.mkdirs(m, path.Dir(mf.Backup), 0o700); err != nil {
			return err
		}
		if err := s.writeFile(mf.Backup, data, mode); err != nil {
			return err
		}
	}
	return nil
}

// writeFiles backs up what is replaced, records the manifest first (so an
// interrupted run can still be undone), then writes each file atomically.
func (s *System) writeFiles(files []fileChange, old, m *Manifest) error {
	for _, c := range files {
		mf := m.file(c.f.Path)
		// A file an earlier persist created is ruleshift's: replacing it
		// keeps no backup, or unpersist would put it back.
		if !c.exists || mf.Backup != "" || old != nil && old.file(c.f.Path) != nil {
			continue
		}
		mf.Backup = path.Join(backupDir, c.f.Path)
		if err := s.mkdirs(m, path.Dir(mf.Backup), 0o700); err != nil {
			return err
		}
		if err := s.writeFile(mf.Backup, c.old, c.oldMod); err != nil {
			return err
		}
	}
	if err := s.saveManifest(m); err != nil {
		return err
	}
	for _, c := range files {
		if c.f.Remove {
			if err := os.Remove(s.abs(c.f.Path)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("%s: %v", s.abs(c.f.Path), unwrapPath(err))
			}
			s.printf("moved aside %s (kept as %s)\n", c.f.Path, m.file(c.f.Path).Backup)
			continue
		}
		if err := s.mkdirs(m, path.Dir(c.f.Path), 0o755); err != nil {
			return err
		}
		if err := s.writeFile(c.f.Path, c.f.Data, c.f.Mode); err != nil {
			return err
		}
		verb := "wrote"
		if c.exists {
			verb = "replaced"
			if c.f.Marker != "" {
				verb = "edited"
			}
		}
		s.printf("%s %s (%04o)\n", verb, c.f.Path, c.f.Mode)
	}
	return nil
}

// writeFile writes atomically; errors name the file as the user sees it.
func (s *System) writeFile(p string, data []byte, mode fs.FileMode) error {
	if err := atomicfile.Write(s.abs(p), data, mode); err != nil {
		return fmt.Errorf("%s: %v", s.abs(p), unwrapPath(err))
	}
	return nil
}

// unwrapPath drops the temporary file's name from an os error: the user
// knows the file by its real name.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// mkdirs creates dir and its missing parents, recording each in m.
func (s *System) mkdirs(man *Manifest, dir string, mode fs.FileMode) error {
	var missing []string
	for d := dir; d != "/" && d != "."; d = path.Dir(d) {
		if _, err := os.Lstat(s.abs(d)); err == nil {
			break
		}
		missing = append([]string{d}, missing...)
	}
	for _, d := range missing {
		m := fs.FileMode(0o755) // parents are plain directories
		if d == dir || strings.HasPrefix(d, StateDir) {
			m = mode
		}
		if err := os.Mkdir(s.abs(d), m); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %v", s.abs(d), unwrapPath(err))
		}
		man.Dirs = append(man.Dirs, d)
	}
	return nil
}

// applyServices makes the service changes: offline by links, live by
// systemctl (after a daemon-reload, so a unit just written is seen).
func (s *System) applyServices(changes []svcChange, m *Manifest) error {
	if s.Live && len(changes) > 0 {
		if err := s.systemctl("daemon-reload"); err != nil {
			return err
		}
	}
	for _, c := range changes {
		if s.Live {
			if err := s.systemctl(string(c.svc.Action), c.svc.Unit); err != nil {
				return err
			}
			m.Services = append(m.Services, c.svc)
			s.printf("%sd %s\n", strings.TrimSuffix(string(c.svc.Action), "e"), c.svc.Unit)
			continue
		}
		for _, op := range c.links {
			if err := s.linkOp(op, m); err != nil {
				return err
			}
		}
		s.printf("%s %s (%s)\n", pastTense(c.svc.Action), c.svc.Unit, describeLinks(c.links))
	}
	return nil
}

func pastTense(a Action) string { return strings.TrimSuffix(string(a), "e") + "ed" }

func describeLinks(ops []linkOp) string {
	var parts []string
	for _, op := range ops {
		if op.create {
			parts = append(parts, op.link.Path+" -> "+op.link.Target)
		} else {
			parts = append(parts, "removed "+op.link.Path)
		}
	}
	return strings.Join(parts, ", ")
}

// linkOp carries out one link change and records it for unpersist.
func (s *System) linkOp(op linkOp, m *Manifest) error {
	if !op.create {
		if err := os.Remove(s.abs(op.link.Path)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: %v", s.abs(op.link.Path), unwrapPath(err))
		}
		m.Removed = append(m.Removed, op.link)
		return nil
	}
	if err := s.mkdirs(m, path.Dir(op.link.Path), 0o755); err != nil {
		return err
	}
	if err := s.symlink(op.link); err != nil {
		return err
	}
	if op.old != nil {
		m.Removed = append(m.Removed, *op.old)
	}
	m.Links = append(m.Links, op.link)
	return nil
}

// symlink creates or replaces a link atomically: a temporary link renamed
// over the old one.
func (s *System) symlink(l Link) error {
	tmp := s.abs(l.Path) + ".ruleshift-tmp"
	os.Remove(tmp)
	if err := os.Symlink(l.Target, tmp); err != nil {
		return fmt.Errorf("%s: %v", s.abs(l.Path), unwrapPath(err))
	}
	if err := os.Rename(tmp, s.abs(l.Path)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%s: %v", s.abs(l.Path), unwrapPath(err))
	}
	return nil
}

func (s *System) systemctl(args ...string) error {
	if s.Systemctl != nil {
		return s.Systemctl(args...)
	}
	out, err := exec.Command("systemctl", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("systemctl %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// showPlan prints a dry run: a unified diff per file, then the service
// changes and what an earlier persist left that this one removes.
func (s *System) showPlan(files []fileChange, svcs []svcChange, st stale) {
	for _, c := range files {
		if c.f.Remove {
			s.printf("%s", UnifiedDiff(c.f.Path, "/dev/null", c.old, nil))
			continue
		}
		from := c.f.Path
		if !c.exists {
			from = "/dev/null"
		}
		s.printf("%s", UnifiedDiff(from, c.f.Path, c.old, c.f.Data))
		if c.exists && c.oldMod != c.f.Mode {
			s.printf("mode %s: %04o -> %04o\n", c.f.Path, c.oldMod, c.f.Mode)
		}
		if !c.exists {
			s.printf("mode %s: %04o\n", c.f.Path, c.f.Mode)
		}
	}
	for _, c := range svcs {
		how := describeLinks(c.links)
		if s.Live {
			how = "systemctl " + string(c.svc.Action) + " " + c.svc.Unit
		}
		s.printf("%s %s (%s)\n", c.svc.Action, c.svc.Unit, how)
	}
	s.showUndo(st)
	s.printf("dry run: nothing written\n")
}
