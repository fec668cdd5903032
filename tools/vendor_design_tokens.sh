#!/usr/bin/env bash
# Vendor the Digital Agency (デジタル庁) design tokens as plain CSS.
#
#   tools/vendor_design_tokens.sh [VERSION]     (default: 1.1.9)
#
# Packs the exact version of the npm package @digital-go-jp/design-tokens into
# a temporary directory (no node_modules, nothing installed), then copies the
# CSS custom-property files and the LICENSE into
#   portal/static/vendor/design-tokens-<VERSION>/
# together with a README.md noting source, version, licence and integrity.
# The result is committed; the site never loads anything from a CDN.
#
# When bumping VERSION, also update DESIGN_TOKENS_VERSION in
# templates/base.html (the <link> to tokens.css) and delete the old folder.
set -euo pipefail

PKG="@digital-go-jp/design-tokens"
VERSION="${1:-1.1.9}"

if ! [[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    echo "error: VERSION must be an exact x.y.z version, got '$VERSION'" >&2
    exit 2
fi
command -v npm >/dev/null || { echo "error: npm is required" >&2; exit 2; }

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$REPO_ROOT/portal/static/vendor/design-tokens-$VERSION"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

echo "Packing $PKG@$VERSION ..."
# npm verifies the tarball against the registry's integrity hash while packing.
(cd "$TMP" && npm pack --silent --json "$PKG@$VERSION" >pack.json)
TARBALL="$(cd "$TMP" && ls ./*.tgz)"
INTEGRITY="$(node -e 'const p=require(process.argv[1]);console.log(p[0].integrity)' "$TMP/pack.json")"
tar -xzf "$TMP/$TARBALL" -C "$TMP"

GOT_VERSION="$(node -e 'console.log(require(process.argv[1]).version)' "$TMP/package/package.json")"
LICENSE_ID="$(node -e 'console.log(require(process.argv[1]).license)' "$TMP/package/package.json")"
if [[ "$GOT_VERSION" != "$VERSION" ]]; then
    echo "error: packed version $GOT_VERSION != requested $VERSION" >&2
    exit 1
fi
for f in dist/tokens.css dist/tokens-simple.css LICENSE; do
    [[ -f "$TMP/package/$f" ]] || { echo "error: $f missing from $PKG@$VERSION" >&2; exit 1; }
done

rm -rf "$DEST"
mkdir -p "$DEST"
cp "$TMP/package/dist/tokens.css" "$DEST/tokens.css"
cp "$TMP/package/dist/tokens-simple.css" "$DEST/tokens-simple.css"
cp "$TMP/package/LICENSE" "$DEST/LICENSE"

cat >"$DEST/README.md" <<README
# デジタル庁デザインシステム デザイントークン / Digital Agency design tokens

Source: npm package \`$PKG\` version $VERSION (dist/tokens.css, dist/tokens-simple.css, LICENSE), unmodified.
License: $LICENSE_ID — Copyright (c) デジタル庁 (Digital Agency, Japan); see LICENSE in this folder.
Integrity: $INTEGRITY
Regenerate: \`tools/vendor_design_tokens.sh $VERSION\`

The portal links \`tokens.css\` (all tokens as CSS custom properties) before
\`css/portal.css\`; \`tokens-simple.css\` is the package's colour/font/elevation subset, kept for reference.
README

echo "Vendored $PKG@$VERSION ($LICENSE_ID) into ${DEST#"$REPO_ROOT"/}"
ls -l "$DEST"
