#!/usr/bin/env python3
"""Validates Bot API requests (and the stand-in's answers) with PyPI `aiogram`'s models,
which are generated from the Bot API documentation.

Reads a JSON list of {"method": "sendMessage", "request": {...}, "response": {...}} on stdin.
For each: the request must validate as aiogram.methods.<Method> with no field aiogram does
not know (at any depth); an ok response's `result` must validate as the method's return type,
again with no unknown fields. Text sent with parse_mode HTML must use only the tags and
entities Telegram's HTML mode accepts. Exit 0 when all pass, 1 with reasons, 3 when aiogram
is missing.
"""
import json
import sys
from html.parser import HTMLParser

try:
    import aiogram.methods as methods
    from pydantic import BaseModel, TypeAdapter
except ImportError as e:  # pragma: no cover
    print(f"missing python module: {e}", file=sys.stderr)
    sys.exit(3)

ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
                "a", "code", "pre", "blockquote", "tg-emoji"}
ALLOWED_ENTITIES = {"lt", "gt", "amp", "quot"}


class TelegramHtml(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.errors, self.stack = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.errors.append(f"tag <{tag}> not supported")
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unbalanced </{tag}>")

    def handle_entityref(self, name):
        if name not in ALLOWED_ENTITIES:
            self.errors.append(f"entity &{name}; not supported")


def extras(obj, path="$"):
    """Fields pydantic kept as 'extra' (aiogram allows them; we want none)."""
    found = []
    if isinstance(obj, BaseModel):
        for k in (obj.model_extra or {}):
            found.append(f"{path}.{k}")
        for name in type(obj).model_fields:
            found += extras(getattr(obj, name), f"{path}.{name}")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            found += extras(v, f"{path}[{i}]")
    return found


def main():
    calls = json.load(sys.stdin)
    problems = []
    for n, call in enumerate(calls):
        name = call["method"]
        cls = getattr(methods, name[0].upper() + name[1:], None)
        if cls is None:
            problems.append(f"#{n} {name}: not a Bot API method")
            continue
        try:
            req = cls.model_validate(call["request"])
            for x in extras(req):
                problems.append(f"#{n} {name}: unknown request field {x}")
            if call["request"].get("parse_mode") == "HTML":
                p = TelegramHtml()
                p.feed(call["request"]["text"])
                p.close()
                problems += [f"#{n} {name}: {e}" for e in p.errors + [f"unclosed <{t}>" for t in p.stack]]
            for row in (call["request"].get("reply_markup") or {}).get("inline_keyboard", []):
                for b in row:
                    if "callback_data" in b and not 1 <= len(b["callback_data"].encode()) <= 64:
                        problems.append(f"#{n} {name}: callback_data must be 1-64 bytes")
        except Exception as e:  # pydantic.ValidationError and friends
            problems.append(f"#{n} {name}: request invalid: {e}")
        resp = call.get("response") or {}
        if resp.get("ok"):
            try:
                result = TypeAdapter(cls.__returning__).validate_python(resp["result"])
                for x in extras(result):
                    problems.append(f"#{n} {name}: unknown result field {x}")
            except Exception as e:
                problems.append(f"#{n} {name}: stand-in result invalid: {e}")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)
    print(json.dumps({"checked": len(calls)}))


if __name__ == "__main__":
    main()
