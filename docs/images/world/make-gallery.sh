#!/usr/bin/env bash
# Regenerates the gallery in docs/world.md: one 256 px render per prompt, seed 1, guidance 12.
# Usage: docs/images/world/make-gallery.sh [path to pluralist.dll]
set -euo pipefail
dll=${1:-src/Pluralist.Cli/bin/Release/net10.0/pluralist.dll}
out=docs/images/world
tmp=$(mktemp -d)
i=0
while IFS= read -r prompt; do
  [ -z "$prompt" ] && continue
  i=$((i + 1))
  name=$(printf 'g%02d' "$i")
  dotnet "$dll" world render --prompt "$prompt" --seeds 1 --guidance 12 --size 256 --name "$name" --out "$tmp" >/dev/null
  cp "$tmp/$name-s1.png" "$out/$name.png"
  cp "$tmp/$name-s1.json" "$out/$name.json"
done < "$out/prompts.txt"
rm -rf "$tmp"
