package datasurface

// PublishScript is the POSIX shell script the infrastructure DAG's publish
// Job runs from its ConfigMap (the Job's name carries a hash of it). Its
// arguments are ring 0's command line; its environment says where things
// are:
//
//	MODEL_REPOSITORY, MODEL_REF   the model, cloned into MODEL_DIR
//	MODEL_GIT_USERNAME/PASSWORD   its credential, if it has one
//	GENERATED_DIR                 where ring 0 writes the PSP's files
//	DAG_FILE                      the infrastructure DAG's file name
//	DAG_REPOSITORY, DAG_BRANCH    git-sync's repository and branch
//	DAG_PATH                      git-sync's subPath ("" for the root)
//	DAG_GIT_USERNAME/PASSWORD     a credential that may push there
//	DAG_CREDENTIAL                the Secret that holds it, for messages
//	WORK_DIR                      scratch space for the DAG clone
//	PUSH_ATTEMPTS                 how often a moving branch is retried
//
// It clones the model at its ref, runs ring 0, fetches the DAG branch (or
// starts it when it does not exist yet: git-sync waits for it), puts every
// DAG ring 0 wrote under DAG_PATH, commits only when a file changed, and
// pushes without force. A push the branch's new commits refuse is fetched,
// rebased and retried up to PUSH_ATTEMPTS times; a rebase that conflicts,
// a push refused for another reason, or a credential the host refuses ends
// the Job with one line that says what to do. Credentials reach git
// through a credential helper that reads them from the environment, never
// through a URL or a command line.
func PublishScript() string {
	return `#!/bin/sh
# Rendered by ydpgen: publishes DataSurface's ring-0 infrastructure DAG to
# the DAG repository git-sync serves Airflow from.
set -eu

say() { echo "publish: $*"; }
fail() { echo "publish: error: $*" >&2; exit 1; }

: "${MODEL_REPOSITORY:?}" "${MODEL_REF:?}" "${MODEL_DIR:?}" "${GENERATED_DIR:?}" "${DAG_FILE:?}"
: "${DAG_REPOSITORY:?}" "${DAG_BRANCH:?}" "${WORK_DIR:?}" "${PUSH_ATTEMPTS:=5}"
DAG_PATH=${DAG_PATH:-}
DAG_CREDENTIAL=${DAG_CREDENTIAL:-the DAG credential}
[ "$#" -gt 0 ] || fail "no ring-0 command given"

# git never asks on a terminal: a credential comes from the helpers below.
export GIT_TERMINAL_PROMPT=0
export GIT_AUTHOR_NAME="${GIT_AUTHOR_NAME:-ydpgen}" GIT_AUTHOR_EMAIL="${GIT_AUTHOR_EMAIL:-ydpgen@ydpgen.invalid}"
export GIT_COMMITTER_NAME="${GIT_COMMITTER_NAME:-$GIT_AUTHOR_NAME}" GIT_COMMITTER_EMAIL="${GIT_COMMITTER_EMAIL:-$GIT_AUTHOR_EMAIL}"
# The helpers, not this shell, expand the variables: single quotes.
model_helper='!f() { test "$1" = get || return 0; echo "username=${MODEL_GIT_USERNAME}"; echo "password=${MODEL_GIT_PASSWORD}"; }; f'
dag_helper='!f() { test "$1" = get || return 0; echo "username=${DAG_GIT_USERNAME}"; echo "password=${DAG_GIT_PASSWORD}"; }; f'
model_git() {
  if [ -n "${MODEL_GIT_PASSWORD:-}" ]; then
    git -c credential.helper= -c "credential.helper=$model_helper" "$@"
  else
    git -c credential.helper= "$@"
  fi
}
dag_git() {
  if [ -n "${DAG_GIT_PASSWORD:-}" ]; then
    git -c credential.helper= -c "credential.helper=$dag_helper" "$@"
  else
    git -c credential.helper= "$@"
  fi
}
mkdir -p "$WORK_DIR"
WORK_DIR=$(cd "$WORK_DIR" && pwd)
err="$WORK_DIR/git-error"

say "cloning the model $MODEL_REPOSITORY at $MODEL_REF"
rm -rf "$MODEL_DIR"
model_git clone --quiet --depth 1 --branch "$MODEL_REF" "$MODEL_REPOSITORY" "$MODEL_DIR" 2>"$err" ||
  fail "cannot clone the model $MODEL_REPOSITORY at $MODEL_REF (check datasurface.model.ref and its credential): $(cat "$err")"

say "running ring 0: $*"
"$@" || fail "ring 0 failed (exit $?): the lines above are DataSurface's; check the model, datasurface.psp and datasurface.rte"
[ -f "$GENERATED_DIR/$DAG_FILE" ] ||
  fail "ring 0 wrote no $DAG_FILE in $GENERATED_DIR: does the model name the PSP and RTE of the spec?"
GENERATED_DIR=$(cd "$GENERATED_DIR" && pwd)

dags="$WORK_DIR/dags"
rm -rf "$dags"
git init --quiet "$dags"
cd "$dags"
git remote add origin "$DAG_REPOSITORY"
heads=$(dag_git ls-remote --heads origin "refs/heads/$DAG_BRANCH" 2>"$err") ||
  fail "cannot read the DAG repository $DAG_REPOSITORY with $DAG_CREDENTIAL: check that the token is valid and may read and push to it: $(cat "$err")"
if [ -n "$heads" ]; then
  dag_git fetch --quiet origin "refs/heads/$DAG_BRANCH" 2>"$err" ||
    fail "cannot fetch $DAG_BRANCH from $DAG_REPOSITORY: $(cat "$err")"
  git checkout --quiet -B "$DAG_BRANCH" FETCH_HEAD
else
  # git-sync cannot start on a branch that does not exist: make it.
  say "the branch $DAG_BRANCH does not exist yet: creating it"
  git checkout --quiet --orphan "$DAG_BRANCH"
fi

target=.
[ -z "$DAG_PATH" ] || target=$DAG_PATH
mkdir -p "$target"
for f in "$GENERATED_DIR"/*_dag.py; do
  cp "$f" "$target/"
  git add -- "$target/$(basename "$f")"
done
if git diff --cached --quiet; then
  say "the DAGs in $DAG_REPOSITORY ($DAG_BRANCH, ${DAG_PATH:-/}) are up to date: nothing to commit"
  exit 0
fi
git commit --quiet -m "Publish the infrastructure DAG $DAG_FILE (ydpgen)"

attempt=1
while :; do
  if dag_git push --quiet origin "HEAD:refs/heads/$DAG_BRANCH" 2>"$err"; then
    say "published $DAG_FILE to $DAG_REPOSITORY ($DAG_BRANCH) as $(git rev-parse --short HEAD)"
    exit 0
  fi
  refused=$(cat "$err")
  why="the push to $DAG_REPOSITORY ($DAG_BRANCH) was refused: check that $DAG_CREDENTIAL may push and that no branch protection forbids it: $refused"
  heads=$(dag_git ls-remote --heads origin "refs/heads/$DAG_BRANCH" 2>"$err") || fail "$why"
  # No branch, or nothing new on it: not a race but a refusal.
  [ -n "$heads" ] || fail "$why"
  dag_git fetch --quiet origin "refs/heads/$DAG_BRANCH" 2>"$err" || fail "$why"
  ! git merge-base --is-ancestor FETCH_HEAD HEAD || fail "$why"
  [ "$attempt" -lt "$PUSH_ATTEMPTS" ] ||
    fail "$DAG_BRANCH kept moving: gave up after $PUSH_ATTEMPTS pushes (nothing was forced); run the Job again"
  say "$DAG_BRANCH moved while publishing: rebasing (push $attempt of $PUSH_ATTEMPTS)"
  if ! git rebase --quiet FETCH_HEAD >"$err" 2>&1; then
    git rebase --abort || true
    fail "$DAG_BRANCH changed the DAG files too and the change conflicts with ring 0's: merge them by hand (nothing was forced): $(cat "$err")"
  fi
  if [ -z "$(git rev-list FETCH_HEAD..HEAD)" ]; then
    say "$DAG_BRANCH already has these DAGs: nothing to push"
    exit 0
  fi
  attempt=$((attempt + 1))
done
`
}
