"""Pillow: create an image, draw on it (shapes and text in the default font, through the
vendored FreeType), save it as PNG and JPEG in a temporary directory (vendored zlib and
libjpeg), reload both and print what came back."""

import os
import tempfile

from PIL import Image, ImageDraw, ImageFilter, ImageFont, features


def main() -> None:
    image = Image.new("RGB", (32, 24), (10, 20, 30))
    draw = ImageDraw.Draw(image)
    draw.rectangle((4, 4, 12, 12), fill=(255, 0, 0))
    draw.line((0, 23, 31, 0), fill=(0, 255, 0), width=1)
    draw.text((14, 2), "Hi", fill=(255, 255, 255), font=ImageFont.load_default())
    with tempfile.TemporaryDirectory() as scratch:
        png = os.path.join(scratch, "picture.png")
        image.save(png)
        with Image.open(png) as reloaded:
            reloaded.load()
            print("png", reloaded.format, reloaded.mode, reloaded.size)
            print("pixels", [reloaded.getpixel((x, 8)) for x in (0, 4, 8, 12, 13)])
            print("identical", reloaded.tobytes() == image.tobytes())
        jpeg = os.path.join(scratch, "picture.jpg")
        image.save(jpeg, quality=90)
        with Image.open(jpeg) as reloaded:
            print("jpeg", reloaded.format, reloaded.mode, reloaded.size)
            print("jpeg pixel", reloaded.getpixel((8, 8)))
    gray = image.convert("L").filter(ImageFilter.BLUR).resize((8, 6), Image.Resampling.LANCZOS)
    print("gray", list(gray.tobytes())[:12])
    text_area = image.crop((14, 0, 32, 14)).tobytes()
    inked = sum(1 for i in range(0, len(text_area), 3) if text_area[i:i + 3] != b"\x0a\x14\x1e")
    print("text pixels", inked)
    print("codecs", {name: features.check_codec(name) for name in ("jpg", "zlib")})
    print("freetype", features.check_module("freetype2"))


if __name__ == "__main__":
    main()
