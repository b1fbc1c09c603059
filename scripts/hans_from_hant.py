"""Write the Simplified Chinese catalog from the Traditional one.

Conversion is OpenCC's Taiwan-to-mainland profile (tw2sp: characters and common
vocabulary), then locales/zh_Hans/overrides.toml for finance terms it leaves in Taiwan
usage (聯準會 -> 美联储, 殖利率 -> 收益率 ...). The test suite checks the committed
zh_Hans catalog has exactly this script's messages, so the two never drift apart. The check
compares messages (ids, translations, plural forms, flags), not the header that Babel stamps
with its own version.

Usage: python scripts/hans_from_hant.py [--check]
"""

from __future__ import annotations

import argparse
import io
import sys
import tomllib
from pathlib import Path

import opencc
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
HANT = ROOT / "locales/zh_Hant/LC_MESSAGES/messages.po"
HANS = ROOT / "locales/zh_Hans/LC_MESSAGES/messages.po"
OVERRIDES = ROOT / "locales/zh_Hans/overrides.toml"


def converter() -> callable:
    cc = opencc.OpenCC("tw2sp")
    table = tomllib.loads(OVERRIDES.read_text(encoding="utf-8"))["replace"]
    pairs = sorted(table.items(), key=lambda kv: -len(kv[0]))

    def convert(text: str) -> str:
        out = cc.convert(text)
        for old, new in pairs:
            out = out.replace(old, new)
        return out

    return convert


def build() -> bytes:
    convert = converter()
    with HANT.open("rb") as fh:
        catalog = read_po(fh, locale="zh_Hant")
    catalog.locale = "zh_Hans"
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.string, tuple | list):
            message.string = tuple(convert(s) for s in message.string)
        else:
            message.string = convert(message.string)
    buf = io.BytesIO()
    write_po(buf, catalog, width=0, omit_header=False, sort_output=False)
    return (buf.getvalue().replace(b"Language: zh_Hant", b"Language: zh_Hans")
            .replace(b"Language-Team: zh_Hant", b"Language-Team: zh_Hans"))


def messages(po: bytes) -> list[tuple]:
    """What a catalog says, without its generator header."""
    catalog = read_po(io.BytesIO(po))
    return [(m.id, m.string, m.context, sorted(m.flags)) for m in catalog if m.id]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="exit 1 if the catalog is stale")
    args = p.parse_args()
    new = build()
    if args.check:
        if not HANS.exists() or messages(HANS.read_bytes()) != messages(new):
            print(f"{HANS} is out of date: run `make catalogs`", file=sys.stderr)
            return 1
        return 0
    HANS.parent.mkdir(parents=True, exist_ok=True)
    HANS.write_bytes(new)
    print(f"wrote {HANS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
