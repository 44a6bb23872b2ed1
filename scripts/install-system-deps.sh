#!/usr/bin/env bash
# Installs the Debian packages the end-to-end tests and `npm start` need, if they are missing:
# chromium (headless browser for the workbench), libkrb5-dev (a native module of code-server),
# ripgrep (VS Code's search binary, which @vscode/ripgrep cannot download here).
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
[ -e /usr/include/krb5.h ] || [ -e /usr/include/krb5/krb5.h ] || missing+=(libkrb5-dev)
if [ ${#missing[@]} -eq 0 ]; then
  echo "[setup] system packages present: chromium, ripgrep, libkrb5-dev"
  exit 0
fi
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
echo "[setup] installing ${missing[*]}"
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
