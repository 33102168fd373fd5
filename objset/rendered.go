package objset

// File is a rendered file that is not a Kubernetes object (Helm values, a
// README, the capacity chart). Path is relative and uses '/': to the
// environment's overlay directory while an environment renders, to the tree's
// root once laid out.
type File struct {
	Path string
	Data []byte
	// Object, when set, is the one object the file holds, kept byte for
	// byte as it was written outside ydpgen (an encrypted Secret): the
	// overlay lists the file among its resources, and the wiring reads the
	// object's stage from it.
	Object *Entry
}

// RenderedEnvironment is one environment after rendering: its objects
// (namespaced ones carry the environment's namespace), after the passes over
// the whole set, and its other files, with paths relative to the overlay
// directory. It is what the layout, the GitOps wiring, lint and review read.
type RenderedEnvironment struct {
	Name      string
	Namespace string
	Objects   []Entry
	Files     []File
}
