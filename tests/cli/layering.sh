#!/usr/bin/env bash
# The layering of DESIGN §5 (docs/architecture.md): a file under src/LAYER/ includes only
# headers of its own layer and of the layers below it. The build links each layer as a
# shared library with --no-undefined, which catches calls upward; this test also catches
# an upward #include of a header whose code is all inline.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src="$here/../../src"
declare -A below=(
  [core]=""
  [data]="core"
  [operators]="core"
  [generative]="core data"
  [report]="core"
  [priors]="core generative"
  [diagnostics]="core generative operators"
  [inference]="core generative operators priors diagnostics"
  [methods]="core data generative operators priors diagnostics inference"
  [study]="core data generative operators priors diagnostics inference methods"
  [app]="core data generative operators priors diagnostics inference methods study report"
)
failures=0
for layer in "${!below[@]}"; do
  [ -d "$src/$layer" ] || { echo "FAIL: src/$layer/ is missing" >&2; failures=$((failures + 1)); continue; }
  allowed=" $layer ${below[$layer]} "
  while IFS= read -r line; do
    file=${line%%:*}
    target=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$line")
    [ -d "$src/$target" ] || continue  # generated headers and the like
    if [[ "$allowed" != *" $target "* ]]; then
      echo "FAIL: ${file#"$src"/} includes $target/ (src/$layer/ may include: ${below[$layer]:-nothing})" >&2
      failures=$((failures + 1))
    fi
  done < <(grep -rHE '^#include "[a-z_]+/' "$src/$layer" --include='*.hpp' --include='*.cpp' || true)
done
for directory in "$src"/*/; do
  name=$(basename "$directory")
  [ -n "${below[$name]+set}" ] || { echo "FAIL: src/$name/ is in no layer of this test" >&2; failures=$((failures + 1)); }
done
[ "$failures" -eq 0 ] || exit 1
echo "cli layering: every include points down the layers"
