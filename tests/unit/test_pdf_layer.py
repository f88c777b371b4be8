"""What can be tested of the WeasyPrint Lambda layer without building it (that needs Docker).

- layers/pdf/fonts.conf, with only its two paths pointed at a temporary folder, is the whole font
  configuration of a fresh process (as on Lambda, where no /etc/fonts exists): WeasyPrint renders
  with Inter, falls back to DejaVu Sans for what Inter lacks, and sees none of this machine's other
  fonts. Each render runs in a subprocess because fontconfig reads its configuration once per
  process.
- layers/pdf/build.sh is valid bash and passes shellcheck (installed by `make setup`), and its
  `layer` step, run on this machine's libraries (PDF_LAYER_ANY_OS=1: no dnf, not for Lambda),
  collects a self-contained library folder and passes its own `check`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree
from pypdf import PdfReader

LAYER = Path(__file__).resolve().parents[2] / "layers" / "pdf"
FONTS_CONF = LAYER / "fonts.conf"
LAYER_FONTS_DIR = "/opt/fonts"
LAYER_CACHE_DIR = "/tmp/fontconfig-cache"

# The layer's fonts as the system has them (Debian: fonts-inter, fonts-dejavu-core; `make setup`).
SYSTEM_FONTS = {
    "Inter-Regular": "/usr/share/fonts/opentype/inter/Inter-Regular.otf",
    "Inter-Bold": "/usr/share/fonts/opentype/inter/Inter-Bold.otf",
    "DejaVuSans": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
}
# A font installed on this machine that the layer does not ship: it must stay invisible.
SYSTEM_ONLY_FAMILY = "Inter Display"

RENDER = (
    """
import sys
import weasyprint

html = '''
<p style="font-family: sans-serif">Faktura 2026-0001, Göteborg</p>
<p style="font-family: Inter; font-weight: 700">Att betala: 1 250,00 kr</p>
<p style="font-family: Inter">Fallback for a glyph Inter lacks: \u2603</p>
<p style="font-family: '"""
    + SYSTEM_ONLY_FAMILY
    + """'">Not shipped in the layer</p>
'''
weasyprint.HTML(string=html).write_pdf(sys.argv[1])
"""
)


def embedded_fonts(pdf: Path) -> set[str]:
    """BaseFont names without the subset tag, as WeasyPrint writes them: {"Inter", "Inter-Bold", ...}."""
    names = set()
    for page in PdfReader(pdf).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).lstrip("/").split("+", 1)[-1])
    return names


@pytest.fixture
def layer_fonts(tmp_path: Path) -> Path:
    """A stand-in for /opt: fonts/ with copies of the system fonts, etc/fonts/fonts.conf."""
    missing = [path for path in SYSTEM_FONTS.values() if not Path(path).is_file()]
    assert not missing, f"system fonts missing (run `make setup`): {missing}"
    fonts = tmp_path / "opt" / "fonts"
    fonts.mkdir(parents=True)
    for path in SYSTEM_FONTS.values():
        shutil.copy(path, fonts)
    conf = FONTS_CONF.read_text(encoding="utf-8")
    conf = conf.replace(LAYER_FONTS_DIR, str(fonts)).replace(LAYER_CACHE_DIR, str(tmp_path / "cache"))
    etc = tmp_path / "opt" / "etc" / "fonts"
    etc.mkdir(parents=True)
    (etc / "fonts.conf").write_text(conf, encoding="utf-8")
    return tmp_path / "opt"


def test_fonts_conf_reads_the_layer_fonts_only_and_caches_in_tmp() -> None:
    conf = etree.parse(str(FONTS_CONF), etree.XMLParser(load_dtd=False, no_network=True)).getroot()

    assert [d.text for d in conf.findall("dir")] == [LAYER_FONTS_DIR]
    assert [d.text for d in conf.findall("cachedir")] == [LAYER_CACHE_DIR]
    assert conf.findall("include") == []  # nothing from the (absent) system configuration


@pytest.mark.parametrize("variable", ["FONTCONFIG_FILE", "FONTCONFIG_PATH"])
def test_weasyprint_renders_with_inter_through_the_layer_fonts_conf(
    layer_fonts: Path, tmp_path: Path, variable: str
) -> None:
    conf_dir = layer_fonts / "etc" / "fonts"
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        variable: str(conf_dir / "fonts.conf" if variable == "FONTCONFIG_FILE" else conf_dir),
    }
    pdf = tmp_path / "document.pdf"

    result = subprocess.run(
        [sys.executable, "-c", RENDER, str(pdf)], env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    fonts = embedded_fonts(pdf)
    assert fonts == {"Inter", "Inter-Bold", "DejaVu-Sans"}, fonts  # and no "Inter-Display"
    assert (tmp_path / "cache").is_dir()  # the cache went where fonts.conf says, not to /opt


# Debian's files (fonts-noto-core, fonts-noto-cjk, fonts-noto-color-emoji; `make setup`), as build.sh stages them.
NOTO_FONTS = [
    "/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansHebrew-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansThai-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf",
]
SCRIPTS = {  # text in each script, and the font fonts.conf must draw it with
    "株式会社みらい商事": "Noto-Sans-CJK-JP", "شركة البيانات": "Noto-Sans-Arabic", "חברת נתונים": "Noto-Sans-Hebrew",
    "บริษัท ข้อมูล": "Noto-Sans-Thai", "डेटा विश्लेषण": "Noto-Sans-Devanagari", "Support 🚀": "Noto-Color-Emoji",
}


def test_the_layer_draws_every_script_with_its_noto_font(layer_fonts: Path, tmp_path: Path) -> None:
    """With the layer's fonts.conf and the Noto files build.sh stages, a `sans-serif` text in each
    script is drawn with its Noto font (and nothing of this machine's other fonts)."""
    missing = [path for path in NOTO_FONTS if not Path(path).is_file()]
    assert not missing, f"Noto fonts missing (run `make setup`): {missing}"
    for path in NOTO_FONTS:
        shutil.copy(path, layer_fonts / "fonts")
    render = ("import sys, weasyprint\n"
              "weasyprint.HTML(string=sys.argv[2]).write_pdf(sys.argv[1])\n")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8",
           "FONTCONFIG_FILE": str(layer_fonts / "etc" / "fonts" / "fonts.conf")}
    for text, font in SCRIPTS.items():
        pdf = tmp_path / "script.pdf"
        html = f'<p style="font-family: sans-serif">Kund 12 {text}</p>'
        result = subprocess.run([sys.executable, "-c", render, str(pdf), html], env=env, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert embedded_fonts(pdf) == {"Inter", font}, (text, embedded_fonts(pdf))


def test_build_script_is_valid_bash() -> None:
    result = subprocess.run(["bash", "-n", str(LAYER / "build.sh")], capture_output=True, text=True)

    assert result.returncode == 0, result.stderr


def test_build_script_passes_shellcheck() -> None:
    assert shutil.which("shellcheck"), "shellcheck is required: install it (Debian package shellcheck; make setup)"
    result = subprocess.run(["shellcheck", str(LAYER / "build.sh")], capture_output=True, text=True)

    assert result.returncode == 0, result.stdout


@pytest.mark.slow
@pytest.mark.skipif(sys.version_info[:2] != (3, 13), reason="the layer is built for the python3.13 runtime")
def test_build_script_lays_out_a_layer_that_renders_with_its_own_libraries(tmp_path: Path) -> None:
    """The `layer` steps (ldd closure, pip, fonts, fonts.conf) and `check`, on Debian's libraries.

    Needs the package index for pip, as the real build does.
    """
    env = {
        "PATH": "/usr/bin:/bin:/usr/sbin:/sbin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "PYTHON": sys.executable,
        "PDF_LAYER_ANY_OS": "1",
        "PDF_LAYER_FONTS": str(tmp_path / "staged-fonts"),
    }
    build = ["bash", str(LAYER / "build.sh")]
    staged = subprocess.run([*build, "fonts"], env=env, capture_output=True, text=True)
    assert staged.returncode == 0, f"system fonts missing (run `make setup`): {staged.stderr}"

    result = subprocess.run(
        [*build, "layer", str(tmp_path / "opt")], env=env, capture_output=True, text=True, timeout=600
    )

    assert result.returncode == 0, result.stderr
    assert "check passed" in result.stdout
    root = tmp_path / "opt"
    libs = {path.name for path in (root / "lib").iterdir()}
    assert {"libpango-1.0.so.0", "libharfbuzz-subset.so.0", "libfontconfig.so.1", "libfribidi.so.0"} <= libs
    assert not libs & {"libc.so.6", "libm.so.6"}  # glibc stays the runtime's
    assert (root / "etc" / "fonts" / "fonts.conf").read_text() == FONTS_CONF.read_text()
    assert (root / "python" / "weasyprint").is_dir()
    assert (root / "fonts" / "Inter-Regular.otf").is_file()
