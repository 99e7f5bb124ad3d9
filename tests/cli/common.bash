# Shared by the command-line tests (sourced; expects $priorbench to be set).

# expect_failure PATTERN ARGS...: `priorbench ARGS...` must exit non-zero with a one-line
# error containing PATTERN (CLI11's usage errors add a "Run with --help" line).
expect_failure() {
  local pattern=$1
  shift
  local output status=0
  output=$("$priorbench" "$@" 2>&1) || status=$?
  if [ "$status" -eq 0 ]; then
    echo "FAIL: expected failure for: $*" >&2
    exit 1
  fi
  if ! grep -q -- "$pattern" <<<"$output"; then
    echo "FAIL: expected '$pattern' in the error for: $*; got: $output" >&2
    exit 1
  fi
  if [ "$(grep -c . <<<"$output")" -ne 1 ] && [[ "$output" != *"Run with --help"* ]]; then
    echo "FAIL: error for '$*' is not one line: $output" >&2
    exit 1
  fi
}
