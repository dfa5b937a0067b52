#!/usr/bin/env bash
# Opens a report page in headless Chromium, as test_report_browser does (it also works by hand):
#   tests/browser_report.sh <report.html> <work dir> <screenshot.png> [<width>,<height>]
# writes <work dir>/dom.html (the DOM the browser built, --dump-dom), <work dir>/console.txt (what the
# page logged to the console: must be empty, the page has no script) and the screenshot.
# A control page that does log proves first that console messages are captured at all.
# Exit 0: done; 1: the browser failed or the page logged something; 77: no Chromium here (skipped).
set -u
page=$1 work=$2 shot=$3 size=${4:-1280,3000}
browser=""
for b in chromium chromium-browser google-chrome; do
  if command -v "$b" >/dev/null 2>&1; then browser=$b; break; fi
done
if [ -z "$browser" ]; then echo "browser_report: no chromium installed: skipped"; exit 77; fi
mkdir -p "$work" || exit 1
profile=$(mktemp -d "$work/profile.XXXXXX") || exit 1
trap 'rm -rf "$profile"' EXIT
# --no-sandbox: Chromium refuses to run as root without it (CI); nothing may be fetched from anywhere
flags=(--headless --no-sandbox --disable-gpu --no-first-run --no-default-browser-check --disable-extensions
       --disable-sync --hide-scrollbars --user-data-dir="$profile" --enable-logging=stderr --v=0
       "--host-resolver-rules=MAP * ~NOTFOUND")
run() { timeout 120 "$browser" "${flags[@]}" "$@"; }
# Chromium writes console messages to stderr as '...:INFO:CONSOLE:<line>] "<text>", source: <url> (<line>)'
console_lines() { grep -E ':CONSOLE[:(]' "$1" || true; }

cat > "$work/control.html" <<'HTML'
<!DOCTYPE html><html><head><meta charset="utf-8"><title>control</title></head>
<body><p>control</p><script>console.error("fedvssl-console-control")</script></body></html>
HTML
run --dump-dom "file://$(realpath "$work/control.html")" > "$work/control.dom" 2> "$work/control.err"
if ! console_lines "$work/control.err" | grep -q fedvssl-console-control; then
  echo "browser_report: the control page's console.error was not captured; cannot check the report (stderr:)"
  grep -v -e dbus -e 'unexpected operator' "$work/control.err" | tail -5
  exit 1
fi

url="file://$(realpath "$page")"
if ! run --dump-dom "$url" > "$work/dom.html" 2> "$work/browser.err"; then
  echo "browser_report: $browser --dump-dom failed:"; tail -5 "$work/browser.err"; exit 1
fi
console_lines "$work/browser.err" > "$work/console.txt"
if [ -s "$work/console.txt" ]; then
  echo "browser_report: the page logged to the console:"; cat "$work/console.txt"; exit 1
fi
rm -f "$shot"
if ! run --screenshot="$shot" --window-size="$size" "$url" > /dev/null 2> "$work/shot.err" || [ ! -s "$shot" ]; then
  echo "browser_report: $browser --screenshot failed:"; tail -5 "$work/shot.err"; exit 1
fi
echo "browser_report: $browser: DOM $(wc -c < "$work/dom.html") bytes, no console messages, screenshot $shot"
