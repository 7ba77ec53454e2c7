#!/usr/bin/env bash
# Installs the Debian packages that the tests need when they are missing: Chromium for the browser tests,
# CJK and emoji fonts so that screenshots show what a phone shows, PostgreSQL for the second database run, and the guides' handwriting
# font (LXGW WenKai, SIL Open Font License 1.1; pinned: font subsets are keyed by the file they come from).
set -euo pipefail
GUIDE_FONT_DEB="fonts-lxgw-wenkai=1.250+repack-1"
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null || need+=(fonts-noto-cjk)  # not grep -q: pipefail + SIGPIPE
# Emoji, as every phone has them (the errand kinds' icons): without the font, screenshots show empty boxes.
fc-list 2>/dev/null | grep -i "Noto Color Emoji" >/dev/null || need+=(fonts-noto-color-emoji)
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
command -v pg_dump >/dev/null 2>&1 || need+=(postgresql-client)  # backup and restore on PostgreSQL
[ -f /usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Regular.ttf ] || need+=("$GUIDE_FONT_DEB")
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing Debian packages: ${need[*]}. Install them (sudo apt-get install ${need[*]}) and run again." >&2
    exit 1
  fi
  echo "Installing ${need[*]} ..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
