// Package markdown writes the Markdown ydpgen produces: the tree's README,
// SECRETS.md and the diff's pull-request comment. It holds the one builder
// and the escaping rules, so that a name with a backtick or a '|' reads the
// same in every document.
package markdown
