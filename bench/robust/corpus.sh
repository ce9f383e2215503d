#!/usr/bin/env bash
# Builds the robustness corpus from packaged photographs: bench/robust/corpus.sh [DIR]
# (default target/robust-corpus). Images stay out of git; this script fetches them.
#
#   DIR/originals/    photographs (the images registered and transformed)
#   DIR/distractors/  never registered, only queried for false matches: abstract artwork,
#                     textures, text pages, and the vectors' near-duplicate-free extras
#
# Sources (all public packages; no image shows an identifiable person):
#   Debian mate-backgrounds 1.26.0   nature/*.jpg (12 photographs), abstract/Elephants.jpg
#   Debian ukui-wallpapers 20.04.3   photographs (calla, goldfish, the-mouse, string, rhythm,
#                                    firstgeneration, 2004default)
#   Debian lomiri-wallpapers-20.04   Infinite-Sea, Kleiber (photographs)
#   PyPI scikit-learn                china.jpg, flower.jpg
#   PyPI scikit-image                chelsea, coffee, coins, hubble_deep_field, rocket,
#                                    motorcycle_left, moon, retina, ihc (photographs);
#                                    brick, grass, gravel, text, page, clock_motion, logo,
#                                    color (distractors); astronaut and camera are left out
#                                    (people), motorcycle_right too (a near-duplicate)
#   ../shared/vectors/pdq/images     labelme-subset, bridge original, pen-and-coaster,
#                                    (originals; misc-images/modes/original.jpg is the bridge again)
#   Debian gnome-backgrounds 43.1, mate abstract/desktop, lomiri Fossa and Painting-Colors,
#   ukui artwork                      (distractors)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
dir="${1:-$repo/target/robust-corpus}"
vectors="${QUELL_VECTORS:-$repo/../shared/vectors}/pdq/images"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$dir/originals" "$dir/distractors"

(cd "$work" && apt-get download mate-backgrounds ukui-wallpapers lomiri-wallpapers-20.04 gnome-backgrounds >/dev/null)
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
b="$work/root/usr/share/backgrounds"
cp "$b"/mate/nature/*.jpg "$dir/originals/"
cp "$b/mate/abstract/Elephants.jpg" "$dir/originals/"
for f in calla.png goldfish.png the-mouse.jpg string.jpg rhythm.jpg firstgeneration.jpg 2004default.jpg; do
  cp "$b/$f" "$dir/originals/ukui-$f"
done
cp "$b/Infinite-Sea_by_Aury88.jpg" "$b/Kleiber_by_Lukas_Baubkus.jpg" "$dir/originals/"
for f in "$b"/gnome/*.webp; do
  # vnc-*.webp are 1x1 placeholders, not images worth scoring.
  case "$f" in *vnc-*) continue ;; esac
  cp "$f" "$dir/distractors/gnome-$(basename "$f")"
done
cp "$b"/mate/abstract/{Flow,Gulp,Silk,Spring,Waves}.png "$b"/mate/desktop/*.png "$dir/distractors/"
cp "$b/Fossa_by_Jasper_Roks.jpg" "$b/Painting-Colors_by__herobrine7gamer.jpg" "$dir/distractors/"
for f in city.png desert.png fluent-color.png focal-ubuntukylin.png rollpaper.png; do
  cp "$b/$f" "$dir/distractors/ukui-$f"
done

pip download --quiet --no-deps -d "$work/pip" scikit-learn scikit-image
(cd "$work/pip" && for w in *.whl; do python3 -m zipfile -e "$w" unpacked; done)
cp "$work"/pip/unpacked/sklearn/datasets/images/{china,flower}.jpg "$dir/originals/"
s="$work/pip/unpacked/skimage/data"
for f in chelsea.png coffee.png coins.png hubble_deep_field.jpg rocket.jpg motorcycle_left.png moon.png retina.jpg ihc.png; do
  cp "$s/$f" "$dir/originals/skimage-$f"
done
for f in brick.png grass.png gravel.png text.png page.png clock_motion.png logo.png color.png; do
  cp "$s/$f" "$dir/distractors/skimage-$f"
done

cp "$vectors"/reg-test-input/labelme-subset/*.jpg "$dir/originals/"
cp "$vectors/reg-test-input/dih/bridge-1-original.jpg" "$vectors/reg-test-input/pen-and-coaster.png" "$dir/originals/"
echo "corpus: $(ls "$dir/originals" | wc -l) originals, $(ls "$dir/distractors" | wc -l) distractors in $dir"
