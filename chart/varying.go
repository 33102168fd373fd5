package chart

import (
	"path"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"text/template"

	"helm.sh/helm/v4/pkg/chart/common"
	helmchart "helm.sh/helm/v4/pkg/chart/v2"
)

// varyingFuncs are the template functions (Sprig's, as Helm provides them)
// whose results differ from one call to the next: random values, the
// clock, keys and certificates (random keys and serial numbers, validity
// from the clock) and salted hashes or ciphers.
func varyingFuncs() []string {
	return []string{
		"randAlpha", "randAlphaNum", "randAscii", "randNumeric", "randBytes", "randInt", "uuidv4", "shuffle",
		"now", "ago",
		"genPrivateKey", "genCA", "genCAWithKey", "genSelfSignedCert", "genSelfSignedCertWithKey", "genSignedCert", "genSignedCertWithKey",
		"bcrypt", "htpasswd", "encryptAES",
	}
}

// The functions the marks around each template file call.
const (
	enterFunc = "ydpgenEnterTemplateFile"
	leaveFunc = "ydpgenLeaveTemplateFile"
)

// tracker learns, during one render, which template files called a varying
// function (directly, through a named template or tpl, or through a file
// they include, as the checksum annotations do), and which files each file
// includes. Helm's engine executes files one after the other; each file is
// wrapped in marks that keep a stack of the files being executed.
type tracker struct {
	mu       sync.Mutex
	stack    []string
	varying  map[string]bool
	includes map[string]map[string]bool
	// unplaced is set when a varying function ran outside any file.
	unplaced bool
}

func newTracker() *tracker {
	return &tracker{varying: map[string]bool{}, includes: map[string]map[string]bool{}}
}

func (tr *tracker) funcs() template.FuncMap {
	return template.FuncMap{
		enterFunc: func(name string) string {
			tr.mu.Lock()
			defer tr.mu.Unlock()
			if n := len(tr.stack); n > 0 {
				parent := tr.stack[n-1]
				if tr.includes[parent] == nil {
					tr.includes[parent] = map[string]bool{}
				}
				tr.includes[parent][name] = true
			}
			tr.stack = append(tr.stack, name)
			return ""
		},
		leaveFunc: func() string {
			tr.mu.Lock()
			defer tr.mu.Unlock()
			if n := len(tr.stack); n > 0 {
				tr.stack = tr.stack[:n-1]
			}
			return ""
		},
	}
}

// note records a call of a varying function: every file being executed
// depends on its result.
func (tr *tracker) note() {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.stack) == 0 {
		tr.unplaced = true
	}
	for _, f := range tr.stack {
		tr.varying[f] = true
	}
}

// noting wraps a template function so that calling it tells tr.
func noting(fn any, tr *tracker) any {
	v := reflect.ValueOf(fn)
	return reflect.MakeFunc(v.Type(), func(args []reflect.Value) []reflect.Value {
		tr.note()
		if v.Type().IsVariadic() {
			return v.CallSlice(args)
		}
		return v.Call(args)
	}).Interface()
}

// needed are the files a second render must execute: the varying ones and
// every file they include.
func (tr *tracker) needed() map[string]bool {
	out := map[string]bool{}
	var add func(f string)
	add = func(f string) {
		if out[f] {
			return
		}
		out[f] = true
		for child := range tr.includes[f] {
			add(child)
		}
	}
	for f := range tr.varying {
		add(f)
	}
	return out
}

// chartFiles are a loaded chart's and its subcharts' template files, as
// loaded, so that a render can change and restore them.
type chartFiles struct {
	charts []*helmchart.Chart
	files  [][]*common.File
}

func filesOf(hc *helmchart.Chart) *chartFiles {
	cf := &chartFiles{}
	var walk func(c *helmchart.Chart)
	walk = func(c *helmchart.Chart) {
		cf.charts = append(cf.charts, c)
		cf.files = append(cf.files, c.Templates)
		for _, d := range c.Dependencies() {
			walk(d)
		}
	}
	walk(hc)
	return cf
}

// partial says whether Helm's engine executes a template file only when
// something includes it.
func partial(name string) bool { return strings.HasPrefix(path.Base(name), "_") }

// engineName is the name Helm's engine gives a chart's template file.
func engineName(c *helmchart.Chart, f *common.File) string {
	return path.Join(c.ChartFullPath(), f.Name)
}

// instrument wraps every file Helm executes in the tracker's marks. The
// marks print nothing, so the output is the chart's own.
func (cf *chartFiles) instrument() {
	for i, c := range cf.charts {
		files := make([]*common.File, len(cf.files[i]))
		for j, f := range cf.files[i] {
			if f == nil || partial(f.Name) {
				files[j] = f
				continue
			}
			data := make([]byte, 0, len(f.Data)+96)
			data = append(data, "{{ "+enterFunc+" "+strconv.Quote(engineName(c, f))+" }}"...)
			data = append(data, f.Data...)
			data = append(data, "{{ "+leaveFunc+" }}"...)
			files[j] = &common.File{Name: f.Name, Data: data, ModTime: f.ModTime}
		}
		c.Templates = files
	}
}

// definesTemplates finds a file that defines named templates, which other
// files may include by name.
func definesTemplates() *regexp.Regexp {
	return regexp.MustCompile(`\{\{-?\s*(define|block)\s`)
}

// only restores the loaded files, keeping the partials, the files that
// define named templates, and the needed files; it returns the engine names
// of the needed files kept.
func (cf *chartFiles) only(needed map[string]bool) map[string]bool {
	defines := definesTemplates()
	kept := map[string]bool{}
	for i, c := range cf.charts {
		var files []*common.File
		for _, f := range cf.files[i] {
			if f == nil {
				continue
			}
			name := engineName(c, f)
			switch {
			case needed[name]:
				kept[name] = true
				files = append(files, f)
			case partial(f.Name) || defines.Match(f.Data):
				files = append(files, f)
			}
		}
		c.Templates = files
	}
	return kept
}

// restore puts the loaded files back.
func (cf *chartFiles) restore() {
	for i, c := range cf.charts {
		c.Templates = cf.files[i]
	}
}

// fromFiles keeps a render's objects and hooks of the given template files.
func fromFiles(r *Result, files map[string]bool) *Result {
	out := &Result{Objects: []Object{}, Hooks: []Hook{}, Lookups: r.Lookups}
	for _, o := range r.Objects {
		if files[o.Template] {
			out.Objects = append(out.Objects, o)
		}
	}
	for _, h := range r.Hooks {
		if files[h.Template] {
			out.Hooks = append(out.Hooks, h)
		}
	}
	return out
}
