package clidoc

import (
	"fmt"
	"sort"
	"strings"

	"github.com/alecthomas/kong"
)

// Completion returns the completion script of shell (bash, zsh or fish)
// for the application: commands, flags, the values of enum flags, and
// file names for arguments and path flags.
func Completion(app *kong.Application, shell string) (string, error) {
	switch shell {
	case "bash":
		return bash(app), nil
	case "zsh":
		// zsh runs the bash function through bashcompinit, which every
		// zsh ships; the #compdef line lets compinit find the file.
		return "#compdef " + app.Name + "\nautoload -U +X bashcompinit && bashcompinit\n" + bash(app), nil
	case "fish":
		return fish(app), nil
	}
	return "", fmt.Errorf("unknown shell %q (bash, zsh or fish)", shell)
}

func flagWords(n *kong.Node) []string {
	var out []string
	for _, f := range Flags(n) {
		out = append(out, "--"+f.Name)
		if f.Short != 0 {
			out = append(out, "-"+string(f.Short))
		}
	}
	sort.Strings(out)
	return out
}

func bash(app *kong.Application) string {
	fn := "_" + strings.ReplaceAll(app.Name, "-", "_")
	var b strings.Builder
	fmt.Fprintf(&b, "# %s completion for bash; generated from its command-line definition.\n", app.Name)
	fmt.Fprintf(&b, "%s() {\n", fn)
	b.WriteString("\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd= i w\n")
	b.WriteString("\tfor ((i = 1; i < COMP_CWORD; i++)); do\n\t\tw=${COMP_WORDS[i]}\n\t\tcase \"$w\" in\n")
	var top []string
	for _, c := range app.Node.Children {
		if !c.Hidden && c.Type == kong.CommandNode {
			top = append(top, c.Name)
		}
	}
	fmt.Fprintf(&b, "\t\t%s) cmd=$w; break ;;\n\t\tesac\n\tdone\n", strings.Join(top, "|"))
	// Values of the flag before the cursor.
	b.WriteString("\tcase \"$cmd $prev\" in\n")
	nodes := append([]*kong.Node{app.Node}, Commands(app.Node)...)
	for _, n := range nodes {
		cmd := ""
		if n != app.Node {
			cmd = n.Name
		}
		for _, f := range Flags(n) {
			switch {
			case Enum(f) != nil:
				fmt.Fprintf(&b, "\t%s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return ;;\n", casePattern(cmd, f), strings.Join(Enum(f), " "))
			case TakesFile(f):
				fmt.Fprintf(&b, "\t%s) COMPREPLY=($(compgen -f -- \"$cur\")); compopt -o filenames 2>/dev/null; return ;;\n", casePattern(cmd, f))
			case !f.IsBool() && !f.IsCounter():
				fmt.Fprintf(&b, "\t%s) return ;;\n", casePattern(cmd, f))
			}
		}
	}
	b.WriteString("\tesac\n")
	b.WriteString("\tcase \"$cmd\" in\n")
	fmt.Fprintf(&b, "\t'')\n\t\tif [[ $cur == -* ]]; then COMPREPLY=($(compgen -W %q -- \"$cur\")); else COMPREPLY=($(compgen -W %q -- \"$cur\")); fi ;;\n",
		strings.Join(flagWords(app.Node), " "), strings.Join(top, " "))
	for _, c := range app.Node.Children {
		if c.Hidden || c.Type != kong.CommandNode {
			continue
		}
		fmt.Fprintf(&b, "\t%s)\n\t\tif [[ $cur == -* ]]; then COMPREPLY=($(compgen -W %q -- \"$cur\")); else COMPREPLY=($(compgen -f -- \"$cur\")); compopt -o filenames 2>/dev/null; fi ;;\n",
			c.Name, strings.Join(flagWords(c), " "))
	}
	b.WriteString("\tesac\n}\n")
	fmt.Fprintf(&b, "complete -F %s %s\n", fn, app.Name)
	return b.String()
}

// casePattern matches "CMD --flag" and "CMD -f" in the bash case.
func casePattern(cmd string, f *kong.Flag) string {
	p := fmt.Sprintf("%q", cmd+" --"+f.Name)
	if f.Short != 0 {
		p += fmt.Sprintf("|%q", cmd+" -"+string(f.Short))
	}
	return p
}

func fish(app *kong.Application) string {
	var b strings.Builder
	name := app.Name
	fmt.Fprintf(&b, "# %s completion for fish; generated from its command-line definition.\n", name)
	fmt.Fprintf(&b, "complete -c %s -f\n", name)
	var top []string
	for _, c := range app.Node.Children {
		if !c.Hidden && c.Type == kong.CommandNode {
			top = append(top, c.Name)
			fmt.Fprintf(&b, "complete -c %s -n '__fish_use_subcommand' -a %s -d %s\n", name, c.Name, fishQuote(firstSentence(c.Help)))
		}
	}
	write := func(cond string, f *kong.Flag) {
		fmt.Fprintf(&b, "complete -c %s -n %s -l %s", name, fishQuote(cond), f.Name)
		if f.Short != 0 {
			fmt.Fprintf(&b, " -s %c", f.Short)
		}
		switch {
		case Enum(f) != nil:
			fmt.Fprintf(&b, " -x -a %s", fishQuote(strings.Join(Enum(f), " ")))
		case TakesFile(f):
			b.WriteString(" -r -F")
		case !f.IsBool() && !f.IsCounter():
			b.WriteString(" -x")
		}
		fmt.Fprintf(&b, " -d %s\n", fishQuote(firstSentence(f.Help)))
	}
	for _, f := range app.Node.Flags {
		if !f.Hidden && f.Name != "help" {
			write("true", f)
		}
	}
	for _, c := range app.Node.Children {
		if c.Hidden || c.Type != kong.CommandNode {
			continue
		}
		cond := "__fish_seen_subcommand_from " + c.Name
		for _, f := range Flags(c) {
			if !isGlobal(c, f) {
				write(cond, f)
			}
		}
		if len(c.Positional) > 0 {
			fmt.Fprintf(&b, "complete -c %s -n %s -F\n", name, fishQuote(cond))
		}
	}
	return b.String()
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i > 0 {
		s = s[:i]
	}
	return strings.TrimSuffix(s, ".")
}

func fishQuote(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, "\\", "\\\\"), "'", "\\'") + "'"
}
