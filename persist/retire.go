package persist

// Retirement is what turns off an old boot path: rules files moved aside
// or edited (a pre-up line commented out, a script made not executable),
// services disabled. migrate builds it from what loaded the old rules.
type Retirement struct {
	Files    []File
	Services []Service
	// Why says why a file (by path) or a unit changes, as a note of the
	// plan when the change joins it.
	Why map[string]string
}

// turnsOff reports whether the retirement disables the unit.
func (r *Retirement) turnsOff(unit string) bool {
	if r == nil {
		return false
	}
	for _, s := range r.Services {
		if s.Unit == unit && s.Action == Disable {
			return true
		}
	}
	return false
}

// join adds r to p, leaving out what p itself writes or enables: a
// method that keeps the old path (netfilter-persistent for
// netfilter-persistent) replaces the files instead.
func (r *Retirement) join(p *Plan) {
	if r == nil {
		return
	}
	writes := map[string]bool{}
	for _, f := range p.Files {
		writes[f.Path] = true
	}
	enables := map[string]bool{}
	for _, s := range p.Services {
		enables[s.Unit] = true
	}
	for _, f := range r.Files {
		if !writes[f.Path] {
			f.Retired = true
			p.Files = append(p.Files, f)
			r.note(p, f.Path)
		}
	}
	for _, s := range r.Services {
		if !enables[s.Unit] {
			p.Services = append(p.Services, s)
			p.Retired = append(p.Retired, s.Unit)
			r.note(p, s.Unit)
		}
	}
}

func (r *Retirement) note(p *Plan, key string) {
	if why := r.Why[key]; why != "" {
		p.notef("%s", why)
	}
}
