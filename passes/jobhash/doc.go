// Package jobhash gives every rendered Job a name that changes when, and
// only when, what the Job runs changes: <name>-<hash of its spec and of the
// ConfigMaps it reads>. A Job's pod template is immutable, so re-applying a
// changed Job under its old name fails (the manual install's "delete the job,
// then apply it again"); under a new name the new run is simply created and
// the engine prunes the old one. An unchanged Job keeps its name and, since
// no Job carries a time to live, stays where it is and is not run again
// (ARCHITECTURE.md, "Job lifecycle").
//
// It is one pass over an environment's whole object set, after every
// generator, so that every Job gets it whichever generator made it, and the
// references to a Job (job-name selectors, `kubectl wait job/<name>` in
// generated documents) follow the new name.
package jobhash
