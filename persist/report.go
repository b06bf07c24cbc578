package persist

import "io/fs"

// Report is what a persist or unpersist changed or, in a dry run, would
// change, for callers that show it other than as text: the Ansible module
// reports changed and a before/after diff per file from it.
type Report struct {
	// Changed: files, links or services changed (or would).
	Changed bool
	Files   []FileChange
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
func (s *System) report(files []fileChange, st stale) {
	if s.Report == nil {
		return
	}
	s.Report.Changed = true
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
