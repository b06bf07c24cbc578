package persist

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path"
)

// manifestPath is the manifest, inside the root.
var manifestPath = path.Join(StateDir, "manifest.json")

// backupDir holds the files ruleshift replaced, under their own paths.
var backupDir = path.Join(StateDir, "backup")

// Manifest records what persist installed, so that a second persist knows
// which files are already its own (and keeps the first backup) and
// unpersist removes exactly that. It holds no time stamps: the same
// install writes the same manifest.
type Manifest struct {
	Version int       `json:"version"`
	Method  string    `json:"method"`
	Backend string    `json:"backend"`
	Files   []ManFile `json:"files"`
	// Links ruleshift created (offline, as systemctl --root does) and
	// links it removed (disabling a conflicting unit).
	Links   []Link `json:"links,omitempty"`
	Removed []Link `json:"removed,omitempty"`
	// Services changed with systemctl on a live system, in order.
	Services []Service `json:"services,omitempty"`
	// Retired are the units migrate turned off (Plan.Retired).
	Retired []string `json:"retired,omitempty"`
	// Dirs ruleshift created, parents first.
	Dirs []string `json:"dirs,omitempty"`
}

// ManFile is one file persist wrote.
type ManFile struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Mode   string `json:"mode"`
	// Backup is where the file ruleshift replaced was kept; "" when
	// ruleshift created the file.
	Backup string `json:"backup,omitempty"`
	Marker string `json:"marker,omitempty"`
	// Volatile files are ruleshift's to change after persist (File.Volatile).
	Volatile bool `json:"volatile,omitempty"`
	// Removed files were moved aside to Backup (File.Remove).
	Removed bool `json:"removed,omitempty"`
	// Retired files are kept by later persists (File.Retired).
	Retired bool `json:"retired,omitempty"`
}

// Link is a symlink, both paths absolute inside the root.
type Link struct {
	Path   string `json:"path"`
	Target string `json:"target"`
}

func (m *Manifest) file(p string) *ManFile {
	for i := range m.Files {
		if m.Files[i].Path == p {
			return &m.Files[i]
		}
	}
	return nil
}

func hasLink(list []Link, l Link) bool {
	for _, x := range list {
		if x == l {
			return true
		}
	}
	return false
}

func sum(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// loadManifest reads the manifest; a missing one is nil without error.
func (s *System) loadManifest() (*Manifest, error) {
	data, err := os.ReadFile(s.abs(manifestPath))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %v", s.abs(manifestPath), err)
	}
	return &m, nil
}

func (s *System) saveManifest(m *Manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := s.mkdirs(m, StateDir, 0o700); err != nil {
		return err
	}
	return s.writeFile(manifestPath, append(data, '\n'), 0o600)
}
