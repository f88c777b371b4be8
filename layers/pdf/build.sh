#!/usr/bin/env bash
# Builds the PDF layer: WeasyPrint with the native libraries and fonts it needs, for Lambda's
# python3.13 runtime (Amazon Linux 2023, which has no Pango). See README.md.
#
#   build.sh fonts [DIR]       on the developer's machine or CI: stage the document fonts (Inter,
#                              DejaVu, Noto) from the system into DIR (default: layers/pdf/fonts), so the
#                              layer renders with exactly the fonts local PDFs are made with
#   build.sh layer ARTIFACTS   inside an Amazon Linux 2023 build container, as `sam build
#                              --use-container` runs it (Makefile target build-PdfLayer): lay out the
#                              layer in ARTIFACTS (it becomes /opt), then run `check` on it
#   build.sh check ROOT        render a PDF with only the layer at ROOT on the library path, the
#                              Python path and the font configuration; fail unless Pango,
#                              HarfBuzz and fontconfig are the layer's own and the text is in Inter
#
# Layer layout (under /opt on Lambda):
#   lib/             Pango, HarfBuzz (+ subset), fontconfig, FreeType, fribidi, GLib and every
#                    library they link, except glibc, which always comes from the runtime
#   python/          weasyprint (layers/pdf/requirements.txt) and its Python dependencies
#   fonts/           Inter (the document font), DejaVu and Noto (every other script, emoji), licences
#   etc/fonts/       fonts.conf: /opt/fonts only, cache in /tmp (FONTCONFIG_PATH=/opt/etc/fonts)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${PYTHON:-python3}"
FONTS_DIR="${PDF_LAYER_FONTS:-$HERE/fonts}" # where `fonts` stages and `layer` takes the fonts
# PDF_LAYER_ANY_OS=1 runs `layer` on another Linux with the libraries already installed (no dnf):
# a way to try this script, not to build what Lambda gets.
PDF_LAYER_ANY_OS="${PDF_LAYER_ANY_OS:-}"

# The libraries WeasyPrint dlopens (weasyprint/text/ffi.py); ldd finds what they link.
ROOT_LIBS=(
  libgobject-2.0.so.0
  libpango-1.0.so.0
  libpangoft2-1.0.so.0
  libharfbuzz.so.0
  libharfbuzz-subset.so.0
  libfontconfig.so.1
  libfreetype.so.6
  libfribidi.so.0
)
# Used when present (newer HarfBuzz releases: SVG glyph rendering).
OPTIONAL_LIBS=(libharfbuzz-vector.so.0)
# Never shipped: the C library and its loader must be the runtime's own.
GLIBC_RE='^(ld-linux[^ ]*|linux-vdso|linux-gate|libc|libm|libmvec|libdl|libpthread|librt|libresolv|libutil|libanl|libnsl|libBrokenLocale|libthread_db)[.]so'

# Fonts, by file name without extension. The document uses Inter 400/500/600/700 and italics;
# DejaVu Sans/Serif/Mono cover the symbols and scripts Inter lacks and the serif brand option.
INTER_FONTS=(
  Inter-Regular Inter-Italic Inter-Medium Inter-MediumItalic
  Inter-SemiBold Inter-SemiBoldItalic Inter-Bold Inter-BoldItalic
)
DEJAVU_FONTS=(DejaVuSans DejaVuSans-Bold DejaVuSerif DejaVuSerif-Bold DejaVuSansMono DejaVuSansMono-Bold)
# Every script a customer's name may be in (Inter and DejaVu cover Latin, Greek and Cyrillic): Noto,
# regular and bold (the documents' names and amounts are bold), one file per script, from Debian's
# fonts-noto-core, fonts-noto-cjk (one collection with the Japanese, Korean and Chinese faces) and
# fonts-noto-color-emoji. Sizes in README.md.
NOTO_FONTS=(
  NotoSansArabic-Regular NotoSansArabic-Bold NotoSansHebrew-Regular NotoSansHebrew-Bold
  NotoSansThai-Regular NotoSansThai-Bold NotoSansDevanagari-Regular NotoSansDevanagari-Bold
  NotoSansCJK-Regular NotoSansCJK-Bold NotoColorEmoji
)
# In Debian's fonts-dejavu-extra; without them italic DejaVu text is slanted synthetically.
DEJAVU_OPTIONAL_FONTS=(DejaVuSans-Oblique DejaVuSans-BoldOblique DejaVuSerif-Italic DejaVuSerif-BoldItalic)
FONT_SEARCH_PATH="${FONT_SEARCH_PATH:-/usr/share/fonts:/usr/local/share/fonts}"

log() { printf '[pdf-layer] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# --- fonts: stage the document fonts from this machine ------------------------------------------

find_font() {
  local stem=$1 dir found
  local -a dirs
  IFS=: read -ra dirs <<<"$FONT_SEARCH_PATH"
  for dir in "${dirs[@]}"; do
    [[ -d $dir ]] || continue
    found=$(find "$dir" -type f \( -name "$stem.otf" -o -name "$stem.ttf" -o -name "$stem.ttc" \) -print -quit)
    if [[ -n $found ]]; then
      printf '%s\n' "$found"
      return 0
    fi
  done
  return 1
}

stage_fonts() {
  local dest=${1:-$FONTS_DIR} stem path
  mkdir -p "$dest"
  for stem in "${INTER_FONTS[@]}" "${DEJAVU_FONTS[@]}" "${NOTO_FONTS[@]}"; do
    path=$(find_font "$stem") ||
      die "font $stem not found under $FONT_SEARCH_PATH (Debian: apt-get install fonts-inter fonts-dejavu-core" \
        "fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji; make setup)"
    cp "$path" "$dest/"
  done
  for stem in "${DEJAVU_OPTIONAL_FONTS[@]}"; do
    if path=$(find_font "$stem"); then
      cp "$path" "$dest/"
    else
      log "optional font $stem not found (Debian: fonts-dejavu-extra); skipped"
    fi
  done
  # Every licence allows redistribution (Inter and Noto: SIL OFL 1.1); ship them beside the fonts.
  local package licence
  for package in fonts-inter:Inter fonts-dejavu-core:DejaVu fonts-noto-core:Noto fonts-noto-cjk:NotoCJK \
    fonts-noto-color-emoji:NotoColorEmoji; do
    licence=/usr/share/doc/${package%%:*}/copyright
    [[ -f $licence ]] && cp "$licence" "$dest/LICENSE-${package#*:}.txt"
  done
  log "staged $(find "$dest" -maxdepth 1 -type f \( -name '*.otf' -o -name '*.ttf' -o -name '*.ttc' \) | wc -l)" \
    "fonts ($(du -sh "$dest" | cut -f1)) in $dest"
}

# --- layer: inside the Amazon Linux 2023 build container ----------------------------------------

install_packages() {
  local dnf
  local -a as_root=()
  dnf=$(command -v dnf || command -v microdnf) || die "neither dnf nor microdnf found: not an Amazon Linux 2023 image?"
  [[ $(id -u) == 0 ]] || as_root=(sudo)
  log "installing Pango, HarfBuzz, fontconfig, FreeType, fribidi with $dnf"
  "${as_root[@]}" "$dnf" install -y --setopt=install_weak_deps=False \
    pango harfbuzz fontconfig freetype fribidi glib2 binutils findutils >&2
}

find_library() {
  local name=$1 dir
  for dir in /usr/lib64 /lib64; do
    if [[ -e $dir/$name ]]; then
      printf '%s\n' "$dir/$name"
      return 0
    fi
  done
  # Elsewhere (PDF_LAYER_ANY_OS): wherever the loader's cache has the 64-bit one.
  ldconfig -p 2>/dev/null | awk -v name="$name" '$1 == name && /64/ {print $NF; found = 1; exit} END {exit !found}'
}

copy_libraries() {
  local dest=$1 name path dep_name dep_path optional
  local -A wanted=()
  mkdir -p "$dest"
  for name in "${ROOT_LIBS[@]}" "${OPTIONAL_LIBS[@]}"; do
    path=$(find_library "$name" || true)
    if [[ -z $path ]]; then
      optional=false
      [[ " ${OPTIONAL_LIBS[*]} " == *" $name "* ]] && optional=true
      $optional || die "$name not found after installing the packages"
      log "optional $name not in this distribution; skipped"
      continue
    fi
    if ldd "$path" | grep -q 'not found'; then
      die "$name has unresolved dependencies: $(ldd "$path" | grep 'not found' | tr -s '\t\n' '  ')"
    fi
    wanted[$name]=$path
    while read -r dep_name dep_path; do
      wanted[$dep_name]=$dep_path
    done < <(ldd "$path" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}')
  done
  local copied=0
  for name in "${!wanted[@]}"; do
    [[ $name =~ $GLIBC_RE ]] && continue
    cp -L "${wanted[$name]}" "$dest/$name" # by soname, the name the dynamic loader looks for
    copied=$((copied + 1))
  done
  strip --strip-unneeded "$dest"/*.so* 2>/dev/null || log "strip failed; libraries left unstripped"
  log "copied $copied libraries into $dest (glibc stays the runtime's)"
}

install_python() {
  local dest=$1
  "$PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 13), sys.version' ||
    die "$PYTHON is not Python 3.13 (the runtime the layer is for)"
  log "installing $(grep -v '^#' "$HERE/requirements.txt" | xargs) into $dest"
  "$PYTHON" -m pip install --quiet --no-cache-dir --disable-pip-version-check --only-binary=:all: \
    --requirement "$HERE/requirements.txt" --target "$dest" >&2
  rm -rf "${dest:?}/bin" # console scripts: nothing on Lambda runs them
}

copy_fonts() {
  local src=$FONTS_DIR dest=$1
  [[ -f $src/Inter-Regular.otf || -f $src/Inter-Regular.ttf ]] ||
    die "no staged fonts in $src: run 'layers/pdf/build.sh fonts' on the host first (make pdf-fonts)"
  mkdir -p "$dest"
  [[ -f $src/NotoSansCJK-Regular.ttc ]] ||
    die "the staged fonts in $src predate the Noto fonts: run 'layers/pdf/build.sh fonts' again (make pdf-fonts)"
  find "$src" -maxdepth 1 -type f \( -name '*.otf' -o -name '*.ttf' -o -name '*.ttc' -o -name 'LICENSE*' \) \
    -exec cp {} "$dest/" \;
}

build_layer() {
  local out=${1:?usage: build.sh layer ARTIFACTS_DIR}
  local os_id="" os_version="" os_name="unknown"
  if [[ -r /etc/os-release ]]; then
    # shellcheck disable=SC1091 # the build container's, not ours
    os_id=$(. /etc/os-release && printf '%s' "${ID:-}")
    # shellcheck disable=SC1091
    os_version=$(. /etc/os-release && printf '%s' "${VERSION_ID:-}")
    # shellcheck disable=SC1091
    os_name=$(. /etc/os-release && printf '%s' "${PRETTY_NAME:-unknown}")
  fi
  if [[ -n $PDF_LAYER_ANY_OS ]]; then
    log "PDF_LAYER_ANY_OS: building on $os_name with its installed libraries; not for Lambda"
  else
    [[ $os_id == amzn && $os_version == 2023 ]] ||
      die "run this inside an Amazon Linux 2023 build container (sam build --use-container), not on $os_name"
  fi
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
  copy_fonts "$out/fonts" # first: fail fast when the fonts were not staged
  [[ -n $PDF_LAYER_ANY_OS ]] || install_packages
  copy_libraries "$out/lib"
  install_python "$out/python"
  install -D -m 0644 "$HERE/fonts.conf" "$out/etc/fonts/fonts.conf"
  check_layer "$out"
  log "layer size: $(du -sh "$out" | cut -f1) unzipped (lib $(du -sh "$out/lib" | cut -f1)," \
    "python $(du -sh "$out/python" | cut -f1), fonts $(du -sh "$out/fonts" | cut -f1))"
}

# --- check: render with nothing but the layer ---------------------------------------------------

check_layer() {
  local root=${1:?usage: build.sh check LAYER_ROOT} scratch lib python
  root=$(cd "$root" && pwd)
  python=$(command -v "$PYTHON") || die "$PYTHON not found"
  scratch=$(mktemp -d)
  # shellcheck disable=SC2064 # expand now: scratch is local
  trap "rm -rf '$scratch'" RETURN
  # Every library the layer ships must resolve inside it (glibc aside).
  if command -v ldd >/dev/null; then
    for lib in "$root"/lib/*.so*; do
      if LD_LIBRARY_PATH="$root/lib" ldd "$lib" | awk -v root="$root/lib/" -v glibc="$GLIBC_RE" \
        '$2 == "=>" && !($1 ~ glibc) && index($3, root) != 1 {print; bad = 1} END {exit bad}' >&2; then
        :
      else
        die "$(basename "$lib") links a library the layer does not ship (above)"
      fi
    done
  fi
  # fonts.conf as Lambda reads it, its two paths moved when the layer is not mounted at /opt.
  sed -e "s#/opt/fonts#$root/fonts#" -e "s#/tmp/fontconfig-cache#$scratch/cache#" \
    "$root/etc/fonts/fonts.conf" >"$scratch/fonts.conf"
  # The library path Lambda's would be with the layer first (the function sets it so, see README).
  env -i PATH="/usr/bin:/bin" HOME="$scratch" LANG=C.UTF-8 \
    LD_LIBRARY_PATH="$root/lib:/var/lang/lib:/lib64:/usr/lib64" PYTHONPATH="$root/python" \
    FONTCONFIG_FILE="$scratch/fonts.conf" "$python" - "$root" <<'PY'
import re
import sys

import weasyprint
from weasyprint.text import ffi

root = sys.argv[1]
assert ffi.harfbuzz_subset is not None, "libharfbuzz-subset did not load"
html = ('<p style="font-family: sans-serif">Faktura 2026-0001 <b>1 250,00 kr</b> \u2603 '
        '\u682a\u5f0f\u4f1a\u793e \u0634\u0631\u0643\u0629 \u05d7\u05d1\u05e8\u05d4 '
        '\u0e1a\u0e23\u0e34\u0e29\u0e31\u0e17 \u0921\u0947\u091f\u093e \U0001f680</p>')
pdf = weasyprint.HTML(string=html).write_pdf(uncompressed_pdf=True)
with open("/proc/self/maps") as maps:
    loaded = {line.split()[-1] for line in maps if ".so" in line}
for lib in ("libpango-1.0.so", "libharfbuzz.so", "libharfbuzz-subset.so", "libfontconfig.so", "libgobject-2.0.so"):
    paths = {path for path in loaded if f"/{lib}" in path}
    assert paths and all(path.startswith(f"{root}/lib/") for path in paths), (lib, paths)
fonts = {name.decode() for name in re.findall(rb"/BaseFont\s*/(?:[A-Z]{6}\+)?([\w.-]+)", pdf)}
expected = {"Inter", "Inter-Bold", "DejaVu-Sans", "Noto-Sans-CJK-JP", "Noto-Sans-Arabic", "Noto-Sans-Hebrew",
            "Noto-Sans-Thai", "Noto-Sans-Devanagari", "Noto-Color-Emoji"}
assert expected <= fonts, expected - fonts
print(f"[pdf-layer] check passed: {len(pdf)} byte PDF, fonts {sorted(fonts)}, libraries from {root}/lib")
PY
}

case "${1:-}" in
fonts) stage_fonts "${2:-}" ;;
layer) build_layer "${2:-}" ;;
check) check_layer "${2:-}" ;;
*)
  sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
  exit 2
  ;;
esac
