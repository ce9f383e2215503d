#!/usr/bin/env bash
# Builds the robustness corpus from packaged photographs: bench/robust/corpus.sh [DIR]
# (default target/robust-corpus). Images stay out of git; this script fetches them.
#
#   DIR/originals/    the tuning set: photographs registered and transformed, on which the
#                     profiles' parameters were chosen (pdq-robust-v1 to v3)
#   DIR/holdout/      the held-out set: 50 more photographs from other packages, added after
#                     v3 was fixed and never used to choose a parameter (many are dark: night
#                     scenes, a forest, a dusk lake, a black notebook)
#   DIR/all/          both, as two links (`quell eval robustness DIR/all` scores 92 together)
#   DIR/distractors/  never registered, only queried for false matches: abstract artwork,
#                     illustrations, paper and wood textures, text pages, drawings
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
# Held-out set (photographs; each was looked at: none shows a person):
#   Debian plasma-workspace-wallpapers 5.27.5   11 photographs (BytheWater ... summer_1am)
#   Debian lomiri-wallpapers-16.04 20.04.0      13 photographs
#   Debian palapeli-data 22.12.3                the 5 puzzle photographs
#   Debian opencv-doc 4.6.0                     21 sample photographs; basketball*, left*/right*
#                                               and messi5 are left out (people), and
#                                               near-duplicates (aloeR, aero3, leuvenB, ...)
# and distractors from the same packages: Plasma's 19 illustrations, lomiri's 4 abstract
# wallpapers, palapeli's 5 wood backgrounds, mypaint-data-extras' paper textures, and opencv's
# drawings, text pages and a photographed painting.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
dir="${1:-$repo/target/robust-corpus}"
vectors="${QUELL_VECTORS:-$repo/../shared/vectors}/pdq/images"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$dir/originals" "$dir/distractors"

mkdir -p "$dir/holdout" "$dir/all"
# apt-get download writes into the current folder as the _apt user when it can; a mktemp
# folder is private to us, so it falls back to downloading as root (and warns).
(cd "$work" && apt-get download mate-backgrounds ukui-wallpapers lomiri-wallpapers-20.04 gnome-backgrounds \
  plasma-workspace-wallpapers lomiri-wallpapers lomiri-wallpapers-16.04 palapeli-data mypaint-data-extras \
  opencv-doc 2>&1 >/dev/null | grep -v 'unsandboxed' >&2 || true)
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

# Held-out set.
kde="$work/root/usr/share/wallpapers"
largest() { ls -S "$1"/contents/images/* | head -1; }
for n in BytheWater ColdRipple ColorfulCups DarkestHour EveningGlow FallenLeaf Grey Kite OneStandsOut Path summer_1am; do
  f="$(largest "$kde/$n")"
  cp "$f" "$dir/holdout/plasma-$n.${f##*.}"
done
for n in Bridge_by_Sander_Klootwijk Dragonfly_by_Bolly Picture_0B_by_freespace Picture_1A_by_freespace \
  Wine_by_Jakkub_Mede aitzgorri_by_Aitzol_Berasategi greentock_by_Peter_Nerlich free_by_Peter_Nerlich \
  friends_by_Aitzol_Berasategi life_by_Aitzol_Berasategi picosdeeuropa_by_Aitzol_Berasategi \
  seeding_by_Clements_Engelhardt sunset_by_Aitzol_Berasategi; do
  cp "$b/$n.jpg" "$dir/holdout/lomiri-$n.jpg"
done
for f in "$work"/root/usr/share/palapeli/collection/*.jpg; do cp "$f" "$dir/holdout/palapeli-$(basename "$f")"; done
o="$work/root/usr/share/doc/opencv-doc/examples"
for f in aero1.jpg aloeL.jpg apple.jpg baboon.jpg board.jpg box_in_scene.png building.jpg butterfly.jpg \
  chicky_512.png ela_original.jpg fruits.jpg graf1.png home.jpg leuvenA.jpg licenseplate_motion.jpg \
  orange.jpg rubberwhale1.png smarties.png squirrel_cls.jpg stuff.jpg; do
  cp "$o/data/$f" "$dir/holdout/opencv-$f"
done
cp "$o/alphamat/input_images/plant.jpg" "$dir/holdout/opencv-plant.jpg"

# Their distractors.
for n in Altai Autumn Canopee Cascade Cluster Elarun Flow FlyingKonqui Honeywave IceCold Kay Kokkini \
  MilkyWay Opal PastelHills Patak SafeLanding Shell Volna; do
  f="$(largest "$kde/$n")"
  cp "$f" "$dir/distractors/plasma-$n.${f##*.}"
done
cp "$b/umang_by_Abhishek_Mudgal.jpg" "$b/analogpattern_by_Peter_Nerlich.jpg" "$b/warty-final-ubuntu.png" \
  "$b/lomiri-default-background.png" "$dir/distractors/"
for f in "$work"/root/usr/share/palapeli/backgrounds/*.jpg; do cp "$f" "$dir/distractors/palapeli-$(basename "$f")"; done
find "$work/root/usr/share/mypaint/backgrounds" -name '*.png' -size +20k | while read -r f; do
  cp "$f" "$dir/distractors/mypaint-$(basename "$(dirname "$f")")-$(basename "$f" | tr ' ' _)"
done
for f in Blender_Suzanne1.jpg HappyFish.jpg pic2.png pic4.png pca_test1.jpg sudoku.png starry_night.jpg \
  cards.png digits.png notes.png imageTextN.png text_defocus.jpg; do
  cp "$o/data/$f" "$dir/distractors/opencv-$f"
done
ln -sfn ../originals "$dir/all/originals"
ln -sfn ../holdout "$dir/all/holdout"
echo "corpus: $(ls "$dir/originals" | wc -l) tuning and $(ls "$dir/holdout" | wc -l) held-out originals, $(ls "$dir/distractors" | wc -l) distractors in $dir"
