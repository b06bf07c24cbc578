package persist

import "io/fs"

// Report is what a persist or unpersist changed or, in a dry run, would
// change, for callers that show it other than as text: the Ansible module
// reports changed and a before/after diff per file from it.
type Report struct {
	// Changed: files, links or services changed (or would).
	Changed bool
	Files   []FileChange
	// Services are the service changes with the links they make or
	// remove; Undone the files, links and units of an earlier persist
	// this one no longer has and takes back.
	Services []ServiceChange
	Undone   []string
}

// ServiceChange is one service change and its links.
type ServiceChange struct {
	Unit   string
	Action Action
	Links  string
}

// FileChange is one file's contents before and after; a file that is
// missing on a side has Exists false there.
type FileChange struct {
	Path                      string
	Before, After             []byte
	BeforeMode, AfterMode     fs.FileMode
	BeforeExists, AfterExists bool
}

// report records the changes of a run in s.Report, when a caller asked.
func (s *System) report(files []fileChange, svcs []svcChange, st stale) {
	if s.Report == nil {
		return
	}
	s.Report.Changed = true
	for _, c := range svcs {
		s.Report.Services = append(s.Report.Services, ServiceChange{Unit: c.svc.Unit, Action: c.svc.Action, Links: describeLinks(c.links)})
	}
	for _, l := range st.links {
		s.Report.Undone = append(s.Report.Undone, l.Path)
	}
	for _, l := range st.removed {
		s.Report.Undone = append(s.Report.Undone, l.Path)
	}
	for _, svc := range st.services {
		s.Report.Undone = append(s.Report.Undone, svc.Unit)
	}
	for _, c := range files {
		s.Report.Files = append(s.Report.Files, FileChange{Path: c.f.Path, Before: c.old, BeforeMode: c.oldMod, BeforeExists: c.exists,
			After: c.f.Data, AfterMode: c.f.Mode, AfterExists: true})
	}
	for _, mf := range st.files {
		r, err := s.planRevert(mf)
		if err != nil || (!r.remove && r.data == nil) {
			continue // the file stays as it is (Undo says why)
		}
		// r.mode is the mode the file goes back to; read the current one.
		_, mode, _, _ := s.read(mf.Path)
		fc := FileChange{Path: mf.Path, Before: r.cur, BeforeMode: mode, BeforeExists: r.exists}
		if !r.remove {
			fc.After, fc.AfterMode, fc.AfterExists = r.data, r.mode, true
		}
		s.Report.Files = append(s.Report.Files, fc)
	}
}
