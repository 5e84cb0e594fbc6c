#!/usr/bin/env bash
# Refreshes static/vendor/ from the npm registry (no CDN at run time). The files it writes are
# committed, so neither `make run` nor CI needs npm. Source maps are kept beside their files so
# that ManifestStaticFilesStorage can resolve every sourceMappingURL.
set -euo pipefail
cd "$(dirname "$0")/.."
BOOTSTRAP=5.3.9 HTMX=2.0.11 CHARTJS=4.6.1 ICONS=1.13.2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fetch() { (cd "$work" && npm pack "$1" --silent >/dev/null && mkdir -p "$2" && tar xzf ./*.tgz -C "$2" && rm ./*.tgz); }
fetch "bootstrap@$BOOTSTRAP" bs; fetch "htmx.org@$HTMX" htmx; fetch "chart.js@$CHARTJS" chart; fetch "bootstrap-icons@$ICONS" icons
out=static/vendor; rm -rf "$out"; mkdir -p "$out"/{bootstrap,htmx,chartjs,bootstrap-icons/fonts}
for f in bootstrap.min.css bootstrap.min.css.map bootstrap.rtl.min.css bootstrap.rtl.min.css.map; do
  cp "$work/bs/package/dist/css/$f" "$out/bootstrap/"; done
cp "$work/bs/package/dist/js/bootstrap.bundle.min.js" "$work/bs/package/dist/js/bootstrap.bundle.min.js.map" "$out/bootstrap/"
cp "$work/htmx/package/dist/htmx.min.js" "$out/htmx/"
cp "$work/chart/package/dist/chart.umd.min.js" "$work/chart/package/dist/chart.umd.min.js.map" "$out/chartjs/"
cp "$work/icons/package/font/bootstrap-icons.min.css" "$out/bootstrap-icons/"
cp "$work/icons/package/font/fonts/"*.woff2 "$work/icons/package/font/fonts/"*.woff "$out/bootstrap-icons/fonts/"
for pair in bs:bootstrap htmx:htmx chart:chartjs icons:bootstrap-icons; do
  cp "$work/${pair%%:*}/package/LICENSE"* "$out/${pair##*:}/"; done
cat > "$out/VERSIONS" <<V
bootstrap $BOOTSTRAP (MIT)
htmx.org $HTMX (0BSD)
chart.js $CHARTJS (MIT)
bootstrap-icons $ICONS (MIT)
V
echo "vendored into $out"
