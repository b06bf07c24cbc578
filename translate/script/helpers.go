package script

import (
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"mvdan.cc/sh/v3/interp"
)

// helpers answer the few programs scripts use to compute values, in
// `$(...)` or loops, the way they would on the target machine as root.
// They have no side effects; anything else is not run.
var helpers map[string]func(c *cmdCtx, args []string) error

func init() {
	helpers = map[string]func(c *cmdCtx, args []string) error{
		"which":    which,
		commandV:   which,
		"id":       id,
		"whoami":   func(c *cmdCtx, _ []string) error { return c.print("root\n") },
		"seq":      seq,
		"cat":      cat,
		"basename": basename,
		"dirname":  dirname,
		// Pauses and log lines change nothing in the ruleset.
		"sleep":  func(*cmdCtx, []string) error { return nil },
		"logger": func(*cmdCtx, []string) error { return nil },
	}
}

func (c *cmdCtx) print(s string) error {
	if c.hc.Stdout != nil {
		io.WriteString(c.hc.Stdout, s)
	}
	return nil
}

// which finds the iptables tools and the shell where a Debian or RHEL
// machine has them; other programs are reported missing.
func which(c *cmdCtx, args []string) error {
	status := uint8(0)
	for _, a := range args[1:] {
		if strings.HasPrefix(a, "-") {
			continue
		}
		switch {
		case strings.Contains(a, "/") && isToolPath(a):
			c.print(a + "\n")
		case isTool(a):
			c.print("/usr/sbin/" + a + "\n")
		case isShell(a):
			c.print("/usr/bin/" + a + "\n")
		default:
			status = 1
		}
	}
	if status != 0 {
		return interp.NewExitStatus(status)
	}
	return nil
}

func id(c *cmdCtx, args []string) error {
	name := false
	what := ""
	for _, a := range args[1:] {
		if !strings.HasPrefix(a, "-") {
			if a != "root" {
				c.unknown("id "+a, c.pos)
			}
			continue
		}
		for _, f := range a[1:] {
			switch f {
			case 'n':
				name = true
			case 'u', 'g', 'G':
				what = string(f)
			}
		}
	}
	switch {
	case what == "" && !name:
		return c.print("uid=0(root) gid=0(root) groups=0(root)\n")
	case name:
		return c.print("root\n")
	}
	return c.print("0\n")
}

// seq prints integer sequences: seq LAST, seq FIRST LAST, seq FIRST INCR
// LAST.
func seq(c *cmdCtx, args []string) error {
	var nums []int
	for _, a := range args[1:] {
		if strings.HasPrefix(a, "-") && len(a) > 1 && (a[1] < '0' || a[1] > '9') {
			return c.fail(c.pos, 1, "seq option %s is not supported", a)
		}
		n, err := strconv.Atoi(a)
		if err != nil {
			return c.fail(c.pos, 1, "seq: invalid number %q", a)
		}
		nums = append(nums, n)
	}
	first, incr, last := 1, 1, 0
	switch len(nums) {
	case 1:
		last = nums[0]
	case 2:
		first, last = nums[0], nums[1]
	case 3:
		first, incr, last = nums[0], nums[1], nums[2]
	default:
		return c.fail(c.pos, 1, "seq takes one to three numbers")
	}
	if incr == 0 {
		return c.fail(c.pos, 1, "seq: increment must not be zero")
	}
	var b strings.Builder
	for i, n := first, 0; (incr > 0 && i <= last) || (incr < 0 && i >= last); i += incr {
		if n++; n > 1_000_000 {
			return c.fail(c.pos, 1, "seq: more than a million numbers")
		}
		fmt.Fprintf(&b, "%d\n", i)
	}
	return c.print(b.String())
}

// cat copies files from the script's directory, or its input.
func cat(c *cmdCtx, args []string) error {
	files := 0
	for i, a := range args[1:] {
		if strings.HasPrefix(a, "-") && a != "-" {
			continue
		}
		files++
		if a == "-" {
			if err := c.copyStdin(); err != nil {
				return err
			}
			continue
		}
		data, ok := c.readFile(a, c.argPos(i+1))
		if !ok {
			return interp.NewExitStatus(1)
		}
		c.print(string(data))
	}
	if files == 0 {
		return c.copyStdin()
	}
	return nil
}

func (c *cmdCtx) copyStdin() error {
	data, err := readAllLimit(c.hc.Stdin, 64<<20)
	if err != nil {
		return c.fail(c.pos, 1, "cat: %v", err)
	}
	return c.print(string(data))
}

func basename(c *cmdCtx, args []string) error {
	if len(args) < 2 {
		return c.fail(c.pos, 1, "basename: missing operand")
	}
	b := path.Base(args[1])
	if len(args) > 2 {
		b = strings.TrimSuffix(b, args[2])
	}
	return c.print(b + "\n")
}

func dirname(c *cmdCtx, args []string) error {
	if len(args) < 2 {
		return c.fail(c.pos, 1, "dirname: missing operand")
	}
	return c.print(path.Dir(args[1]) + "\n")
}
