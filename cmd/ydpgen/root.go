package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/spec"
)

// Exit codes, as the README documents them.
const (
	exitOK       = 0
	exitFindings = 1 // the spec has errors, or a diff or check is not clean
	exitUsage    = 2 // the command line is wrong
	exitInternal = 3 // a bug in ydpgen
	exitFiles    = 4 // a file, directory or tool named cannot be used
)

// usageError is a mistake in the command line itself: an unknown command or
// flag, a wrong number of arguments, a flag value that is not allowed.
// Only these end with the hint to read --help.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// filesError says that a well-formed command cannot use what it was pointed
// at: a spec that cannot be read, an output that is a file, lies under one
// or cannot be written, a foreign file in the way, a revision or git binary
// that is not there. The message names the path and the reason.
type filesError struct{ err error }

func (e filesError) Error() string { return e.err.Error() }
func (e filesError) Unwrap() error { return e.err }

func filesErrorf(format string, args ...any) error { return filesError{fmt.Errorf(format, args...)} }

// isFilesError reports errors of the file system or of a missing program
// that no command has named more precisely: they are about the machine, not
// a bug in ydpgen.
func isFilesError(err error) bool {
	var fe filesError
	var pe *fs.PathError
	var le *os.LinkError
	var se *os.SyscallError
	return errors.As(err, &fe) || errors.As(err, &pe) || errors.As(err, &le) || errors.As(err, &se) ||
		errors.Is(err, exec.ErrNotFound)
}

// findingsError carries findings that were already printed.
type findingsError struct{ n int }

func (e findingsError) Error() string { return fmt.Sprintf("%d problems", e.n) }

// app is the state the commands share: where to print and the schema,
// compiled once per process on first use.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// output is text or json: json switches findings and results to the
	// one JSON envelope. format is the command's --format as given.
	output string
	format string
	// colour is whether findings on stderr are coloured.
	colour bool
	// colourMode is --color: auto, always or never.
	colourMode string
	// envs are the environments --env selected; none means all.
	envs   []string
	schema *spec.Schema
}

func (a *app) loadSchema() (*spec.Schema, error) {
	if a.schema == nil {
		s, err := spec.New()
		if err != nil {
			return nil, err
		}
		// YDPGEN_CUE_TIMEOUT lowers (or raises) the deadline of a CUE
		// spec's evaluation; SECURITY.md documents it.
		if v := os.Getenv("YDPGEN_CUE_TIMEOUT"); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return nil, fmt.Errorf("YDPGEN_CUE_TIMEOUT=%s is not a positive duration such as 10s", v)
			}
			s.EvalTimeout = d
		}
		a.schema = s
	}
	return a.schema, nil
}

// Main runs ydpgen with args and returns the exit code; it is the one place
// that prints errors.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, output: "text"}
	root := newRootCommand(a)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	return a.exit(root.Execute())
}

// exit prints err, unless it was printed already, and returns its exit code.
func (a *app) exit(err error) int {
	stderr := a.stderr
	if err == nil {
		return exitOK
	}
	var fe findingsError
	var ue usageError
	var dl diag.List
	switch {
	case errors.As(err, &fe):
		return exitFindings
	case errors.As(err, &dl):
		if perr := a.printFindings(dl); perr != nil {
			fmt.Fprintf(stderr, "ydpgen: %v\n", perr)
			return exitInternal
		}
		if dl.HasErrors() {
			return exitFindings
		}
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "ydpgen: %v\n", err)
		fmt.Fprintf(stderr, "Run 'ydpgen --help' for usage.\n")
		return exitUsage
	case isFilesError(err):
		fmt.Fprintf(stderr, "ydpgen: %v\n", err)
		return exitFiles
	default:
		fmt.Fprintf(stderr, "ydpgen: internal error (a bug in ydpgen; please report it): %v\n", err)
		return exitInternal
	}
}

// printFindings writes findings as text to stderr or as JSON to stdout,
// with file names relative to the working directory.
func (a *app) printFindings(l diag.List) error {
	l = l.Sort()
	for i := range l {
		l[i].File = displayPath(l[i].File)
	}
	if a.output == "json" {
		if l == nil {
			l = diag.List{}
		}
		return writeJSON(a.stdout, report{OK: !l.HasErrors(), Findings: l})
	}
	for _, f := range l {
		fmt.Fprintln(a.stderr, a.paint(f))
	}
	errs, warns := 0, 0
	for _, f := range l {
		if f.Severity == diag.Error {
			errs++
		} else {
			warns++
		}
	}
	fmt.Fprintf(a.stderr, "%s, %s\n", plural(errs, "error"), plural(warns, "warning"))
	return nil
}

// report is the JSON shape of --output json.
type report struct {
	OK       bool      `json:"ok"`
	Findings diag.List `json:"findings"`
	// Summary holds what a successful command did.
	Summary any `json:"summary,omitempty"`
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// displayPath shows a path relative to the working directory when it lies
// below it, and as given otherwise.
func displayPath(p string) string {
	if p == stdinArg {
		return stdinName
	}
	if p == "" || !filepath.IsAbs(p) {
		return p
	}
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	rel, err := filepath.Rel(wd, p)
	if err != nil || strings.HasPrefix(rel, "..") {
		return p
	}
	return rel
}

func newRootCommand(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "ydpgen",
		Short: "Compile a YellowDataPlatform spec into a GitOps repository",
		Long: `ydpgen turns one declarative spec of a YellowDataPlatform deployment
(DataSurface on Apache Airflow 3) into a kustomize tree with Helm values,
RBAC and one overlay per environment, ready to commit for Argo CD or Flux.

Exit codes: 0 success, 1 findings (invalid spec, lint errors, a diff or
check that is not clean), 2 usage error, 3 internal error (a bug), 4 a
file, directory or tool that cannot be used (a spec that cannot be read,
an output that cannot be written, git missing).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("output") {
				return usagef("--output is gone: --format text|json says how to print, -o/--out DIR names an output directory")
			}
			if err := checkFlags(cmd); err != nil {
				return err
			}
			if f := cmd.Flags().Lookup("format"); f != nil {
				a.useFormat(f.Value.String())
			}
			return a.setColour(cmd)
		},
	}
	// The old spelling of the format flag, kept hidden only to say what
	// replaced it.
	root.PersistentFlags().String("output", "", "")
	_ = root.PersistentFlags().MarkHidden("output")
	addColourFlag(root)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newInitCommand(a),
		newValidateCommand(a),
		newRenderCommand(a),
		newLintCommand(a),
		newExplainCommand(a),
		newCapacityCommand(a),
		newResolveCommand(a),
		newDiffCommand(a),
		newChartCommand(a),
		newSchemaCommand(a),
		newVersionCommand(a),
		newSecretsCommand(a),
	)
	// cobra's completion command (bash, zsh, fish, powershell), added now
	// rather than at Execute, so that help and the README list it.
	root.InitDefaultCompletionCmd()
	if c, _, err := root.Find([]string{"completion"}); err == nil && c != root {
		c.Short = "Print a shell completion script (bash, zsh, fish, powershell)"
		c.Long = `completion prints the script that makes a shell complete ydpgen's
commands, flags and flag values: profiles, formats, the environments of the
spec on the command line, spec paths and lint rule IDs. Load it in the
shell's start-up file; ydpgen completion SHELL --help says where.`
		c.Example = `  source <(ydpgen completion bash)
  ydpgen completion zsh > "${fpath[1]}/_ydpgen"
  ydpgen completion fish > ~/.config/fish/completions/ydpgen.fish`
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("%s: unknown shell %q; shells: bash, fish, powershell, zsh", cmd.CommandPath(), args[0])
			}
			return cmd.Help()
		}
	}
	// Unknown commands and wrong argument counts are usage errors too.
	for _, c := range root.Commands() {
		wrapArgs(c)
	}
	root.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usagef("unknown command %q", args[0])
		}
		return nil
	}
	root.RunE = func(cmd *cobra.Command, args []string) error { return cmd.Help() }
	return root
}

func wrapArgs(c *cobra.Command) {
	if c.Args == nil {
		return
	}
	inner := c.Args
	c.Args = func(cmd *cobra.Command, args []string) error {
		if err := inner(cmd, args); err != nil {
			return usageError{fmt.Errorf("%s: %w", cmd.CommandPath(), err)}
		}
		return nil
	}
}

// specFile is the spec a command-line argument names: a file as given, or
// the platform.yaml (or platform.cue) of a directory, so that
// `ydpgen lint examples/*` works.
func specFile(path string) (string, error) {
	if path == stdinArg {
		return path, nil
	}
	fi, err := os.Stat(path)
	if err != nil || !fi.IsDir() {
		return path, nil // readSpec reports what is wrong
	}
	for _, name := range []string{"platform.yaml", "platform.cue"} {
		p := filepath.Join(path, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", filesErrorf("%s is a directory without a platform.yaml or platform.cue", displayPath(path))
}

// stdinArg is the spec argument that means standard input, and
// stdinName how positions name it.
const (
	stdinArg  = "-"
	stdinName = "<stdin>"
)

// readSpec reads the spec named on the command line, or standard input
// for -, and returns the name positions use. A spec from standard input is
// YAML; a relative path inside it starts at the working directory.
func (a *app) readSpec(path string) (name string, src []byte, err error) {
	if path == stdinArg {
		if a.stdin == nil {
			return "", nil, filesErrorf("cannot read the spec from standard input: there is none")
		}
		// One byte past the limit is enough for the loader to refuse it.
		b, err := io.ReadAll(io.LimitReader(a.stdin, spec.MaxSpecBytes+1))
		if err != nil {
			return "", nil, filesErrorf("cannot read the spec from standard input: %v", err)
		}
		a.stdin = nil // read once; a second - finds it consumed
		return stdinName, b, nil
	}
	b, err := readSpec(path)
	return path, b, err
}

// readSpec reads the spec file named on the command line.
func readSpec(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, filesErrorf("cannot read the spec %s: %v", displayPath(path), reason(err))
	}
	return b, nil
}

// reason is what the operating system said, without the path the message
// already names.
func reason(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// outputDir checks that dir can take a command's output: it is a directory,
// or it does not exist yet and no part of its path is a file. flag names
// the option in messages.
func outputDir(flag, dir string) error {
	want := filepath.Clean(dir)
	for p := want; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		switch {
		case err == nil && fi.IsDir():
			return nil
		case err == nil && p == want:
			return filesErrorf("%s %s is a file, not a directory", flag, displayPath(dir))
		case err == nil:
			return filesErrorf("%s %s lies under %s, which is a file, not a directory", flag, displayPath(dir), displayPath(p))
		case errors.Is(err, fs.ErrPermission):
			return filesErrorf("%s %s cannot be used: %v", flag, displayPath(dir), reason(err))
		}
		// Not there (or under a file, which the parent shows): look up.
		if filepath.Dir(p) == p {
			return nil
		}
	}
}
