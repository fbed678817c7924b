#!/usr/bin/env bash
# Prove the wheel: build it from the checkout's files, install it (not editable) into a fresh virtual
# environment, and use the tool from a folder outside the checkout: list the built-in templates, start a
# study, add an actor, a scenario and an impact, brief it with each built-in template, import the brief
# back, print the schema. An editable install finds files beside the checkout; this finds only what the
# wheel holds. .ci/run calls it after `make test`; run it by hand with `bash tools/wheel_smoke.sh`.
#
#   PYTHON=python3.12 bash tools/wheel_smoke.sh     another interpreter (default: python3)
#   KEEP=1 bash tools/wheel_smoke.sh                keep the temporary folder, to look at it afterwards
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/scenmatrix-wheel.XXXXXX")
if [[ -n "${KEEP:-}" ]]; then
  trap 'echo "wheel smoke: kept $WORK"' EXIT
else
  trap 'rm -rf "$WORK"' EXIT
fi
LOG="$WORK/step.log"
STEP=0

fail() {
  echo >&2
  echo "wheel smoke FAILED at step $STEP: $*" >&2
  exit 1
}

# run WHAT COMMAND...: run COMMAND (no stdin), its output to $LOG and $LOG.err; on failure say what failed
# and show both.
run() {
  local what=$1
  shift
  STEP=$((STEP + 1))
  echo "wheel smoke $STEP: $what"
  local rc=0
  "$@" </dev/null >"$LOG" 2>"$LOG.err" || rc=$?
  if ((rc != 0)); then
    echo >&2
    echo "wheel smoke FAILED at step $STEP: $what" >&2
    echo "  command: $*" >&2
    echo "  in: $PWD" >&2
    echo "  exit status: $rc" >&2
    show
    exit 1
  fi
}

show() {
  echo "  its output:" >&2
  sed 's/^/  | /' "$LOG" >&2
  echo "  its error output:" >&2
  sed 's/^/  | /' "$LOG.err" >&2
}

# expect WHAT PATTERN: a line of the last step's standard output matches the extended regular expression PATTERN.
expect() {
  grep -Eq -- "$2" "$LOG" || {
    show
    fail "$1 (no line matches /$2/)"
  }
}

# --- the wheel, from the files git has (what a clean clone holds), never a stale build/ folder -------------
SRC="$WORK/src"
mkdir "$SRC"
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  # tracked and new (not ignored) files as they are in the working tree; deleted ones are left out
  (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do [[ -f "$f" ]] && printf '%s\0' "$f"; done \
    | tar --null -T - -cf -) | tar -xf - -C "$SRC"
else
  tar -C "$ROOT" --exclude=./.venv --exclude=./build --exclude=./dist --exclude='*.egg-info' -cf - . \
    | tar -xf - -C "$SRC"
fi
run "build the wheel" "$PYTHON" -m pip wheel --quiet --no-deps -w "$WORK/dist" "$SRC"
shopt -s nullglob
wheels=("$WORK"/dist/scenmatrix-*.whl)
shopt -u nullglob
((${#wheels[@]} == 1)) || fail "expected one scenmatrix wheel in $WORK/dist, found: $(ls "$WORK/dist")"
WHEEL=${wheels[0]}
echo "  $(basename "$WHEEL")"

# (`run` gives a command no stdin: the checks are script files, not here-documents)
cat >"$WORK/wheel_contents.py" <<'EOF'
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
need = ["scenmatrix/data/study.schema.json", "scenmatrix/data/templates/template.schema.json"]
need += [f"scenmatrix/data/templates/{t}.yaml" for t in ("annex", "executive", "standard")]
missing = [n for n in need if n not in names]
if missing:
    sys.exit("the wheel lacks " + ", ".join(missing)
             + " (is [tool.setuptools.package-data] in pyproject.toml still naming them?)")
EOF
run "the wheel holds the built-in templates and the schemas" "$PYTHON" "$WORK/wheel_contents.py" "$WHEEL"

# --- a fresh environment, the wheel installed as a user would (its dependencies from the registry) --------
run "create a fresh virtual environment" "$PYTHON" -m venv "$WORK/venv"
VENV="$WORK/venv"
run "install the wheel (not editable)" "$VENV/bin/python" -m pip install --quiet "$WHEEL"
SM="$VENV/bin/scenmatrix"
[[ -x "$SM" ]] || fail "installing the wheel made no $SM"

# --- use it from a folder outside the checkout, with nothing of the checkout's environment -----------------
USE="$WORK/use"
mkdir "$USE"
cd "$USE"
unset PYTHONPATH SCENMATRIX_STUDY SCENMATRIX_CACHE VIRTUAL_ENV
export SCENMATRIX_CACHE="$WORK/cache"

run "import scenmatrix from the installed wheel" "$VENV/bin/python" -c \
  'import scenmatrix, sys; print(scenmatrix.__file__); sys.exit(0 if sys.argv[1] in scenmatrix.__file__ else
   "scenmatrix was imported from " + scenmatrix.__file__ + ", not from the fresh environment")' "$VENV/"
expect "scenmatrix comes from the fresh environment" "^$VENV/"

run "scenmatrix --version" "$SM" --version

run "scenmatrix templates" "$SM" templates
for t in annex executive standard; do
  expect "scenmatrix templates lists the built-in template '$t'" "^$t[[:space:]]"
done

STUDY=scenarios/smoke.yaml
run "scenmatrix new" "$SM" new "$STUDY" --title "Wheel smoke test" --as-of 2024-05-01 --marking TLP:AMBER
[[ -s "$STUDY" ]] || fail "scenmatrix new wrote no $USE/$STUDY"

run "scenmatrix add actor" "$SM" add actor IR --name Iran --kind state --alias Tehran -s "$STUDY"
run "scenmatrix add scenario" "$SM" add scenario S1 --title "Deeper cooperation" \
  --narrative "Military cooperation expands." --likelihood likely --confidence moderate \
  --horizon "6-18 months" -s "$STUDY"
run "scenmatrix add impact" "$SM" add impact S1/IR --effect 2 --domain military --domain economic \
  --confidence moderate --rationale "Gains a partner." -s "$STUDY"
run "scenmatrix validate" "$SM" validate "$STUDY"
run "scenmatrix show (the impact is in the study)" "$SM" show "$STUDY"
expect "scenmatrix show lists the actor that was added" "IR|Iran"

for t in standard executive annex; do
  run "scenmatrix brief -t $t" "$SM" brief "$STUDY" -t "$t" -o "briefs/smoke-$t.xlsx"
  [[ -s "briefs/smoke-$t.xlsx" ]] || fail "scenmatrix brief -t $t wrote no $USE/briefs/smoke-$t.xlsx"
done

run "scenmatrix import of the brief just made" "$SM" import briefs/smoke-standard.xlsx -s "$STUDY" --json
cp "$LOG" "$WORK/import.json"
cat >"$WORK/import_check.py" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1], encoding="utf-8"))
changed = {key: value for key, value in report.items() if isinstance(value, list) and value}
if changed:
    sys.exit(f"importing the brief just made, unreviewed, should change nothing, but reports {changed}")
EOF
run "the unreviewed brief imports back as no change" "$VENV/bin/python" "$WORK/import_check.py" "$WORK/import.json"

run "scenmatrix schema" "$SM" schema
cp "$LOG" "$WORK/schema.json"
cat >"$WORK/schema_check.py" <<'EOF'
import json, sys
printed = json.load(open(sys.argv[1], encoding="utf-8"))
shipped = json.load(open(sys.argv[2], encoding="utf-8"))
if printed != shipped:
    sys.exit("`scenmatrix schema` printed something other than src/scenmatrix/data/study.schema.json")
EOF
run "scenmatrix schema prints the study schema the checkout ships" \
  "$VENV/bin/python" "$WORK/schema_check.py" "$WORK/schema.json" "$ROOT/src/scenmatrix/data/study.schema.json"

echo "wheel smoke: all $STEP steps passed ($(basename "$WHEEL"), from $USE)"
