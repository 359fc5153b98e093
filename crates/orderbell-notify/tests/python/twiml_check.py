"""Checks Orderbell's escalation-call TwiML against twilio-python's VoiceResponse.

Reads a JSON list of cases on stdin, each the arguments of one Rust TwiML function and the
document it wrote:

    {"kind": "alert_call", "say": ..., "language": ..., "url": ..., "prompt": ..., "twiml": ...}
    {"kind": "say_and_hang_up", "text": ..., "language": ..., "twiml": ...}

For each case the same call is built with the `twilio` package's VoiceResponse (its verbs,
nesting and attribute names, its XML writer and escaping), both documents are parsed with
xml.etree (so ours must be well-formed) and compared in canonical form (C14N 2.0: attribute
order and escaping style do not matter, every element, attribute and character does).
Exits 1 listing every mismatch; prints the number of documents checked on success.
"""

import json
import re
import sys
import xml.etree.ElementTree as ET

from twilio.twiml.voice_response import VoiceResponse

# The voices Orderbell picks for the languages it speaks (Twilio's default voice has no
# Korean); any other language gets no voice attribute.
VOICES = {"ko-KR": "Polly.Seoyeon", "en-US": "Polly.Joanna"}
GATHER_TIMEOUT_SECS = 8
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'

# Characters XML 1.0 cannot carry at all (not even as references); text keeps the rest.
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(s):
    return FORBIDDEN.sub("", s)


def say_kwargs(language):
    kwargs = {"language": xml_text(language)}
    if language in VOICES:
        kwargs["voice"] = VOICES[language]
    return kwargs


def expected(case):
    r = VoiceResponse()
    kind = case["kind"]
    if kind == "alert_call":
        url = xml_text(case["url"])
        g = r.gather(
            input="dtmf",
            num_digits=1,
            timeout=GATHER_TIMEOUT_SECS,
            action=url,
            method="POST",
        )
        g.say(xml_text(case["say"]), **say_kwargs(case["language"]))
        g.say(xml_text(case["prompt"]), **say_kwargs(case["language"]))
        r.redirect(url, method="POST")
    elif kind == "say_and_hang_up":
        r.say(xml_text(case["text"]), **say_kwargs(case["language"]))
        r.hangup()
    else:
        raise ValueError(f"unknown kind {kind!r}")
    return str(r)


def canonical(doc):
    # Parsing first makes a malformed document fail here with expat's message.
    ET.fromstring(doc)
    return ET.canonicalize(xml_data=doc)


def main():
    cases = json.load(sys.stdin)
    failures = []
    for i, case in enumerate(cases):
        ours = case["twiml"]
        theirs = expected(case)
        label = f"case {i} ({case['kind']})"
        if not ours.startswith(DECLARATION):
            failures.append(f"{label}: no XML declaration {DECLARATION!r}: {ours[:60]!r}")
        if not theirs.startswith(DECLARATION):
            failures.append(f"{label}: twilio-python wrote another declaration: {theirs[:60]!r}")
        try:
            a = canonical(ours)
        except ET.ParseError as e:
            failures.append(f"{label}: our TwiML is not well-formed XML: {e}\n  {ours}")
            continue
        b = canonical(theirs)
        if a != b:
            failures.append(f"{label}: differs from VoiceResponse\n  ours:   {a}\n  theirs: {b}")
    if failures:
        print("\n".join(failures), file=sys.stderr)
        sys.exit(1)
    print(json.dumps({"checked": len(cases)}))


if __name__ == "__main__":
    main()
