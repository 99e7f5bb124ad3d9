#!/usr/bin/env bash
# Every number the README quotes from a study is in that study's committed report
# (tests/cli/check_readme_numbers.py says what is checked and shows that it can fail).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
/usr/bin/python3 "$here/check_readme_numbers.py" "$here/../.."
