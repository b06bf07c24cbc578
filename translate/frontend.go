package translate

import (
	"fmt"
	"sort"
	"sync"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// Frontend reads one input format into the model.
type Frontend interface {
	// Name is the format's name, the value of --from.
	Name() string
	// Detect says how sure the frontend is that in is its format and
	// why, naming what decided ("its first line is a shebang"); why may
	// be "" when the input's first line decided.
	Detect(in Input) (c Confidence, why string)
	// Load parses in into rs, which holds nothing else.
	Load(rs *ir.Ruleset, in Input, o Options) *diag.List
}

// Confidence orders the frontends' claims on an input: the highest claim
// wins.
type Confidence int

const (
	// No: the input is not this format.
	No Confidence = iota
	// Fallback: the input is this format if no other claims it (any text
	// is a shell script).
	Fallback
	// Likely: the content has the format's shape (save lines).
	Likely
	// Declared: the input says what it is (a shebang, a name suffix).
	Declared
	// Certain: only this format's tool takes the input (an nft statement,
	// an nft shebang, a .nft name); no other claim overrides it.
	Certain
)

var registry = struct {
	sync.RWMutex
	m map[string]Frontend
}{m: map[string]Frontend{}}

// Register makes a frontend known to Load, Detect and Lookup. Frontend
// packages call it from an init function; it panics on an empty or a
// repeated name, as two readers of one format are a build mistake.
func Register(f Frontend) {
	registry.Lock()
	defer registry.Unlock()
	name := f.Name()
	if name == "" || Format(name) == Auto {
		panic(fmt.Sprintf("translate: frontend name %q is reserved", name))
	}
	if _, dup := registry.m[name]; dup {
		panic("translate: frontend " + name + " registered twice")
	}
	registry.m[name] = f
}

// Lookup returns the frontend of a name, nil if none is registered.
func Lookup(name string) Frontend {
	registry.RLock()
	defer registry.RUnlock()
	return registry.m[name]
}

// Names lists the registered frontends, sorted.
func Names() []string {
	var out []string
	for _, f := range frontends() {
		out = append(out, f.Name())
	}
	return out
}

// frontends lists the registered frontends in name order.
func frontends() []Frontend {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]Frontend, 0, len(registry.m))
	for _, f := range registry.m {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

// Detect asks every registered frontend about an input and returns the
// format of the highest claim with its reason; of equal claims, the first
// name in Names order wins. It returns "" when no frontend claims the
// input (in a build without the script frontend, a shell script).
func Detect(in Input) (Format, string) {
	var (
		best Format
		why  string
		top  = No
	)
	for _, f := range frontends() {
		if c, w := f.Detect(in); c > top {
			best, why, top = Format(f.Name()), w, c
		}
	}
	return best, why
}

// The frontends of this package: the save format and the nftables
// recogniser. The script frontend registers itself from translate/script,
// so that this package stays free of the shell interpreter.
func init() {
	Register(saveFrontend{})
	Register(nftFrontend{})
}

type saveFrontend struct{}

func (saveFrontend) Name() string                         { return string(Save) }
func (saveFrontend) Detect(in Input) (Confidence, string) { return detectSave(in) }
func (saveFrontend) Load(rs *ir.Ruleset, in Input, o Options) *diag.List {
	return iptables.ParseSave(rs, in.Name, in.Data, iptables.SaveOptions{Family: o.Family, Resolve: o.Resolve})
}

// nftFrontend recognises nftables files and nft's JSON listing. The
// reader lives in translate/nft, which sets it with SetNFTLoader (from its
// init), so that this package stays free of JSON and of running nft; a
// build without it refuses nftables input with a clear message.
type nftFrontend struct{}

var nftLoader struct {
	sync.RWMutex
	load func(rs *ir.Ruleset, in Input, o Options) *diag.List
}

// SetNFTLoader installs the reader of --from nft.
func SetNFTLoader(load func(rs *ir.Ruleset, in Input, o Options) *diag.List) {
	nftLoader.Lock()
	defer nftLoader.Unlock()
	nftLoader.load = load
}

func (nftFrontend) Name() string { return string(NFT) }

func (nftFrontend) Detect(in Input) (Confidence, string) {
	if isNFT(in) {
		return Certain, "it is an nftables file"
	}
	if isNFTJSON(in.Data) {
		return Certain, "it is nft's JSON listing"
	}
	return No, ""
}

func (nftFrontend) Load(rs *ir.Ruleset, in Input, o Options) *diag.List {
	nftLoader.RLock()
	load := nftLoader.load
	nftLoader.RUnlock()
	if load != nil {
		return load(rs, in, o)
	}
	d := &diag.List{}
	d.Errorf(ir.Pos{File: in.Name, Line: 1, Col: 1}, "%s is an nftables file, and this build has no nftables reader (translate/nft)", in.Name)
	return d
}
