// Package jobhash gives every rendered Job a name that changes when, and
// only when, what the Job runs changes: <name>-<hash of its spec and of the
// ConfigMaps it reads>. A Job's pod template is immutable, so re-applying a
// changed Job under its old name fails (the manual install's "delete the job,
// then apply it again"); under a new name the new run is simply created and
// the old one expires through its ttlSecondsAfterFinished. An unchanged Job
// keeps its name and is not run again.
//
// It is one pass over an environment's whole object set, after every
// generator, so that every Job gets it whichever generator made it, and the
// references to a Job (job-name selectors, `kubectl wait job/<name>` in
// generated documents) follow the new name.
package jobhash
